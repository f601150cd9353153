"""After a crash: what an upload left between the object store and the database is
recorded at the next start, and the spool's temporary files are cleared. The crash is
a fault injected at the one place it matters (after the bytes are stored, before the
rows are committed); the restart is a new application on the same data dir, database
and real SeaweedFS bucket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import cv2
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer

from server import app as server_app
from server.app import create_app
from server.appkeys import SESSIONS, STORE
from server.services import custody, uploads
from server.settings import Settings
from server.uploads.pending import Journal
from tests.support.api import Api, bearer


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'zeromeet.sqlite3'}"


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Api]:
    async with TestClient(TestServer(create_app(settings))) as client:
        yield Api(client)


def photo() -> bytes:
    image = np.zeros((480, 640, 3), np.uint8)
    image[..., 2] = np.linspace(0, 255, 640, dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


class Killed(Exception):
    """The process dies here: nothing after this point of the request happens."""


async def killed(*args: object, **kwargs: object) -> None:
    raise Killed()


async def test_an_upload_stored_before_a_crash_is_recorded_at_the_next_start(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(settings) as api:
        wang, case, interview = await api.setup_case()
        invite = await api.invite(wang, interview["id"])
        token = await api.login("wang")
        monkeypatch.setattr(uploads, "add_capture", killed)  # after the store, before the rows
        body = aiohttp.FormData()
        body.add_field("file", photo(), filename="工资条.jpg", content_type="image/jpeg")
        status, _ = await api.call("POST", f"/api/cases/{case['id']}/evidence",
                                   headers=bearer(invite["token"]), data=body)
        assert status == 500
        monkeypatch.undo()
        assert await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=token) == []
        keys = [o.object_name for o in api.app[STORE]._client.list_objects(
            api.app[STORE].bucket, prefix=f"cases/{case['id']}/", recursive=True)]
        assert len(keys) == 2, "the original and its thumbnail reached the store"

    async with running(settings) as api:  # the next start
        token = await api.login("wang")
        items = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=token)
        assert sorted(i["kind"] for i in items) == ["thumbnail", "upload"]
        original = next(i for i in items if i["kind"] == "upload")
        assert "could not be written when it arrived" in original["observed"]["recovered"]
        assert original["observed"]["uploader"]["name"] == "张三"
        assert original["claimed"]["filename"] == "工资条.jpg"
        async with api.client.get(f"/api/evidence/{original['id']}/content", headers=token) as r:
            assert r.status == 200 and await r.read() == photo()
        async with api.app[SESSIONS]() as session:
            events = await custody.events(session, case["id"])
        captured = [e for e in events if e["action"] == "captured"]
        assert len(captured) == 1 and captured[0]["item_id"] == original["id"]
        assert "recorded at" in captured[0]["detail"]["recovered"]
        assert captured[0]["actor"]["kind"] == "party"
        assert [e["action"] for e in events].count("derived") == 1
        assert list((settings.data_dir / "spool" / "uploads" / "pending").glob("*")) == []

    async with running(settings) as api:  # and only once
        token = await api.login("wang")
        assert len(await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=token)) == 2


async def test_a_crash_before_the_bytes_were_stored_leaves_nothing(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(settings) as api:
        wang, case, _ = await api.setup_case()

        monkeypatch.setattr(api.app[STORE], "put", killed)  # before the store answered
        body = aiohttp.FormData()
        body.add_field("file", photo(), filename="a.jpg", content_type="image/jpeg")
        status, _ = await api.call("POST", f"/api/cases/{case['id']}/evidence", headers=wang,
                                   data=body)
        assert status == 500
        monkeypatch.undo()
        pending = settings.data_dir / "spool" / "uploads" / "pending"
        assert len(list(pending.glob("*.json"))) == 1
    async with running(settings) as api:
        token = await api.login("wang")
        assert await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=token) == []
        assert list(pending.glob("*")) == []


async def test_temporary_files_a_crash_left_are_cleared_at_start(settings: Settings) -> None:
    spool = settings.data_dir / "spool"
    left = [spool / "uploads" / "upload-abc123.part", spool / "uploads" / "snapshot-x.png",
            spool / "downloads" / "download-y.part", spool / "exports" / "export-z.part"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * 4096)
    keep = spool / "uploads" / "pending" / "not-json.txt"
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text("an admin's note")
    async with running(settings):
        assert [p for p in left if p.exists()] == []
        assert keep.exists()


async def test_an_unreadable_journal_entry_is_kept_and_does_not_stop_the_start(
        settings: Settings) -> None:
    pending = settings.data_dir / "spool" / "uploads" / "pending"
    pending.mkdir(parents=True)
    (pending / "broken.json").write_text("{not json")
    (pending / "list.json").write_text(json.dumps([1, 2]))
    (pending / "old-shape.json").write_text(json.dumps({"original": {"object_key": 7}}))
    async with running(settings) as api:
        assert await api.ok("GET", "/api/keys") is not None
    assert sorted(p.name for p in pending.iterdir()) == ["broken.json", "list.json", "old-shape.json"]


async def test_a_database_failure_while_running_is_recorded_without_a_restart(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_app, "JOURNAL_SWEEP_S", 0.2)
    async with running(settings) as api:
        wang, case, _ = await api.setup_case()
        with monkeypatch.context() as failing:
            failing.setattr(uploads, "add_capture", killed)  # the database write fails
            body = aiohttp.FormData()
            body.add_field("file", photo(), filename="a.jpg", content_type="image/jpeg")
            status, _ = await api.call("POST", f"/api/cases/{case['id']}/evidence",
                                       headers=wang, data=body)
            assert status == 500
        for _ in range(100):
            items = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=wang)
            if items:
                break
            await asyncio.sleep(0.05)
        assert sorted(i["kind"] for i in items) == ["thumbnail", "upload"]


def test_the_sweep_leaves_captures_in_flight_alone(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.begin("running", {"original": {}})
    journal.begin("ended", {"original": {}})
    journal.release("ended")
    assert [item for item, _ in journal.entries()] == ["ended"]
    journal.done("running")
    assert [item for item, _ in journal.entries()] == ["ended"]


async def test_a_complainants_file_stored_before_a_crash_is_recorded_at_the_next_start(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.complaints import files
    from tests.support.complaints import bureau, file

    async with running(settings) as api:
        b = await bureau(api)
        filed = await file(api, b["city"])
        cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
        await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
        await api.ok("POST", f"/api/complaints/{cid}/ask", headers=b["zhao"], json={"what": "工资条"})
        monkeypatch.setattr(files, "record", killed)  # after the store, before the row
        body = aiohttp.FormData()
        body.add_field("file", photo(), filename="工资条.jpg", content_type="image/jpeg")
        status, _ = await api.call("POST", "/api/complaint/evidence", headers=bearer(filed["token"]), data=body)
        assert status == 500
        monkeypatch.undo()
        got = await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"])
        assert [f["kind"] for f in got["files"]] == ["form"] and got["paused"] is not None

    async with running(settings) as api:  # the next start
        zhao = await api.login("zhao")
        got = await api.ok("GET", f"/api/complaints/{cid}", headers=zhao)
        upload = [f for f in got["files"] if f["kind"] == "upload"]
        assert len(upload) == 1 and upload[0]["claimed"]["filename"] == "工资条.jpg"
        added = [h for h in got["history"] if h["action"] == "complaint_file_added"]
        assert added[0]["detail"]["recovered"] is True
        assert got["paused"] is None  # the material asked for has come
        assert list((settings.data_dir / "spool" / "complaints" / "pending").glob("*")) == []
