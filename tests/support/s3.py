"""Pytest plugin: one real SeaweedFS (`weed mini`) for the whole test session.

`s3_settings` reaches it; `object_store` is an `S3ObjectStore` on a fresh bucket with
object lock, so tests never see each other's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from evidence.store import S3ObjectStore
from server.seaweed import EmbeddedSeaweed
from server.settings import S3Settings


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def embedded_seaweed(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[EmbeddedSeaweed]:
    # A bucket per test, a volume per bucket: small volumes, so that the disk holds them all.
    seaweed = EmbeddedSeaweed(tmp_path_factory.mktemp("seaweed"), bucket="zeromeet-test",
                              volume_size_mb=16)
    await seaweed.start()
    try:
        yield seaweed
    finally:
        await seaweed.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def s3_settings(embedded_seaweed: EmbeddedSeaweed) -> S3Settings:
    settings = await embedded_seaweed.start()  # already started: returns the same settings
    return settings


@pytest_asyncio.fixture(loop_scope="session")
async def object_store(s3_settings: S3Settings) -> S3ObjectStore:
    store = store_for(s3_settings, "t-" + uuid.uuid4().hex[:16])
    await store.ensure_bucket()
    assert store.object_lock, "SeaweedFS should create test buckets with object lock"
    return store


def store_for(settings: S3Settings, bucket: str, **changes: object) -> S3ObjectStore:
    """An `S3ObjectStore` for `settings` on `bucket`; `changes` override settings fields."""
    fields: dict[str, object] = {
        "endpoint": settings.endpoint,
        "access_key": settings.access_key,
        "secret_key": settings.secret_key,
        "secure": settings.secure,
        "region": settings.region,
        "retention_days": 1,
    }
    fields.update(changes)
    return S3ObjectStore(bucket=bucket, **fields)  # type: ignore[arg-type]
