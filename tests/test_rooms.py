"""Interview rooms with real aiortc peers on both ends of real WebSockets."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import update

from server.appkeys import ROOMS, SESSIONS
from server.db.models import Invitation
from server.db.types import utcnow
from tests.support.api import Api
from tests.support.rooms import Interview
from tests.support.rtc import RtcClient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def video_from(who: str, size: tuple[int, int] = (320, 240), frames: int = 10):  # noqa: ANN201
    def seen(client: RtcClient) -> bool:
        got = client.received.get(who, {}).get("video")
        return got is not None and got.frames >= frames and size in got.sizes
    return seen


def audio_from(who: str, frames: int = 20):  # noqa: ANN201
    def heard(client: RtcClient) -> bool:
        got = client.received.get(who, {}).get("audio")
        return got is not None and got.frames >= frames
    return heard


async def test_media_flows_both_ways_and_the_interview_goes_live(room: Interview) -> None:
    worker_invite = await room.invite("张三")
    inspector = await room.inspector()
    worker = await room.join(worker_invite["token"], label=2)
    await inspector.wait_for(video_from(worker.you))
    await inspector.wait_for(audio_from(worker.you))
    await worker.wait_for(video_from(inspector.you))
    await worker.wait_for(audio_from(inspector.you))

    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    assert detail["state"] == "live" and detail["started_at"] is not None
    people = {p["id"]: p for p in detail["participants"]}
    assert people[worker.you]["connected"] and people[worker.you]["role"] == "worker"
    assert people[inspector.you]["connected"] and people[inspector.you]["kind"] == "staff"


async def test_a_third_party_sees_both_and_both_see_it(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    witness = await room.join((await room.invite("李四", "witness"))["token"], label=3, width=160, height=120)
    await witness.wait_for(video_from(inspector.you))
    await witness.wait_for(video_from(worker.you))
    await inspector.wait_for(video_from(witness.you, (160, 120)))
    await worker.wait_for(video_from(witness.you, (160, 120)))
    roster = [m for m in witness.messages if m["type"] == "participants"][-1]["participants"]
    assert {p["id"] for p in roster} == {inspector.you, worker.you, witness.you}


async def test_leaving_and_rejoining_is_recorded_with_the_gap(room: Interview) -> None:
    token = (await room.invite("张三"))["token"]
    inspector = await room.inspector()
    worker = await room.join(token, label=2)
    await inspector.wait_for(video_from(worker.you))
    worker_id = worker.you
    await worker.close()
    await inspector.wait_for(lambda c: any(m.get("event") == "left" and m.get("participant") == worker_id
                                           for m in c.messages))
    await asyncio.sleep(0.5)
    again = await room.join(token, label=2)
    before = inspector.received[worker_id]["video"].frames
    await inspector.wait_for(lambda c: c.received[worker_id]["video"].frames > before + 10)
    assert any(m.get("event") == "rejoined" for m in inspector.messages)
    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    history = next(p for p in detail["participants"] if p["id"] == worker_id)["connections"]
    assert len(history) == 2 and history[0]["end_reason"] == "left"
    assert history[0]["disconnected_at"] < history[1]["connected_at"]
    assert history[1]["disconnected_at"] is None and again.you == worker_id


async def test_the_newest_connection_of_a_link_takes_over(room: Interview) -> None:
    token = (await room.invite("张三"))["token"]
    inspector = await room.inspector()
    first = await room.join(token, label=2)
    second = await room.join(token, label=4)
    await first.wait_for(lambda c: any(m["type"] == "replaced" for m in c.messages))
    await inspector.wait_for(video_from(second.you, frames=40))
    # The others are told it was a takeover, not a reconnect after a drop.
    assert any(m.get("event") == "rejoined" and m.get("reason") == "takeover" for m in inspector.messages)
    room_state = room.api.app[ROOMS].find(room.id)
    assert len(room_state.peers) == 2


async def test_muting_a_party_stops_forwarding_but_not_receiving(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    witness = await room.join((await room.invite("李四", "witness"))["token"], label=3)
    await witness.wait_for(audio_from(worker.you))
    await inspector.ws.send_json({"type": "mute", "participant": worker.you, "muted": True})
    await worker.wait_for(lambda c: any(m["type"] == "muted" and m["muted"] for m in c.messages))
    await asyncio.sleep(0.5)
    server_side = room.api.app[ROOMS].find(room.id).peers[worker.you].incoming["audio"]
    heard, received = witness.received[worker.you]["audio"].frames, server_side.frames
    await asyncio.sleep(1.5)
    assert witness.received[worker.you]["audio"].frames - heard < 15  # unmuted: ≈75 in 1.5 s
    assert server_side.frames - received >= 15  # the server still receives (≈50 frames/s unloaded)
    await inspector.ws.send_json({"type": "mute", "participant": worker.you, "muted": False})
    await witness.wait_for(lambda c: c.received[worker.you]["audio"].frames > heard + 20)
    # A party may not mute anyone.
    await worker.ws.send_json({"type": "mute", "participant": inspector.you, "muted": True})
    await worker.wait_for(lambda c: any(e["error"] == "forbidden" for e in c.errors))


async def test_bad_signalling_is_refused_and_the_room_carries_on(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    await inspector.wait_for(video_from(worker.you))
    async with aiohttp.ClientSession() as http:
        witness_token = (await room.invite("王五", "witness"))["token"]
        ws = await room.raw_socket(http)
        await ws.send_json({"type": "hello", "token": witness_token})
        assert (await ws.receive_json())["type"] == "welcome"
        for bad in ("not json", json.dumps([1]), json.dumps({"type": "dance"}),
                    json.dumps({"type": "offer", "sdp": "garbage"}),
                    json.dumps({"type": "offer", "sdp": "v=0\r\nnonsense"}),
                    json.dumps({"type": "answer", "sdp": "v=0"}),
                    json.dumps({"type": "mute", "participant": worker.you, "muted": True}),
                    "x" * 70_000):
            await ws.send_str(bad)
            message = await _next_of(ws, "error")
            assert message["type"] == "error", (bad[:40], message)
            assert message["error"] in {"bad_message", "unknown_type", "bad_sdp", "forbidden", "too_large"}, bad
        await ws.send_json({"type": "ping"})
        assert (await _next_of(ws, "pong"))["type"] == "pong"
        # A flood closes only the flooding connection.
        for _ in range(60):
            await ws.send_json({"type": "ping"})
        assert (await _next_of(ws, "error", skip=("pong",)))["error"] == "rate_limited"
        assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await ws.close()
    before = inspector.received[worker.you]["video"].frames
    await inspector.wait_for(lambda c: c.received[worker.you]["video"].frames > before + 15)
    assert worker.errors == [] and inspector.errors == []


async def test_wrong_tokens_and_ended_interviews_are_refused(room: Interview) -> None:
    api = room.api
    other = await api.interview(room.staff, room.case["id"])
    other_token = (await api.invite(room.staff, other["id"], name="外人"))["token"]
    revoked = await room.invite("甲")
    await api.ok("POST", f"/api/invites/{revoked['id']}/revoke", headers=room.staff)
    expired = await room.invite("乙")
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Invitation).where(Invitation.id == expired["id"])
                              .values(expires_at=utcnow() - timedelta(seconds=1)))
    legal = await api.staff("li", "legal")
    await api.ok("POST", f"/api/cases/{room.case['id']}/members", 201, headers=room.staff,
                 json={"username": "li"})
    async with aiohttp.ClientSession() as http:
        for hello, code in (
            ({"type": "hello", "token": "zmi_" + "x" * 43}, "invitation_invalid"),
            ({"type": "hello", "token": "zms_nothing"}, "unauthenticated"),
            ({"type": "hello"}, "unauthenticated"),
            ({"type": "hello", "token": other_token}, "not_found"),
            ({"type": "hello", "token": revoked["token"]}, "invitation_revoked"),
            ({"type": "hello", "token": expired["token"]}, "invitation_expired"),
            ({"type": "hello", "token": legal["Authorization"].split()[1]}, "forbidden"),
            ({"type": "offer", "sdp": "v=0"}, "unauthenticated"),
        ):
            ws = await room.raw_socket(http)
            await ws.send_json(hello)
            answer = await ws.receive_json()
            assert (answer["type"], answer["error"]) == ("error", code), hello
            assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    await api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    for client in (inspector, worker):
        await client.wait_for(lambda c: any(m["type"] == "ended" for m in c.messages))
    # The room tells everyone first and writes each connection's end after: wait for it.
    for _ in range(100):
        detail = await api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
        if all(not p["connected"] for p in detail["participants"]):
            break
        await asyncio.sleep(0.1)
    assert all(not p["connected"] for p in detail["participants"]), detail["participants"]
    assert {c["end_reason"] for p in detail["participants"] for c in p["connections"]} == {"ended"}
    with pytest.raises(ConnectionRefusedError, match="interview_ended"):
        await room.join(worker.token)


async def test_cookie_sockets_need_our_own_origin(room: Interview, api: Api) -> None:
    await api.call("POST", "/api/login", json={"username": "wang", "password": "correct horse battery"})
    for origin, expected in (("http://evil.example", "error"), (None, "welcome")):
        headers = {"Origin": origin} if origin else {}
        ws = await room.raw_socket(api.client.session, headers=headers)
        await ws.send_json({"type": "hello"})
        answer = await ws.receive_json()
        assert answer["type"] == expected, origin
        if expected == "error":
            assert answer["error"] == "bad_origin"
        await ws.close()
    own = str(api.client.make_url("/")).rstrip("/")
    ws = await room.raw_socket(api.client.session, headers={"Origin": own})
    await ws.send_json({"type": "hello"})
    assert (await ws.receive_json())["type"] == "welcome"
    await ws.close()


async def test_no_hello_in_time_is_refused(room: Interview, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.views import signalling

    monkeypatch.setattr(signalling, "HELLO_TIMEOUT", 0.3)
    async with aiohttp.ClientSession() as http:
        ws = await room.raw_socket(http)
        answer = await ws.receive_json(timeout=5)
        assert answer["error"] == "hello_timeout"


async def _next_of(ws: aiohttp.ClientWebSocketResponse, kind: str, skip: tuple[str, ...] = ()) -> dict:
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == kind:
            return message
        if message["type"] not in skip + ("participants", "event", "tracks", "offer"):
            return message


async def test_a_full_room_and_a_silent_connection_are_refused(room: Interview,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from server.views import signalling

    monkeypatch.setattr(signalling, "MAX_PEERS", 1)
    inspector = await room.inspector()
    with pytest.raises(ConnectionRefusedError, match="room_full"):
        await room.join((await room.invite("张三"))["token"])
    # Short only for the silent socket: the inspector's own offer may take longer than
    # half a second on a loaded machine (a fresh-clone run saw it refused so).
    monkeypatch.setattr(signalling, "OFFER_TIMEOUT", 0.5)
    async with aiohttp.ClientSession() as http:
        monkeypatch.setattr(signalling, "MAX_PEERS", 8)
        ws = await room.raw_socket(http)
        await ws.send_json({"type": "hello", "token": (await room.invite("李四", "witness"))["token"]})
        assert (await ws.receive_json())["type"] == "welcome"
        answer = await _next_of(ws, "error")
        assert answer["error"] == "offer_timeout"
        assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert inspector.errors == []


async def test_revoking_a_link_puts_its_holder_out_of_the_call(room: Interview) -> None:
    invitation = await room.invite("张三")
    inspector = await room.inspector()
    worker = await room.join(invitation["token"], label=2)
    await inspector.wait_for(video_from(worker.you))
    await room.api.ok("POST", f"/api/invites/{invitation['id']}/revoke", headers=room.staff)
    await worker.wait_for(lambda c: any(m.get("error") == "invitation_revoked" for m in c.messages))
    await inspector.wait_for(lambda c: any(m.get("event") == "left" and m.get("participant") == worker.you
                                           for m in c.messages))
    assert await _end_reasons(room, worker.you) == ["revoked"]
    with pytest.raises(ConnectionRefusedError, match="invitation_revoked"):
        await room.join(invitation["token"])


async def _end_reasons(room: Interview, participant: str) -> list[str | None]:
    """The participant's connection end reasons, once every connection has one: the
    room tells the others before the database write that closes the connection."""
    for _ in range(100):
        detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
        history = next(p for p in detail["participants"] if p["id"] == participant)["connections"]
        reasons = [c["end_reason"] for c in history]
        if None not in reasons:
            break
        await asyncio.sleep(0.05)
    return reasons


async def test_an_offer_with_extra_tracks_is_refused(room: Interview) -> None:
    from aiortc import RTCPeerConnection

    from tests.support.rtc import PatternVideo

    async with aiohttp.ClientSession() as http:
        ws = await room.raw_socket(http)
        await ws.send_json({"type": "hello", "token": (await room.invite("张三"))["token"]})
        assert (await ws.receive_json())["type"] == "welcome"
        pc = RTCPeerConnection()
        for _ in range(3):
            pc.addTransceiver(PatternVideo(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = await _next_of(ws, "error")
        assert answer["error"] == "bad_sdp" and "at most one" in answer["message"]
        await pc.close()
        await ws.close()



async def test_logging_out_ends_that_sessions_connection(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    await worker.wait_for(video_from(inspector.you))
    await room.api.ok("POST", "/api/logout", headers=room.staff)
    await inspector.wait_for(lambda c: any(m.get("error") == "unauthenticated" for m in c.messages))
    await worker.wait_for(lambda c: any(m.get("event") == "left" and m.get("participant") == inspector.you
                                        for m in c.messages))
