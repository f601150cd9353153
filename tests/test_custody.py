"""The custody log: concurrent appends stay one chain on both databases, the admin check
names the first broken link, and a small case exports to a bundle that verifies."""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence import custody as log
from evidence.verify import verify
from server import auth
from server.app import create_app
from server.appkeys import SESSIONS, SIGNING_KEY
from server.db.engine import make_engine, sessionmaker_for
from server.db.models import CustodyEvent
from server.services import custody
from server.settings import Settings
from tests.support.api import Api
from tests.support.proc import env_for, run
from tests.support.databases import BOTH


@BOTH
async def test_concurrent_appends_make_one_chain_and_the_check_names_the_first_break(
        api: Api, settings: Settings) -> None:
    inspector, case, _ = await api.setup_case()

    async def append(n: int) -> None:
        async with api.app[SESSIONS]() as session, session.begin():
            await custody.record(session, case_id=case["id"], action="viewed",
                                 actor={"kind": "staff", "n": n}, detail={"n": n})

    await asyncio.gather(*(append(n) for n in range(12)))
    key = api.app[SIGNING_KEY]
    async with api.app[SESSIONS]() as session, session.begin():
        await custody.checkpoint(session, key, case["id"])
        events = await custody.events(session, case["id"])
        points = await custody.checkpoints(session, case["id"])
    assert [e["seq"] for e in events] == list(range(1, 13))
    assert sorted(e["detail"]["n"] for e in events) == list(range(12))
    assert log.check_log(case["id"], events, points, key.public_key()) == []

    env = env_for(settings.data_dir, ZEROMEET_DATABASE_URL=settings.database_url)
    done = run(["custody", "check"], env)
    assert done.returncode == 0 and "OK" in done.stdout, done

    async with api.app[SESSIONS]() as session, session.begin():
        row = await session.scalar(select(CustodyEvent).where(
            CustodyEvent.case_id == case["id"], CustodyEvent.seq == 5))
        await session.execute(update(CustodyEvent).where(CustodyEvent.id == row.id)
                              .values(body=row.body.replace('"kind": "staff"', '"kind": "admin"')))
    done = run(["custody", "check"], env)
    assert done.returncode == 1, done
    first = done.stdout.splitlines()[0]
    assert case["number"] in first and "first broken link: custody event 5" in first, done.stdout

    # A row whose body is JSON but not an event is named, not a traceback.
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(CustodyEvent).where(
            CustodyEvent.case_id == case["id"], CustodyEvent.seq == 7).values(body="[1, 2]"))
    done = run(["custody", "check"], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done
    assert "custody event 7" in done.stdout, done.stdout

    # Pointed at the wrong data directory, the check says so; it makes no key of its own
    # (which would make every signature look forged).
    elsewhere = env_for(settings.data_dir.parent / "elsewhere",
                        ZEROMEET_DATABASE_URL=settings.database_url)
    done = run(["custody", "check"], elsewhere)
    assert done.returncode == 2 and "no signing key" in done.stderr, done
    assert not (settings.data_dir.parent / "elsewhere" / "signing-key.pem").exists()


def test_the_log_check_catches_removal_reordering_and_a_moved_checkpoint() -> None:
    key = Ed25519PrivateKey.generate()
    events, prev = [], log.genesis("c")
    for seq in range(1, 6):
        event = log.make_event(case_id="c", seq=seq, at=f"t{seq}", action="viewed",
                               actor={"kind": "server"}, item_id=None, detail={}, prev=prev)
        events.append(event)
        prev = event["hash"]
    point = log.sign_checkpoint(key, case_id="c", seq=5, head=prev, at="t6")
    assert log.check_log("c", events, [point], key.public_key()) == []
    removed = events[:2] + events[3:]
    assert "custody event 3: sequence number 4" in str(log.check_log("c", removed, [point], key.public_key())[0])
    swapped = [events[0], events[2], events[1], *events[3:]]
    assert any("broken link" in str(p) for p in log.check_log("c", swapped, [], None))
    truncated = events[:4]
    assert any("not the signed head" in str(p) for p in log.check_log("c", truncated, [point], None))
    other = Ed25519PrivateKey.generate().public_key()
    assert any("signature does not verify" in str(p) for p in log.check_log("c", events, [point], other))
    with pytest.raises(ValueError):
        log.make_event(case_id="c", seq=1, at="t", action="deleted", actor={}, item_id=None,
                       detail={}, prev=log.genesis("c"))


async def test_a_case_without_media_exports_and_verifies(api: Api, tmp_path: Path) -> None:
    inspector, case, _ = await api.setup_case()
    await api.staff("li", role="legal")
    await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=inspector, json={"username": "li"})
    async with api.client.post(f"/api/cases/{case['id']}/bundle", headers=inspector) as resp:
        assert resp.status == 200, await resp.text()
        assert case["number"] in resp.headers["Content-Disposition"]
        data = await resp.read()
    path = tmp_path / "b.zip"
    path.write_bytes(data)
    report = verify(path)
    assert report.ok, report.problems
    assert report.counts["custody events"] == 2 and "inside the bundle" in report.summary()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert all(n.startswith(f"{case['number']}/") for n in z.namelist())
        assert len(z.read(f"{case['number']}/tagmanifest-sha256.txt.sig")) == 64
    # A second export is a new custody event and a new checkpoint; the first still verifies.
    async with api.client.post(f"/api/cases/{case['id']}/bundle", headers=inspector) as resp:
        second = tmp_path / "c.zip"
        second.write_bytes(await resp.read())
    assert verify(second).counts["custody events"] == 3 and verify(path).ok
    assert run(["verify", str(tmp_path / "missing.zip")], env_for(tmp_path / "d")).returncode == 2
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    done = run(["verify", str(tmp_path / "junk.zip")], env_for(tmp_path / "d"))
    assert done.returncode == 1 and "not a readable zip" in done.stdout, done


async def test_a_moved_head_is_signed_on_the_clock_and_at_a_clean_stop(settings: Settings) -> None:
    async def append(sessions: async_sessionmaker, case_id: str, n: int) -> None:
        async with sessions() as session, session.begin():
            await custody.record(session, case_id=case_id, action="viewed",
                                 actor={"kind": "staff"}, detail={"n": n})

    async def signed(sessions: async_sessionmaker, case_id: str) -> tuple[list[dict], list[dict]]:
        async with sessions() as session:
            return await custody.events(session, case_id), await custody.checkpoints(session, case_id)

    async def covered(sessions: async_sessionmaker, case_id: str) -> list[dict]:
        for _ in range(100):
            events, points = await signed(sessions, case_id)
            if points and points[-1]["seq"] == events[-1]["seq"]:
                return points
            await asyncio.sleep(0.1)
        raise AssertionError(f"the head {events[-1]['seq']} was not signed: {points}")

    fast = settings.with_(checkpoint_every=timedelta(seconds=0.2))
    async with TestClient(TestServer(create_app(fast))) as client:
        sessions, key = client.app[SESSIONS], client.app[SIGNING_KEY]
        api = Api(client)
        inspector, case, _ = await api.setup_case()
        quiet = await api.case(inspector, "别的")
        await append(sessions, case["id"], 1)
        first = await covered(sessions, case["id"])
        await asyncio.sleep(1)  # five ticks: a head that did not move is not signed again
        assert (await signed(sessions, case["id"]))[1] == first
        await append(sessions, case["id"], 2)
        assert len(await covered(sessions, case["id"])) == len(first) + 1
        assert (await signed(sessions, quiet["id"]))[1] == []  # a case with no events yet
        public = key.public_key()

    slow = settings.with_(checkpoint_every=timedelta(hours=1))
    async with TestClient(TestServer(create_app(slow))) as client:
        await append(client.app[SESSIONS], case["id"], 3)
        events, before = await signed(client.app[SESSIONS], case["id"])
        assert before[-1]["seq"] == events[-1]["seq"] - 1  # the clock has not ticked: an hour
    engine = make_engine(settings.database_url)
    try:
        events, points = await signed(sessionmaker_for(engine), case["id"])
    finally:
        await engine.dispose()
    assert points[-1]["seq"] == events[-1]["seq"] and len(points) == len(before) + 1
    assert log.check_log(case["id"], events, points, public) == []


async def test_a_ticket_lets_the_same_session_download_once_and_follow_its_progress(
        api: Api, tmp_path: Path) -> None:
    inspector, case, _ = await api.setup_case()
    other = await api.case(inspector, "别的")
    base = f"/api/cases/{case['id']}/bundle"
    ticket = await api.ok("POST", f"{base}/ticket", 201, headers=inspector)
    assert ticket["url"] == f"{base}?ticket={ticket['ticket']}"
    state = await api.ok("GET", ticket["progress_url"], headers=inspector)
    assert state["state"] == "issued" and state["written"] == 0

    async with api.client.get(ticket["url"], headers=inspector) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        body = await resp.read()
    (tmp_path / "b.zip").write_bytes(body)
    assert verify(tmp_path / "b.zip").ok
    state = await api.ok("GET", ticket["progress_url"], headers=inspector)
    assert (state["state"], state["written"]) == ("done", len(body))
    assert state["name"] == f"{case['number']}-evidence.zip"

    # Once only; for this case only; for this session only; not after it expires.
    token = inspector["Authorization"].split()[1]
    li = await api.staff("li", role="legal")
    await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=inspector, json={"username": "li"})
    expired = auth.bundle_ticket(token, case["id"], int(time.time()) - 1)
    forged = ticket["ticket"][:-4] + ("0000" if not ticket["ticket"].endswith("0000") else "1111")
    for url, headers, status, code in (
            (ticket["url"], inspector, 410, "ticket_used"),
            (f"/api/cases/{other['id']}/bundle?ticket={ticket['ticket']}", inspector, 403, "ticket_invalid"),
            (ticket["url"], li, 403, "ticket_invalid"),
            (f"{base}?ticket={forged}", inspector, 403, "ticket_invalid"),
            (f"{base}?ticket=", inspector, 403, "ticket_invalid"),
            (f"{base}?ticket={expired}", inspector, 410, "ticket_expired")):
        got, answer = await api.call("GET", url, headers=headers)
        assert (got, answer["error"]) == (status, code), (url, answer)
    got, answer = await api.call("GET", ticket["progress_url"], headers=li)
    assert (got, answer["error"]) == (404, "no_such_export")
    stranger = await api.staff("zhao", role="legal")
    got, _ = await api.call("POST", f"{base}/ticket", headers=stranger)
    assert got == 404  # a case they are not on does not exist for them
    events = [e["action"] for e in (await api.ok("GET", f"/api/cases/{case['id']}/custody",
                                                 headers=inspector))["events"]]
    assert events.count("exported") == 1  # refused downloads export nothing
