"""Room seats: only connections that send media hold one, and inspectors always find one."""

from __future__ import annotations

import aiohttp
import pytest
from aiortc import RTCPeerConnection

from server.appkeys import ROOMS
from tests.support.rooms import Interview
from tests.support.rtc import PatternVideo, ToneAudio

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def video_from(who: str, frames: int = 10):  # noqa: ANN201
    def seen(client) -> bool:  # noqa: ANN001
        got = client.received.get(who, {}).get("video")
        return got is not None and got.frames >= frames
    return seen


async def _silent(room: Interview, http: aiohttp.ClientSession, name: str) -> aiohttp.ClientWebSocketResponse:
    """A party that joins the socket and never offers."""
    ws = await room.raw_socket(http)
    await ws.send_json({"type": "hello", "token": (await room.invite(name, "witness"))["token"]})
    assert (await ws.receive_json())["type"] == "welcome"
    return ws


async def test_silent_parties_do_not_lock_the_inspector_out(room: Interview) -> None:
    async with aiohttp.ClientSession() as http:
        silent = [await _silent(room, http, f"旁听{i}") for i in range(8)]
        assert len(room.api.app[ROOMS].find(room.id).peers) == 8
        inspector = await room.inspector()
        worker = await room.join((await room.invite("张三"))["token"], label=2)
        await inspector.wait_for(video_from(worker.you))
        await worker.wait_for(video_from(inspector.you))
        assert inspector.errors == [] and worker.errors == []
        for ws in silent:
            await ws.close()


async def test_parties_leave_the_inspectors_seats_free(room: Interview,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from server.views import signalling

    monkeypatch.setattr(signalling, "MAX_PEERS", 3)  # with two kept for staff: one party seat
    async with aiohttp.ClientSession() as http:
        await _silent(room, http, "旁听")
        late = await _silent(room, http, "李四")  # welcomed while the party seat was free
        worker = await room.join((await room.invite("张三"))["token"], label=2)
        pc = RTCPeerConnection()
        pc.addTransceiver(ToneAudio(), direction="sendonly")
        pc.addTransceiver(PatternVideo(), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        await late.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        while (message := await late.receive_json(timeout=10))["type"] != "error":
            assert message["type"] in ("participants", "event"), message
        assert message["error"] == "room_full"
        assert (await late.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await pc.close()
        with pytest.raises(ConnectionRefusedError, match="room_full"):
            await room.join((await room.invite("王五"))["token"])
        inspector = await room.inspector()
        await inspector.wait_for(video_from(worker.you))
        await worker.wait_for(video_from(inspector.you))
        # The worker leaves: its seat goes to the next party that sends media.
        gone = worker.you
        await worker.close()
        await inspector.wait_for(lambda c: any(m.get("event") == "left" and m.get("participant") == gone
                                               for m in c.messages))
        again = await room.join((await room.invite("赵六"))["token"], label=3)
        await inspector.wait_for(video_from(again.you))
