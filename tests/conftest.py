"""Shared fixtures: a real SeaweedFS for the session, SQLite and PostgreSQL databases,
and the application behind aiohttp's test client."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server.app import create_app
from server.settings import S3Settings, Settings
from tests.support.api import Api

pytest_plugins = [
    "tests.support.s3", "tests.support.postgres", "tests.support.browser", "tests.support.rooms",
    "tests.support.whisper", "tests.support.stalls",
]

# Never reach for a model hub, in any test.
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'zeromeet.sqlite3'}"
    else:
        from tests.support.postgres import create_database

        yield await create_database(request.getfixturevalue("postgres_cluster"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_settings: S3Settings) -> Settings:
    bucket = "t-" + uuid.uuid4().hex[:16]
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        s3=dataclasses.replace(s3_settings, bucket=bucket, retention_days=1),
        # Transcription jobs run only where a test asks for them (tests/test_records*.py).
        transcribe=False,
        live_captions=False,
        whisper_threads=2,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)
