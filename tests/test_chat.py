"""The interview's text chat over real sockets to a real app: stamped by the server,
relayed to the room, refused when it is not plain text of a sensible length, kept in the
database as it arrives and stored at the end as one hash-chained `chat` evidence item."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from evidence import chat
from evidence.errors import StoreUnavailable
from evidence.verify import verify as verify_bundle
from server.app import create_app
from server.appkeys import CHAT, SESSIONS
from server.db.models import Invitation
from server.db.record_models import ChatMessage
from server.db.types import utcnow
from server.services.chat import MAX_CHARS
from server.settings import Settings
from tests.support.api import Api
from tests.support.rooms import Interview

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ROUTINE = ("participants", "event", "tracks", "offer", "pong")
Socket = aiohttp.ClientWebSocketResponse


async def next_of(ws: Socket, kind: str) -> dict:
    """The next message of `kind`; anything but the room's routine traffic is returned
    as it is (an error where a chat was expected shows in the assertion)."""
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == kind or message["type"] not in ROUTINE:
            return message


@asynccontextmanager
async def joined(room: Interview, http: aiohttp.ClientSession, token: str) -> AsyncIterator[Socket]:
    ws = await room.raw_socket(http)
    await ws.send_json({"type": "hello", "token": token})
    welcome = await ws.receive_json(timeout=10)
    assert welcome["type"] == "welcome", welcome
    try:
        yield ws
    finally:
        await ws.close()


def staff_token(room: Interview) -> str:
    return room.staff["Authorization"].split()[1]


def recent(at: str) -> bool:
    return abs(datetime.fromisoformat(at) - datetime.now(UTC)) < timedelta(seconds=30)


async def test_messages_are_relayed_to_everyone_with_the_servers_stamps(room: Interview) -> None:
    worker_invite = await room.invite("张三")
    async with aiohttp.ClientSession() as http, \
            joined(room, http, staff_token(room)) as inspector, \
            joined(room, http, worker_invite["token"]) as worker:
        # What the client says about time and sender is not taken: the server stamps.
        await worker.send_json({"type": "chat", "text": "  我听不到声音  ", "at": "1999-01-01T00:00:00+00:00",
                                "from": {"id": "someone-else", "name": "老板", "role": "inspector"}})
        for ws in (worker, inspector):  # the sender too: its confirmation
            got = await next_of(ws, "chat")
            assert got["seq"] == 1 and got["text"] == "我听不到声音" and got["to"] == "all"
            assert got["from"] == {"id": worker_invite["id"], "name": "张三", "role": "worker"}
            assert recent(got["at"]) and got["prev"] == chat.genesis(room.id)
        await inspector.send_json({"type": "chat", "text": "请用文字回答：您在这家公司工作多久了？"})
        for ws in (worker, inspector):
            got = await next_of(ws, "chat")
            assert got["seq"] == 2 and got["from"]["role"] == "inspector"
            assert got["from"]["name"] == "Wang" and got["text"].startswith("请用文字回答")
        # A reconnecting phone gets what was said meanwhile.
        async with joined(room, http, worker_invite["token"]) as again:
            history = await next_of(again, "chat_history")
            assert [m["seq"] for m in history["messages"]] == [1, 2]
    listed = await room.api.ok("GET", f"/api/interviews/{room.id}/chat", headers=room.staff)
    assert [m["text"] for m in listed] == ["我听不到声音", "请用文字回答：您在这家公司工作多久了？"]
    assert listed[1]["prev"] == listed[0]["hash"]
    # Only the case's staff read it; a party's link does not open it.
    await room.api.ok("GET", f"/api/interviews/{room.id}/chat", 403,
                      headers={"Authorization": f"Bearer {worker_invite['token']}"})
    other = await room.api.staff("li")
    await room.api.ok("GET", f"/api/interviews/{room.id}/chat", 404, headers=other)


async def test_a_message_that_is_not_plain_text_of_a_sensible_length_is_refused(room: Interview) -> None:
    worker_invite = await room.invite("张三")
    async with aiohttp.ClientSession() as http, \
            joined(room, http, staff_token(room)) as inspector, \
            joined(room, http, worker_invite["token"]) as worker:
        for text, code in (("x" * (MAX_CHARS + 1), "chat_too_long"), ("欠薪\u0007", "chat_control"),
                           ("第一行\n第二行", "chat_control"), ("付款\u202e0001", "chat_control"),
                           ("   ", "chat_empty"), (42, "bad_message"), (None, "bad_message")):
            await worker.send_json({"type": "chat", "text": text})
            refused = await next_of(worker, "error")
            assert refused["type"] == "error" and refused["error"] == code, (text, refused)
            assert refused["message"]
        # A lone surrogate is refused too (JSON may spell one; it is no text).
        await worker.send_str('{"type": "chat", "text": "\\ud800"}')
        assert (await next_of(worker, "error"))["error"] == "chat_control"
        # Nothing was relayed or kept: the next message is the first.
        edge = "满" * MAX_CHARS
        await worker.send_json({"type": "chat", "text": edge})
        for ws in (inspector, worker):
            got = await next_of(ws, "chat")
            assert (got["seq"], got["text"]) == (1, edge)
    listed = await room.api.ok("GET", f"/api/interviews/{room.id}/chat", headers=room.staff)
    assert [m["seq"] for m in listed] == [1]


async def test_a_muted_party_writes_to_the_inspectors_only_and_a_withdrawn_link_not_at_all(
        room: Interview) -> None:
    worker_invite, witness_invite = await room.invite("张三"), await room.invite("李四", "witness")
    async with aiohttp.ClientSession() as http, \
            joined(room, http, staff_token(room)) as inspector, \
            joined(room, http, worker_invite["token"]) as worker, \
            joined(room, http, witness_invite["token"]) as witness:
        await inspector.send_json({"type": "mute", "participant": worker_invite["id"], "muted": True})
        assert (await next_of(worker, "muted"))["muted"] is True
        await worker.send_json({"type": "chat", "text": "为什么不让我说话？"})
        for ws in (inspector, worker):
            got = await next_of(ws, "chat")
            assert (got["text"], got["to"]) == ("为什么不让我说话？", "staff")
        await inspector.send_json({"type": "chat", "text": "请先等证人说完。"})
        for ws in (inspector, worker, witness):  # the witness never saw the muted one
            assert (await next_of(ws, "chat"))["text"] == "请先等证人说完。"
        # The witness's phone reconnects (taking over from its first connection): what it
        # is sent of the past leaves the muted party's message out too.
        async with joined(room, http, witness_invite["token"]) as again:
            history = await next_of(again, "chat_history")
            assert [m["text"] for m in history["messages"]] == ["请先等证人说完。"]
            # A link withdrawn in the database (another server did it, or a moment ago) is
            # checked with each message: it ends the connection, and nothing is kept.
            async with room.api.app[SESSIONS]() as session, session.begin():
                await session.execute(update(Invitation).where(Invitation.id == witness_invite["id"])
                                      .values(revoked_at=utcnow()))
            await again.send_json({"type": "chat", "text": "我还在"})
            assert (await next_of(again, "error"))["error"] == "invitation_revoked"
            closing = await again.receive(timeout=10)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    listed = await room.api.ok("GET", f"/api/interviews/{room.id}/chat", headers=room.staff)
    assert [(m["text"], m["to"]) for m in listed] == [("为什么不让我说话？", "staff"), ("请先等证人说完。", "all")]


async def chat_items(api: Api, staff: dict[str, str], case_id: str) -> list[dict]:
    items = await api.ok("GET", f"/api/cases/{case_id}/evidence", headers=staff)
    return [i for i in items if i["kind"] == "chat"]


async def content(api: Api, staff: dict[str, str], item_id: str) -> bytes:
    async with api.client.get(f"/api/evidence/{item_id}/content", headers=staff) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read()


async def test_the_end_stores_the_chat_as_one_hash_chained_evidence_item(room: Interview) -> None:
    api, worker_invite = room.api, await room.invite("张三")
    texts = ["听得到吗？", "听不到，我打字", "好的，请说明欠薪的月份"]
    async with aiohttp.ClientSession() as http, \
            joined(room, http, staff_token(room)) as inspector, \
            joined(room, http, worker_invite["token"]) as worker:
        for ws, text in zip((inspector, worker, inspector), texts, strict=True):
            await ws.send_json({"type": "chat", "text": text})
            for reader in (inspector, worker):
                assert (await next_of(reader, "chat"))["text"] == text
        await api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
        assert (await next_of(worker, "ended"))["type"] == "ended"
    items = await chat_items(api, room.staff, room.case["id"])
    assert len(items) == 1
    item = items[0]
    assert item["interview_id"] == room.id and item["content_type"] == "application/x-ndjson"
    assert item["observed"]["status"] == "ended" and item["observed"]["messages"] == 3
    data = await content(api, room.staff, item["id"])
    assert hashlib.sha256(data).hexdigest() == item["sha256"] and len(data) == item["size"]
    lines = [json.loads(line) for line in data.decode().splitlines()]
    assert [line["text"] for line in lines] == texts
    assert set(lines[0]) == {"at", "from", "text", "to", "prev", "hash"}
    assert lines[1]["from"] == {"id": worker_invite["id"], "name": "张三", "role": "worker"}
    assert [line["prev"] for line in lines[1:]] == [line["hash"] for line in lines[:-1]]
    assert item["observed"]["head"] == lines[-1]["hash"]
    observed = item["observed"]
    assert chat.check(room.id, data, count=observed["messages"], head=observed["head"]) == []
    # A line removed or altered shows; so does one cut off the end.
    raw = data.splitlines(keepends=True)
    removed = raw[0] + raw[2]
    assert "does not follow" in " ".join(map(str, chat.check(room.id, removed)))
    altered = data.replace("欠薪".encode(), "加班".encode())
    assert "altered" in " ".join(map(str, chat.check(room.id, altered)))
    assert chat.check(room.id, raw[0] + raw[1], count=3, head=observed["head"]) != []
    assert chat.check(room.id, raw[1] + raw[0] + raw[2]) != []  # reordered
    assert chat.check(room.id, data[:-1]) != []  # the last line cut short
    assert chat.check("another-interview", data) != []  # bound to this interview
    # Its custody event, by the server, naming the log's hash and head.
    custody = await api.ok("GET", f"/api/cases/{room.case['id']}/custody?item={item['id']}",
                           headers=room.staff)
    stored = [e for e in custody["events"] if e["action"] == "stored"]
    assert len(stored) == 1 and custody["ok"]
    assert stored[0]["actor"] == {"kind": "server"}
    assert stored[0]["detail"] == {"kind": "chat", "messages": 3, "head": observed["head"],
                                   "sha256": item["sha256"], "status": "ended"}
    # The sweep finds nothing more to store; the messages all name the stored log.
    await api.app[CHAT].sweep()
    assert len(await chat_items(api, room.staff, room.case["id"])) == 1



async def test_the_bundle_carries_the_chat_and_zeromeet_verify_checks_its_chain(
        room: Interview, tmp_path: Path) -> None:
    """A message row changed in the database before the end (by whoever holds its keys)
    breaks the chain: the stored log says so, and the offline verifier names it."""
    api, worker_invite = room.api, await room.invite("张三")
    async with aiohttp.ClientSession() as http, \
            joined(room, http, staff_token(room)) as inspector, \
            joined(room, http, worker_invite["token"]) as worker:
        for text in ("听得到吗？", "听不到，我打字"):
            await inspector.send_json({"type": "chat", "text": text})
            assert (await next_of(worker, "chat"))["text"] == text
        async with api.app[SESSIONS]() as session, session.begin():
            await session.execute(update(ChatMessage).where(ChatMessage.seq == 1).values(text="听得到。"))
        await api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    [item] = await chat_items(api, room.staff, room.case["id"])
    assert item["observed"]["chain_problems"]
    async with api.client.post(f"/api/cases/{room.case['id']}/bundle", headers=room.staff) as resp:
        assert resp.status == 200
        zipped = tmp_path / "bundle.zip"
        zipped.write_bytes(await resp.read())
    report = verify_bundle(zipped)
    assert [p for p in report.lines() if "chat log:" in p], report.problems
    assert all("chat log:" in p for p in report.lines()), report.problems


async def test_messages_outlive_a_server_stopped_mid_interview(settings: Settings) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        api = Api(client)
        room = Interview(api)
        await room.setup()
        worker_invite = await room.invite("张三")
        async with aiohttp.ClientSession() as http, joined(room, http, worker_invite["token"]) as worker:
            await worker.send_json({"type": "chat", "text": "网络不好，我先打字"})
            assert (await next_of(worker, "chat"))["seq"] == 1
            # The server stops (cleanly) with the phone still on the line.
    async with TestClient(TestServer(create_app(settings))) as client:
        api = Api(client)
        staff = await api.login("wang")
        listed = await api.ok("GET", f"/api/interviews/{room.id}/chat", headers=staff)
        assert [(m["seq"], m["text"]) for m in listed] == [(1, "网络不好，我先打字")]
        # What there was at the stop was stored as an interrupted log.
        items = await chat_items(api, staff, room.case["id"])
        assert [(i["observed"]["status"], i["observed"]["messages"]) for i in items] == [("interrupted", 1)]
        # The interview goes on after the restart and ends: the full log is stored.
        restarted = Interview(api)
        restarted.id = room.id
        async with aiohttp.ClientSession() as http, \
                joined(restarted, http, worker_invite["token"]) as worker:
            assert [m["seq"] for m in (await next_of(worker, "chat_history"))["messages"]] == [1]
            await worker.send_json({"type": "chat", "text": "现在好了"})
            assert (await next_of(worker, "chat"))["seq"] == 2
            await api.ok("POST", f"/api/interviews/{room.id}/end", headers=staff)
        items = await chat_items(api, staff, room.case["id"])
        final = [i for i in items if i["observed"]["status"] == "ended"]
        assert len(items) == 2 and len(final) == 1 and final[0]["observed"]["messages"] == 2
        first = next(i for i in items if i is not final[0])
        assert final[0]["observed"]["replaces"] == [first["id"]]
        data = await content(api, staff, final[0]["id"])
        assert chat.check(room.id, data, count=2, head=final[0]["observed"]["head"]) == []


class StoreAway:
    """An object store that cannot be reached."""

    async def put(self, key: str, source: object, **kwargs: object) -> None:
        raise StoreUnavailable("the object store does not answer")


async def test_a_log_the_store_could_not_take_at_the_end_is_stored_by_the_sweep(room: Interview) -> None:
    api, worker_invite = room.api, await room.invite("张三")
    logs = api.app[CHAT]
    async with aiohttp.ClientSession() as http, joined(room, http, worker_invite["token"]) as worker:
        await worker.send_json({"type": "chat", "text": "结束前最后一句"})
        assert (await next_of(worker, "chat"))["seq"] == 1
        store, logs._store = logs._store, StoreAway()
        try:  # the end goes through all the same
            await api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
        finally:
            logs._store = store
    assert await chat_items(api, room.staff, room.case["id"]) == []
    await logs.sweep()
    items = await chat_items(api, room.staff, room.case["id"])
    assert [(i["observed"]["status"], i["observed"]["messages"]) for i in items] == [("ended", 1)]
    await logs.sweep()  # nothing left to store
    assert len(await chat_items(api, room.staff, room.case["id"])) == 1
