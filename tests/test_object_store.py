"""`S3ObjectStore` against a real SeaweedFS: write-once, integrity, locks and failures."""

from __future__ import annotations

import io
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio.error import S3Error

from evidence.errors import (
    IntegrityError,
    ObjectConflict,
    ObjectNotFound,
    StoreMisconfigured,
    StoreUnavailable,
)
from evidence.hashing import sha256_bytes, sha256_file
from evidence.s3client import minio_client
from evidence.store import S3ObjectStore
from server.settings import S3Settings
from tests.support.s3 import store_for

DATA = b"\x00wage slip, March\xff" * 1000
SHA = sha256_bytes(DATA)


def raw_client(settings: S3Settings):  # noqa: ANN201 - minio.Minio
    return minio_client(
        settings.endpoint or "", settings.access_key, settings.secret_key, region=settings.region
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_round_trip_of_bytes(object_store: S3ObjectStore, tmp_path: Path) -> None:
    before = datetime.now(UTC)
    stored = await object_store.put("cases/1/upload.bin", DATA, sha256=SHA)

    assert (stored.key, stored.size, stored.sha256) == ("cases/1/upload.bin", len(DATA), SHA)
    assert stored.retain_until is not None
    assert stored.retain_until - before > timedelta(hours=23)  # retention_days=1
    assert await object_store.stat("cases/1/upload.bin") == stored
    assert await object_store.exists("cases/1/upload.bin")
    assert await object_store.get("cases/1/upload.bin") == DATA
    assert await object_store.verify("cases/1/upload.bin", SHA)
    assert not await object_store.verify("cases/1/upload.bin", sha256_bytes(b"other"))
    dest = tmp_path / "copy.bin"
    await object_store.download("cases/1/upload.bin", dest)
    assert dest.read_bytes() == DATA
    assert [p.name for p in tmp_path.iterdir()] == ["copy.bin"]  # no temp file left


async def test_large_file_goes_up_in_parts_and_comes_back_whole(
    object_store: S3ObjectStore, tmp_path: Path
) -> None:
    source = tmp_path / "segment.mkv"
    source.write_bytes(os.urandom(12 << 20))  # over minio's 5 MiB part size: multipart
    sha = sha256_file(source, chunk=4096)

    stored = await object_store.put(
        "rec/0001.mkv", source, sha256=sha, content_type="video/x-matroska"
    )

    assert stored.size == 12 << 20
    assert await object_store.verify("rec/0001.mkv", sha)
    await object_store.download("rec/0001.mkv", tmp_path / "back.mkv")
    assert sha256_file(tmp_path / "back.mkv") == sha


async def test_bytes_that_do_not_match_their_hash_are_refused(object_store: S3ObjectStore) -> None:
    with pytest.raises(IntegrityError, match="hash to"):
        await object_store.put("tampered", DATA + b"!", sha256=SHA)
    assert not await object_store.exists("tampered")
    with pytest.raises(ValueError):
        await object_store.put("bad-hash", DATA, sha256=SHA.upper())


async def test_retrying_the_same_put_is_idempotent(
    object_store: S3ObjectStore, s3_settings: S3Settings
) -> None:
    first = await object_store.put("same", DATA, sha256=SHA)
    again = await object_store.put("same", DATA, sha256=SHA)

    assert again == first
    versions = list(
        raw_client(s3_settings).list_objects(object_store.bucket, "same", include_version=True)
    )
    assert len(versions) == 1  # the retry wrote nothing


async def test_different_bytes_under_an_existing_key_conflict(object_store: S3ObjectStore) -> None:
    await object_store.put("once", DATA, sha256=SHA)
    other = b"forged wage slip"

    with pytest.raises(ObjectConflict, match="already holds different bytes"):
        await object_store.put("once", other, sha256=sha256_bytes(other))
    assert await object_store.get("once") == DATA


async def test_missing_keys(object_store: S3ObjectStore, tmp_path: Path) -> None:
    assert await object_store.stat("nope") is None
    assert not await object_store.exists("nope")
    with pytest.raises(ObjectNotFound, match="nope"):
        await object_store.get("nope")
    with pytest.raises(ObjectNotFound):
        await object_store.verify("nope", SHA)
    with pytest.raises(ObjectNotFound):
        await object_store.download("nope", tmp_path / "nope")
    assert list(tmp_path.iterdir()) == []


async def test_a_locked_object_refuses_deletion(
    object_store: S3ObjectStore, s3_settings: S3Settings
) -> None:
    await object_store.put("locked", DATA, sha256=SHA)
    raw = raw_client(s3_settings)
    version = raw.stat_object(object_store.bucket, "locked").version_id
    assert version
    assert raw.get_object_retention(object_store.bucket, "locked").mode == "COMPLIANCE"

    with pytest.raises(S3Error) as refused:
        raw.remove_object(object_store.bucket, "locked", version_id=version)

    assert refused.value.code == "AccessDenied"
    assert await object_store.get("locked") == DATA


async def test_corruption_in_the_store_is_detected_on_read(
    object_store: S3ObjectStore, s3_settings: S3Settings, tmp_path: Path
) -> None:
    # Written around the adapter, as a faulty store or intruder would: the bytes do not
    # match the SHA-256 recorded with them.
    raw_client(s3_settings).put_object(
        object_store.bucket, "rotten", io.BytesIO(b"rotten"), 6, metadata={"sha256": SHA}
    )

    with pytest.raises(IntegrityError, match="stored with SHA-256"):
        await object_store.get("rotten")
    with pytest.raises(IntegrityError):
        await object_store.download("rotten", tmp_path / "rotten")
    assert not (tmp_path / "rotten").exists()
    assert not await object_store.verify("rotten", SHA)


async def test_bucket_without_object_lock_still_stores(s3_settings: S3Settings) -> None:
    bucket = "nolock-" + uuid.uuid4().hex[:12]
    raw_client(s3_settings).make_bucket(bucket)
    store = store_for(s3_settings, bucket)

    await store.ensure_bucket()
    stored = await store.put("plain", DATA, sha256=SHA)

    assert not store.object_lock
    assert stored.retain_until is None
    assert await store.get("plain") == DATA


async def test_unreachable_store_fails_fast(s3_settings: S3Settings) -> None:
    port = closed_port()
    store = store_for(s3_settings, "whatever", endpoint=f"127.0.0.1:{port}")

    began = time.monotonic()
    with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{port} could not be reached"):
        await store.ensure_bucket()
    with pytest.raises(StoreUnavailable):
        await store.get("anything")
    assert time.monotonic() - began < 10


async def test_wrong_secret_key_is_a_misconfiguration(s3_settings: S3Settings) -> None:
    store = store_for(s3_settings, "t-" + uuid.uuid4().hex[:16], secret_key="not-the-secret")

    with pytest.raises(StoreMisconfigured, match="refused the access key") as refused:
        await store.ensure_bucket()
    assert "not-the-secret" not in str(refused.value)
    with pytest.raises(StoreMisconfigured):
        await store.stat("anything")


def test_sha256_file_matches_sha256_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(DATA)
    assert sha256_file(path, chunk=7) == sha256_file(path) == SHA
    assert sha256_bytes(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_a_store_that_cannot_serve_for_now_is_unavailable_not_misconfigured(
        s3_settings: S3Settings) -> None:
    store = store_for(s3_settings, "errors")
    for code in ("InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"):
        error = S3Error(None, code, "We encountered an internal error", "/b/k", "r", "h")
        mapped = store._s3_error(error, "read 'k'", "k")
        assert isinstance(mapped, StoreUnavailable) and code in str(mapped), mapped
    denied = S3Error(None, "AccessDenied", "Access Denied.", "/b/k", "r", "h")
    assert isinstance(store._s3_error(denied, "read 'k'", "k"), StoreMisconfigured)
