"""`zeromeet store check`: what the store holds that no row names is listed for an admin.

A writer that crashes between its put and its commit leaves such an object; someone with
the store's credentials can put another version over a recorded one. Both are made here
by hand in the real SeaweedFS bucket, beside an upload made through the API."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import uuid
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from evidence.store import S3ObjectStore
from server.app import create_app
from server.appkeys import SESSIONS, STORE
from server.db.models import EvidenceItem
from server.seaweed import EmbeddedSeaweed
from server.services.orphans import check
from server.settings import S3Settings, Settings
from tests.support.api import Api
from tests.support.proc import env_for, free_port, processes_using, run
from tests.support.databases import BOTH

SIGNATURE = b"\x89PNG a signature whose row never committed"


def photo() -> bytes:
    image = np.zeros((240, 320, 3), np.uint8)
    image[..., 1] = np.linspace(0, 255, 320, dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


async def upload_a_photo(settings: Settings) -> tuple[dict, list[dict]]:
    """A case with one photo (its original and thumbnail), through the API."""
    async with TestClient(TestServer(create_app(settings))) as client:
        api = Api(client)
        wang, case, _ = await api.setup_case()
        body = aiohttp.FormData()
        body.add_field("file", photo(), filename="工资条.jpg", content_type="image/jpeg")
        await api.ok("POST", f"/api/cases/{case['id']}/evidence", 201, headers=wang, data=body)
        items = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)
    return case, items


def orphan_key(case: dict) -> str:
    return f"cases/{case['id']}/uploads/{uuid.uuid4()}/original"


async def put_orphan(store: S3ObjectStore, key: str) -> str | None:
    """A writer's put, then a kill before its row: stored, locked, named by nothing."""
    return (await store.put(key, SIGNATURE, sha256=hashlib.sha256(SIGNATURE).hexdigest(),
                            content_type="image/png")).version_id


def put_over(store: S3ObjectStore, key: str, data: bytes) -> str:
    """Someone with the store's keys writes a newer version over a recorded one."""
    return store._client.put_object(store.bucket, key, io.BytesIO(data), len(data)).version_id


@BOTH
async def test_the_check_lists_exactly_what_no_row_names(settings: Settings) -> None:
    case, items = await upload_a_photo(settings)
    original = next(i for i in items if i["kind"] == "upload")
    thumbnail = next(i for i in items if i["kind"] == "thumbnail")
    async with TestClient(TestServer(create_app(settings))) as client:
        sessions, store = client.server.app[SESSIONS], client.server.app[STORE]
        clean = await check(sessions, store)
        assert (clean.listed, clean.orphans) == (2, [])

        key = orphan_key(case)
        version = await put_orphan(store, key)
        forged = put_over(store, original["object_key"], b"forged")
        # A row from before version ids were kept names its key's oldest version only.
        async with sessions() as session, session.begin():
            await session.execute(update(EvidenceItem).where(EvidenceItem.id == thumbnail["id"])
                                  .values(version_id=None))
        over_thumbnail = put_over(store, thumbnail["object_key"], b"another thumbnail")
        store._client.put_object(store.bucket, "elsewhere/note", io.BytesIO(b"x"), 1)
        # A complainant's file whose row was never written (see server.complaints.files).
        complaint_key = "complaints/00000000-0000-0000-0000-000000000000/files/x/original"
        complaint_version = await put_orphan(store, complaint_key)

        found = await check(sessions, store)
    assert found.listed == 6
    assert sorted((o.key, o.version_id) for o in found.orphans) == sorted([
        (key, version), (original["object_key"], forged),
        (thumbnail["object_key"], over_thumbnail), (complaint_key, complaint_version)])
    orphan = next(o for o in found.orphans if o.key == key)
    assert orphan.size == len(SIGNATURE) and orphan.last_modified is not None
    assert orphan.sha256 == hashlib.sha256(SIGNATURE).hexdigest()
    assert next(o for o in found.orphans if o.version_id == forged).sha256 == ""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_command_against_an_external_store(settings: Settings) -> None:
    case, _ = await upload_a_photo(settings)
    s3 = settings.s3
    env = env_for(settings.data_dir, ZEROMEET_DATABASE_URL=settings.database_url,
                  ZEROMEET_S3_ENDPOINT=s3.endpoint or "", ZEROMEET_S3_ACCESS_KEY=s3.access_key or "",
                  ZEROMEET_S3_SECRET_KEY=s3.secret_key or "", ZEROMEET_S3_BUCKET=s3.bucket,
                  ZEROMEET_S3_REGION=s3.region or "")
    clean = await asyncio.to_thread(run, ["store", "check"], env)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.startswith("OK: each of the 2 stored object versions under cases/, interviews/ "
                                   "and complaints/ is named"), clean.stdout

    key = orphan_key(case)
    version = await put_orphan(store_of(s3), key)
    found = await asyncio.to_thread(run, ["store", "check"], env)
    assert found.returncode == 1, found.stderr
    line, summary = found.stdout.splitlines()
    fields = line.split("\t")
    assert fields[:3] == [key, f"version {version}", f"{len(SIGNATURE)} bytes"]
    assert fields[4] == f"sha256 {hashlib.sha256(SIGNATURE).hexdigest()}"
    assert summary == ("1 of 3 stored object versions under cases/, interviews/ and complaints/ are named by "
                       "no database row")

    unreachable = await asyncio.to_thread(
        run, ["store", "check"], {**env, "ZEROMEET_S3_ENDPOINT": f"127.0.0.1:{free_port()}"})
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith("zeromeet: The object store at 127.0.0.1:")
    assert "could not be reached" in unreachable.stderr and "Traceback" not in unreachable.stderr


def store_of(s3: S3Settings) -> S3ObjectStore:
    return S3ObjectStore(endpoint=s3.endpoint or "", access_key=s3.access_key or "",
                         secret_key=s3.secret_key or "", bucket=s3.bucket, region=s3.region,
                         retention_days=1)


async def test_the_command_on_the_embedded_store_refuses_beside_a_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = env_for(data_dir)
    missing = await asyncio.to_thread(run, ["store", "check"], env)
    assert missing.returncode == 2 and "There is no embedded object store in" in missing.stderr
    assert not data_dir.exists()

    seaweed = EmbeddedSeaweed(data_dir, bucket="zeromeet-evidence")  # what `serve` runs
    s3 = dataclasses.replace(await seaweed.start(), retention_days=1)
    try:
        store = store_of(s3)
        await store.ensure_bucket()
        key = f"interviews/{uuid.uuid4()}/record/v0001-0123456789abcdef.json"
        version = await put_orphan(store, key)
        refused = await asyncio.to_thread(run, ["store", "check"], env)
        assert refused.returncode == 2
        assert refused.stderr.startswith("zeromeet: A zeromeet server is running the embedded "
                                         f"object store in {data_dir.resolve() / 'seaweedfs'} "
                                         f"(weed pid {seaweed.pid}); stop it")
        assert seaweed.pid is not None
    finally:
        await seaweed.stop()

    found = await asyncio.to_thread(run, ["store", "check"], env, timeout=120)
    assert found.returncode == 1, found.stderr
    assert found.stdout.splitlines()[0].startswith(f"{key}\tversion {version}\t")
    assert processes_using(str(data_dir)) == [], "the check stops the store it started"
