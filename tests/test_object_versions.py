"""A stored version cannot be shadowed: with the store's credentials anyone can PUT new
bytes over an evidence key or put a delete marker on it, and object lock keeps only the
original. The server records the version it wrote and reads exactly that one; what was
put over it is named wherever the server verifies. Real SeaweedFS, SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from minio.versioningconfig import ENABLED, VersioningConfig
from sqlalchemy import bindparam, inspect, select, text, update

from evidence.hashing import sha256_bytes
from evidence.s3client import minio_client
from evidence.store import S3ObjectStore
from evidence.verify import verify as verify_bundle
from evidence.versions import ObjectVersion, original, read_id, shadowing
from server.appkeys import SESSIONS
from server.db.engine import alembic_config, make_engine
from server.db.models import EvidenceItem
from server.db.types import UTCDateTime
from server.settings import S3Settings, Settings
from tests.support.api import Api
from tests.support.records import confirmed_record
from tests.support.s3 import store_for

OVER = "a newer version was written over it"
HIDDEN = "a delete marker hides it"
DATA = b"the original evidence"
SHA = sha256_bytes(DATA)


def raw_client(s3: S3Settings):  # noqa: ANN201 - minio.Minio
    return minio_client(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure, region=s3.region)


def write_over(s3: S3Settings, key: str, data: bytes, sha256: str) -> str:
    """What an intruder with the store's keys does: new bytes under the key, claiming
    the original's SHA-256. Returns the forged version's id."""
    return raw_client(s3).put_object(
        s3.bucket, key, io.BytesIO(data), len(data), metadata={"sha256": sha256}).version_id


def hide(s3: S3Settings, key: str) -> None:
    """A plain DELETE: on a versioned bucket, a delete marker over the locked original."""
    raw_client(s3).remove_object(s3.bucket, key)


def jpeg(shade: int) -> bytes:
    image = np.full((240, 320, 3), shade, np.uint8)
    cv2.putText(image, "ZM", (40, 140), cv2.FONT_HERSHEY_SIMPLEX, 3, (255, 255, 255), 6)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


async def content(api: Api, item_id: str, headers: dict[str, str]) -> tuple[int, bytes]:
    async with api.client.get(f"/api/evidence/{item_id}/content", headers=headers) as resp:
        return resp.status, await resp.read()


# --- the adapter ---------------------------------------------------------------------


async def test_the_recorded_version_is_read_whatever_is_put_over_it(
    object_store: S3ObjectStore, s3_settings: S3Settings, tmp_path: Path
) -> None:
    s3 = dataclasses.replace(s3_settings, bucket=object_store.bucket)
    over = await object_store.put("cases/1/over", DATA, sha256=SHA)
    hidden = await object_store.put("cases/1/hidden", DATA, sha256=SHA)
    assert over.version_id and hidden.version_id and over.version_id != hidden.version_id
    assert await object_store.stat("cases/1/over", over.version_id) == over
    assert await object_store.shadowing("cases/1/over", over.version_id) == ""

    write_over(s3, "cases/1/over", b"forged", SHA)
    hide(s3, "cases/1/hidden")
    for stored, found in ((over, OVER), (hidden, HIDDEN)):
        for version in (stored.version_id, None):  # None: a row from before versions were kept
            assert await object_store.get(stored.key, version) == DATA
            assert await object_store.verify(stored.key, SHA, version)
            assert (await object_store.stat(stored.key, version)).version_id == stored.version_id
            assert await object_store.shadowing(stored.key, version) == found
        await object_store.download(stored.key, tmp_path / "back", stored.version_id)
        assert (tmp_path / "back").read_bytes() == DATA
        # A retried put finds the original, and writes nothing over what was put there.
        assert await object_store.put(stored.key, DATA, sha256=SHA) == stored
    write_over(s3, "cases/1/over", b"forged again", SHA)
    assert await object_store.shadowing("cases/1/over", over.version_id) == (
        "2 newer versions were written over it")
    write_over(s3, "cases/1/hidden", b"forged", SHA)
    hide(s3, "cases/1/hidden")
    assert await object_store.shadowing("cases/1/hidden", hidden.version_id) == f"{OVER}, and {HIDDEN}"
    assert await object_store.get("cases/1/hidden", hidden.version_id) == DATA


def test_the_original_is_the_oldest_version_and_listing_order_breaks_ties() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    later = at + timedelta(seconds=1)
    listed = [ObjectVersion("m", True, True, later), ObjectVersion("c", False, False, later),
              ObjectVersion("b", False, False, at), ObjectVersion("a", False, False, at)]
    assert original(listed).version_id == "a"
    assert shadowing(listed, "a") == f"2 newer versions were written over it, and {HIDDEN}"
    assert shadowing(listed, None) == shadowing(listed, "a")
    assert shadowing(listed, "gone") == ""  # a read of it says that it is missing
    assert original([ObjectVersion("m", True, True, at)]) is None
    assert shadowing([ObjectVersion(None, True, False, at)], None) == ""  # no versioning


async def test_an_original_from_before_versioning_is_read_by_its_null_version(
    s3_settings: S3Settings, tmp_path: Path
) -> None:
    """An external bucket whose evidence predates versioning: the original's version id
    is "null", and a read with no version id would get whatever was put over it."""
    s3 = dataclasses.replace(s3_settings, bucket="t-" + uuid.uuid4().hex[:16])
    raw = raw_client(s3)
    raw.make_bucket(s3.bucket)  # no object lock, so no versioning either
    raw.put_object(s3.bucket, "k", io.BytesIO(DATA), len(DATA), metadata={"sha256": SHA})
    store = store_for(s3, s3.bucket)
    assert await store.get("k") == DATA  # its only version, read plainly
    raw.set_bucket_versioning(s3.bucket, VersioningConfig(ENABLED))
    write_over(s3, "k", b"forged", SHA)
    listed = [o.version_id for o in raw.list_objects(s3.bucket, "k", include_version=True)]
    assert "null" in listed and len(listed) == 2, listed  # the store made a null version

    for hidden in (False, True):  # written over, then hidden by a delete marker too
        if hidden:
            hide(s3, "k")
        assert await store.shadowing("k") == (f"{OVER}, and {HIDDEN}" if hidden else OVER)
        assert await store.get("k") == DATA
        assert await store.verify("k", SHA)
        await store.download("k", tmp_path / "back")
        assert (tmp_path / "back").read_bytes() == DATA
        stored = await store.stat("k")
        assert (stored.sha256, stored.version_id) == (SHA, None)  # None reads it again
        assert await store.put("k", DATA, sha256=SHA) == stored


def test_an_original_without_an_id_of_its_own_is_read_as_null_beside_others() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    null = ObjectVersion(None, False, False, at)
    over = [ObjectVersion("b", True, False, at), null]
    assert original(over) is null and read_id(over, null) == "null"
    hidden = [ObjectVersion("m", True, True, at), null]
    assert original(hidden) is null and read_id(hidden, null) == "null"
    alone = [ObjectVersion(None, True, False, at)]
    assert read_id(alone, alone[0]) is None  # no versioning: a plain read
    assert read_id(over, over[0]) == "b"


# --- uploads, their re-verification, and the bundle ----------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_uploads_are_served_verified_and_exported_as_stored(
    api: Api, settings: Settings, tmp_path: Path
) -> None:
    wang, case, _ = await api.setup_case()
    photos = {name: jpeg(shade) for name, shade in (("over", 40), ("hidden", 90), ("legacy", 140))}
    items = {name: await api.ok("POST", f"/api/cases/{case['id']}/evidence", 201, headers=wang,
                                data={"file": io.BytesIO(data)}) for name, data in photos.items()}
    async with api.app[SESSIONS]() as session, session.begin():
        # A row from before version ids were recorded (the migration leaves them NULL).
        await session.execute(update(EvidenceItem).where(EvidenceItem.id == items["legacy"]["id"])
                              .values(version_id=None))
        rows = {i.id: i for i in await session.scalars(select(EvidenceItem))}
    assert rows[items["over"]["id"]].version_id and rows[items["hidden"]["id"]].version_id
    write_over(settings.s3, items["over"]["object_key"], jpeg(200), items["over"]["sha256"])
    write_over(settings.s3, items["legacy"]["object_key"], jpeg(250), items["legacy"]["sha256"])
    hide(settings.s3, items["hidden"]["object_key"])
    found = {"over": OVER, "hidden": HIDDEN, "legacy": OVER}

    for name, item in items.items():
        assert await content(api, item["id"], wang) == (200, photos[name]), name
        checked = await api.ok("POST", f"/api/evidence/{item['id']}/verify", headers=wang)
        assert checked["ok"] is False, name
        assert checked["problem"] == (f"in the object store, {found[name]}; the version stored "
                                      "on arrival is intact and is the one served"), name

    async with api.client.post(f"/api/cases/{case['id']}/bundle", headers=wang) as resp:
        assert resp.status == 200, await resp.text()
        zipped = tmp_path / "bundle.zip"
        zipped.write_bytes(await resp.read())
    with zipfile.ZipFile(zipped) as z:
        root = z.namelist()[0].split("/")[0]
        index = json.loads(z.read(f"{root}/data/index.json"))
        for name, item in items.items():
            assert z.read(f"{root}/data/{item['object_key']}") == photos[name], name
    assert "export_problems" not in index
    assert sorted((p["path"], p["problem"]) for p in index["store_problems"]) == sorted(
        (f"data/{item['object_key']}", found[name]) for name, item in items.items())
    by_id = {i["id"]: i for i in index["items"]}
    assert by_id[items["over"]["id"]]["version_id"] == rows[items["over"]["id"]].version_id
    assert by_id[items["legacy"]["id"]]["version_id"] is None
    report = verify_bundle(zipped)
    assert sorted(report.lines()) == sorted(
        f"data/{item['object_key']}: in the object store at export, {found[name]} "
        "(the bundle holds the version stored on arrival)" for name, item in items.items())


# --- records: versions, statements, signatures, PDFs ---------------------------------


async def point_at(api: Api, versions: dict[str, str]) -> None:
    """With the database's keys too: evidence rows (by id) pointed at forged versions."""
    async with api.app[SESSIONS]() as session, session.begin():
        for item_id, version_id in versions.items():
            await session.execute(update(EvidenceItem).where(EvidenceItem.id == item_id)
                                  .values(version_id=version_id))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_record_objects_are_read_as_stored_and_what_shadows_them_is_named(
    api: Api, settings: Settings
) -> None:
    wang, case, path, draft, _ = await confirmed_record(api)
    sessions = api.app[SESSIONS]
    async with api.client.get(f"{path}.pdf?version=1", headers=wang) as resp:
        assert resp.status == 200
        pdf = await resp.read()
    listed = {i["kind"]: i for i in await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)}
    async with sessions() as session:
        assert all(r.version_id for r in await session.scalars(select(EvidenceItem)))

    record, statement = listed["record"], listed["confirmation"]
    signature, stored_pdf = listed["signature"], listed["record-pdf"]
    forged = json.loads(json.dumps(draft))
    forged["turns"][1]["text"] = "I never worked here."
    write_over(settings.s3, record["object_key"], json.dumps(forged).encode(), record["sha256"])
    write_over(settings.s3, statement["object_key"], b"{}", statement["sha256"])
    hide(settings.s3, signature["object_key"])
    hide(settings.s3, stored_pdf["object_key"])

    async with api.client.get(f"{path}.pdf?version=1", headers=wang) as resp:
        assert resp.status == 200 and await resp.read() == pdf
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    where = "confirmed by Zhang San (version 1)"
    assert verdict["ok"] is False
    assert sorted(verdict["problems"]) == sorted([
        f"version 1: {record['object_key']} in the object store: {OVER}",
        f"{where}: statement: {statement['object_key']} in the object store: {OVER}",
        f"{where}: {signature['object_key']} in the object store: {HIDDEN}",
    ])
    checked = await api.ok("POST", f"/api/evidence/{stored_pdf['id']}/verify", headers=wang)
    assert checked["ok"] is False and HIDDEN in checked["problem"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_record_objects_pointed_at_forgeries_are_named_never_a_500(
    api: Api, settings: Settings
) -> None:
    """Each row points at bytes that claim the original's SHA-256: the store's own check
    refuses them (IntegrityError, which is not a StoreError)."""
    wang, case, path, _, _ = await confirmed_record(api)
    listed = {i["kind"]: i for i in await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)}
    record, statement = listed["record"], listed["confirmation"]
    signature, stored_pdf = listed["signature"], listed["record-pdf"]
    await point_at(api, {item["id"]: write_over(settings.s3, item["object_key"], forged, item["sha256"])
                         for item, forged in ((record, b'{"turns": []}'), (statement, b"{}"),
                                              (signature, b"not a png"), (stored_pdf, b"%PDF-1.7"))})

    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    where = "confirmed by Zhang San (version 1)"
    assert verdict["ok"] is False
    assert sorted(verdict["problems"]) == sorted([
        f"version 1: {record['object_key']} does not match its SHA-256 (altered)",
        f"{where}: statement: {statement['object_key']} does not match its SHA-256 (altered)",
        f"{where}: {signature['object_key']} does not match its SHA-256 (altered)",
        f"{where}: its signature image is missing",
    ])
    status, body = await api.call("GET", f"{path}.pdf?version=1", headers=wang)
    assert (status, body["error"]) == (409, "integrity_error"), body
    assert body["message"] == "The stored PDF no longer matches its SHA-256."


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_stored_statement_forged_as_not_json_is_named(api: Api, settings: Settings) -> None:
    """Bytes with their own true SHA-256 pass the store's check; the row's SHA-256 names
    them altered, and what they hold need not even be JSON."""
    wang, case, path, _, _ = await confirmed_record(api)
    listed = {i["kind"]: i for i in await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)}
    statement = listed["confirmation"]
    forged = b"\xffnot json"
    await point_at(api, {statement["id"]: write_over(settings.s3, statement["object_key"], forged,
                                                     sha256_bytes(forged))})
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    where = "confirmed by Zhang San (version 1)"
    assert verdict["ok"] is False
    assert sorted(verdict["problems"]) == sorted([
        f"{where}: statement: {statement['object_key']} does not match its SHA-256 (altered)",
        f"{where}: the stored statement is not a JSON object",
    ])


# --- the migration -------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.fresh_database
async def test_the_migration_adds_version_ids_and_leaves_old_rows_null(database_url: str) -> None:
    engine = make_engine(database_url)

    def to(revision: str, down: bool = False):  # noqa: ANN202
        def run(connection) -> None:  # noqa: ANN001
            from alembic import command

            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
        return run

    try:
        async with engine.begin() as conn:
            await conn.run_sync(to("0005"))
            for sql in (
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at) "
                "VALUES ('u1', 'wang', 'Wang', 'inspector', 'x', :now)",
                "INSERT INTO cases (id, number, title, employer, description, status, created_by, "
                "created_at, updated_at) VALUES ('c1', 'N-1', 't', '', '', 'intake', 'u1', :now, :now)",
                "INSERT INTO evidence_items (id, case_id, kind, object_key, content_type, sha256, "
                "size, created_at, observed, claimed) VALUES ('i1', 'c1', 'upload', 'k', "
                f"'image/jpeg', '{SHA}', 1, :now, '{{}}', '{{}}')",
            ):
                await conn.execute(text(sql).bindparams(bindparam("now", type_=UTCDateTime())),
                                   {"now": datetime.now(UTC)})
        async with engine.begin() as conn:
            await conn.run_sync(to("head"))
            assert await conn.scalar(text("SELECT version_id FROM evidence_items")) is None
            columns = await conn.run_sync(lambda c: {
                t: {col["name"]: col for col in inspect(c).get_columns(t)}
                for t in ("segments", "evidence_items", "recordings")})
        for table, column in (("segments", "version_id"), ("evidence_items", "version_id"),
                              ("recordings", "manifest_version_id")):
            assert columns[table][column]["nullable"], (table, column)
        async with engine.begin() as conn:  # and back, and up again
            await conn.run_sync(to("0005", down=True))
            assert await conn.scalar(text("SELECT count(*) FROM evidence_items")) == 1
            await conn.run_sync(to("head"))
            assert await conn.scalar(text("SELECT sha256 FROM evidence_items")) == SHA
    finally:
        await engine.dispose()
