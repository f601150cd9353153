"""Shared fixtures: a real SeaweedFS for the session, SQLite and PostgreSQL databases
(each a copy of the session's migrated template), and the application behind aiohttp's
test client. Every test is put in one tier (`pytest -m unit`, `api`, `media`, `browser`,
`system`): by its own marker, else by the fixtures it uses, else `unit`."""

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
    "tests.support.s3", "tests.support.postgres", "tests.support.databases",
    "tests.support.browser", "tests.support.rooms", "tests.support.whisper",
    "tests.support.stalls",
]

# Never reach for a model hub, in any test.
os.environ["HF_HUB_OFFLINE"] = "1"


TIERS = ("unit", "api", "media", "browser", "system")
# Modules put in a tier whatever fixtures they use. System: they run zeromeet's own
# processes (serve, worker, verify, setup), kill them or cut them off. Media: they load
# the real Whisper models.
MODULE_TIERS = {
    **dict.fromkeys((
        "test_api_fuzz", "test_cli", "test_cli_complaints", "test_cli_users", "test_custody",
        "test_hostile_images", "test_http_server", "test_recording_crash",
        "test_recording_outage", "test_records_jobs", "test_seaweed", "test_seaweed_lockdown",
        "test_setup", "test_store_check", "test_tls", "test_transcription_logs",
        "test_upload_recovery", "test_verify_malformed"), "system"),
    **dict.fromkeys(("test_transcription_models", "test_listen"), "media"),
}
BROWSER_FIXTURES = {"browser", "chromium_session"}
MEDIA_FIXTURES = {"room", "whisper_models", "loop_watch"}
MEDIA_MODULES = ("aiortc", "av", "tests.support.rtc", "tests.support.conversation",
                 "tests.support.speech", "faster_whisper", "transcription.worker")
API_FIXTURES = {"client", "api", "settings", "database_url", "s3_settings", "object_store",
                "embedded_seaweed", "postgres_cluster", "sessions"}


def _tier(item: pytest.Item) -> str:
    marked = [t for t in TIERS if item.get_closest_marker(t) is not None]
    if len(marked) > 1:
        raise pytest.UsageError(f"{item.nodeid} is marked for tiers {marked}: one only")
    if marked:
        return marked[0]
    module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
    if module in MODULE_TIERS:
        return MODULE_TIERS[module]
    used = set(getattr(item, "fixturenames", ()))
    if used & BROWSER_FIXTURES:
        return "browser"
    uses_media = any(getattr(value, "__name__", "").startswith(MEDIA_MODULES)
                     or getattr(value, "__module__", "").startswith(MEDIA_MODULES)
                     for value in vars(item.module).values()) if item.module else False
    if used & MEDIA_FIXTURES or (uses_media and used & API_FIXTURES):
        return "media"
    if used & API_FIXTURES:
        return "api"
    return "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = _tier(item)
        if item.get_closest_marker(tier) is None:
            item.add_marker(tier)


@pytest.fixture(params=["sqlite"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """SQLite unless a test asks for PostgreSQL too (where SQL semantics matter: locks,
    leases, constraints, concurrency): `parametrize("database_url", [...], indirect=True)`.
    A copy of the migrated template, or empty for a test marked `fresh_database`."""
    from tests.support.databases import postgres_database, sqlite_copy  # a plugin: loaded by then

    fresh = request.node.get_closest_marker("fresh_database") is not None
    if request.param == "sqlite":
        if fresh:
            yield f"sqlite+aiosqlite:///{tmp_path / 'zeromeet.sqlite3'}"
        else:
            yield sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        template = None if fresh else request.getfixturevalue("postgres_template")
        yield await postgres_database(cluster, template)


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
