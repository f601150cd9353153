"""Forwarding as received (media/source.py, media/forward.py) with real aiortc peers: no
decoder runs in the server, pictures recover from keyframe requests and lost packets,
the tightest receiver sets the sender's bitrate, and recordings keep every frame."""

from __future__ import annotations

import asyncio
import itertools
import time
from types import SimpleNamespace

import pytest
from aiortc.codecs import vpx
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpReceiver
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci

from media import source as source_module
from media.forward import ForwardTrack, SlotClock
from media.source import FLOOR_BPS, KEYFRAME_GAP_S, Source
from server.appkeys import ROOMS
from tests.support.api import Api
from tests.support.rooms import Interview
from tests.support.rtc import RtcClient
from tests.support.stalls import LoopWatch

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def frames_from(client: RtcClient, who: str, kind: str = "video") -> int:
    got = client.received.get(who, {}).get(kind)
    return got.frames if got is not None else 0


def server_peers(room: Interview) -> dict:
    return room.api.app[ROOMS].find(room.id).peers


@SQLITE
async def test_media_goes_to_every_other_party_and_no_decoder_runs(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    witness = await room.join((await room.invite("李四", "witness"))["token"], label=3)
    parties = [inspector, worker, witness]
    for client in parties:
        for other in parties:
            if other is not client:
                await client.wait_for(lambda c, o=other: frames_from(c, o.you) >= 15
                                      and (320, 240) in c.received[o.you]["video"].sizes
                                      and frames_from(c, o.you, "audio") >= 20)
    for peer in server_peers(room).values():
        assert set(peer.incoming) == {"audio", "video"} and peer.decoded == {}
        for kind, source in peer.incoming.items():
            # Received, recorded and forwarded, never given to aiortc's decoder.
            assert source.frames > 0 and source.tap.decoded == 0, (peer.id, kind)
            assert source.receiver.track._queue.qsize() == 0
            assert source.subscribers == 2
        for slot in peer.slots:
            assert isinstance(slot.track, ForwardTrack) and slot.track.forwarded > 0


@SQLITE
async def test_a_late_joiner_and_a_reconnecting_party_see_a_picture_within_2_s(
        room: Interview, loop_watch: LoopWatch) -> None:
    inspector = await room.inspector()
    token = (await room.invite("张三"))["token"]
    worker = await room.join(token, label=2)
    await inspector.wait_for(lambda c: frames_from(c, worker.you) >= 30)
    await asyncio.sleep(1.0)  # the first keyframe is long gone: a joiner now needs a new one
    witness = await room.join((await room.invite("李四", "witness"))["token"], label=3)
    await witness.wait_for(lambda c: frames_from(c, inspector.you) > 0 and frames_from(c, worker.you) > 0,
                           timeout=5)
    # Within 2 s of the time this process had: the peers share its loop with the server,
    # and on a loaded machine the loop runs behind (a fresh-clone run: 2.13 s).
    for who in (inspector.you, worker.you):
        first = witness.received[who]["video"].first_at
        assert first - witness.answered_at < 2.0 + loop_watch.lag(witness.answered_at, first)

    # The worker's phone reconnects (a new connection of the same link replaces the old one).
    again = await room.join(token, label=2)
    before = frames_from(inspector, again.you)
    await inspector.wait_for(lambda c: frames_from(c, again.you) >= before + 3, timeout=5)
    assert time.monotonic() - again.answered_at < 2.0 + loop_watch.lag(again.answered_at)


@SQLITE
async def test_a_picture_request_brings_a_keyframe_within_a_second_and_bursts_are_coalesced(
        room: Interview) -> None:
    inspector = await room.join(room.staff["Authorization"].split()[1], label=1, cheap=True)
    worker = await room.join((await room.invite("张三"))["token"], label=2, cheap=True)
    await inspector.wait_for(lambda c: frames_from(c, worker.you) >= 30)
    await worker.wait_for(lambda c: frames_from(c, inspector.you) >= 30)
    source = server_peers(room)[worker.you].incoming["video"]
    asked = source.keyframes_sent
    delays = await inspector.keyframe_delays()
    assert delays and all(d is not None and d < 1.0 for d in delays), delays
    assert source.keyframes_sent > asked

    # Twenty requests in 0.1 s reach the worker's phone as one or two: at most one PLI
    # goes to a source every KEYFRAME_GAP_S, whoever asks (a loaded run's recorder asks
    # too, and a loop running behind stretches the burst).
    await asyncio.sleep(0.5)
    sent: list[float] = []
    send = source._send_pli

    def counted() -> None:
        sent.append(time.monotonic())
        send()

    source._send_pli = counted
    receiving = next(t for t in inspector.pc.getTransceivers()
                     if t.kind == "video" and t.direction != "sendonly")
    ssrc = receiving.receiver.getSynchronizationSources()[0].source
    began = time.monotonic()
    for _ in range(20):
        await receiving.receiver._send_rtcp_pli(ssrc)
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.5)
    spacing = [b - a for a, b in itertools.pairwise(sent)]
    assert sent and sent[0] - began < 1.0, (sent, began)
    assert all(gap >= KEYFRAME_GAP_S - 0.001 for gap in spacing), spacing


@SQLITE
async def test_lost_packets_are_sent_again_from_the_servers_history(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    await worker.wait_for(lambda c: frames_from(c, inspector.you) >= 20)
    receiving = next(t for t in worker.pc.getTransceivers()
                     if t.kind == "video" and t.direction != "sendonly")
    handle = receiving.receiver._handle_rtp_packet
    vp8 = {pt for pt, codec in receiving.receiver._RTCRtpReceiver__codecs.items()
           if codec.mimeType.lower() == "video/vp8"}
    dropped: list[int] = []

    async def lose_five(packet, *args, **kwargs):
        if len(dropped) < 5 and packet.payload_type in vp8 and packet.sequence_number not in dropped:
            dropped.append(packet.sequence_number)
            return None  # lost on the way
        return await handle(packet, *args, **kwargs)

    slot = next(s for s in server_peers(room)[worker.you].slots if s.kind == "video")
    retransmit = slot.transceiver.sender._retransmit
    resent: list[int] = []

    async def count(sequence_number: int) -> None:
        resent.append(sequence_number)
        await retransmit(sequence_number)

    slot.transceiver.sender._retransmit = count
    receiving.receiver._handle_rtp_packet = lose_five
    await worker.wait_for(lambda c: len(dropped) == 5)
    before = frames_from(worker, inspector.you)
    await worker.wait_for(lambda c: frames_from(c, inspector.you) >= before + 30, timeout=5)
    assert set(dropped) <= set(resent)


@SQLITE
async def test_a_receiver_with_little_bandwidth_lowers_the_senders_bitrate(room: Interview) -> None:
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    await worker.wait_for(lambda c: frames_from(c, inspector.you) >= 1)
    receiving = next(t.receiver for t in worker.pc.getTransceivers()
                     if t.kind == "video" and t.direction != "sendonly")
    receiving._RTCRtpReceiver__remote_bitrate_estimator = None  # its estimate is ours alone
    await worker.wait_for(lambda c: frames_from(c, inspector.you) >= 20)
    sending = next(t.sender for t in inspector.pc.getTransceivers()
                   if t.kind == "video" and t.direction == "sendonly")
    encoder = sending._RTCRtpSender__encoder
    # A fresh-clone run found the sender at 250 kbit/s here: on a loaded machine an
    # estimate (the worker's, then silenced only now, or the server's own) read a stalled
    # loop as congestion. The worker's is silenced early now; a low estimate expires
    # (ESTIMATE_TTL_S) and the server's own climbs back, 5 s after a 100 kbit/s REMB here.
    deadline = time.monotonic() + 30
    while encoder.target_bitrate < 400_000:
        assert time.monotonic() < deadline, encoder.target_bitrate
        await asyncio.sleep(0.2)
    ssrc = receiving.getSynchronizationSources()[0].source
    rtcp_ssrc = receiving._RTCRtpReceiver__rtcp_ssrc
    # The worker's link can take 100 kbit/s: its receiver says so, as a browser's would.
    deadline = time.monotonic() + 10
    while encoder.target_bitrate > max(FLOOR_BPS, vpx.MIN_BITRATE) and time.monotonic() < deadline:
        await receiving._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                                                  fci=pack_remb_fci(100_000, [ssrc])))
        await asyncio.sleep(0.2)
    # The server passed on the tightest estimate, raised to the floor that keeps the
    # recording usable; aiortc's encoder goes no lower than its own minimum, 250 kbit/s.
    assert encoder.target_bitrate == max(FLOOR_BPS, vpx.MIN_BITRATE)
    assert server_peers(room)[inspector.you].incoming["video"].tightest() == FLOOR_BPS
    heard = frames_from(worker, inspector.you, "audio")
    await worker.wait_for(lambda c: frames_from(c, inspector.you, "audio") >= heard + 25)


@SQLITE
async def test_recordings_keep_every_frame_the_server_received_under_load(api: Api) -> None:
    rooms = [Interview(api) for _ in range(4)]
    await rooms[0].setup()
    for room in rooms[1:]:  # more interviews of the same inspector's case
        room.staff, room.case = rooms[0].staff, rooms[0].case
        room.interview = await api.interview(room.staff, room.case["id"])
        room.id = room.interview["id"]
    try:
        for room in rooms:
            room.pair = [await room.join(room.staff["Authorization"].split()[1], label=1, cheap=True),
                         await room.join((await room.invite("张三"))["token"], label=2, cheap=True)]
        for room in rooms:
            a, b = room.pair
            await a.wait_for(lambda c, b=b: frames_from(c, b.you) >= 30)
            await b.wait_for(lambda c, a=a: frames_from(c, a.you) >= 30)
        await asyncio.sleep(3)
        sources = {room.id: {(pid, kind): s for pid, peer in server_peers(room).items()
                             for kind, s in peer.incoming.items()} for room in rooms}
        for room in rooms:
            await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
        for room in rooms:
            detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
            assert len(detail["recordings"]) == 4
            for rec in detail["recordings"]:
                full = await room.api.ok("GET", f"/api/recordings/{rec['id']}", headers=room.staff)
                kept = sum(s["frames"] for s in full["segments"])
                source = sources[room.id][(rec["participant"]["id"], rec["kind"])]
                # The recorder's only refusal: after a gap over 1 s (on a loaded machine, a
                # loop that stalled long enough for its UDP socket to overflow, so that the
                # media has a hole) a segment must start on a keyframe, so the delta frames
                # before the one it asks for are left out, and counted.
                recorder = source._listeners[0][0].__self__
                assert rec["state"] == "sealed" and source.frames > 100
                assert kept + recorder.skipped == source.frames, (rec["kind"], kept, source.frames)
                # At most about 3 s of video a gap: the keyframe it asks for comes one
                # round trip later, which a fresh-clone run on a loaded machine saw take
                # 1.7 s (52 frames); a run with three stalls skipped 108 in all.
                gaps = sum(1 for s in full["segments"] if s["gap"])
                assert recorder.skipped <= 90 * max(1, gaps), (recorder.skipped, gaps)
    finally:
        await asyncio.gather(*(room.close() for room in rooms), return_exceptions=True)


# --- one source and one forwarded track, without a network ------------------------------

def _source(monkeypatch: pytest.MonkeyPatch) -> tuple[Source, list[float]]:
    plis: list[float] = []
    monkeypatch.setattr(source_module.tap, "request_keyframe", lambda receiver: plis.append(time.monotonic()))
    receiver = RTCRtpReceiver("video", SimpleNamespace(state="new"))
    receiver._track = RemoteStreamTrack(kind="video")
    return Source("video", receiver), plis


KEY = b"\x10\x02\x00\x9d\x01\x2a\x80\x02\xe0\x01" + bytes(100)  # a 640×480 VP8 keyframe header
DELTA = b"\x11" + bytes(50)


async def test_a_receiver_that_falls_behind_waits_for_a_keyframe_and_the_alarm_says_so(
        monkeypatch: pytest.MonkeyPatch) -> None:
    source, plis = _source(monkeypatch)
    alarms: list[tuple[str, str | None]] = []
    source.on_alarm = lambda code, message: alarms.append((code, message))
    track = ForwardTrack(source, SlotClock("video"))  # nobody reads it: an overloaded sender
    assert plis  # a new receiver asks for a keyframe at once
    source._frame("VP8", DELTA, 0, 0, 0)
    assert track._queue.qsize() == 0  # nothing before a keyframe
    for i in range(30):
        source._frame("VP8", KEY if i == 0 else DELTA, 3000 * (i + 1), 0, 0)
    assert source.shed == 1 and track.dropped == 12 and track._waiting_keyframe
    assert alarms == [("forwarding", alarms[0][1])] and "recording is complete" in alarms[0][1]
    source._frame("VP8", KEY, 3000 * 40, 0, 0)
    assert track._queue.qsize() == 1 and not track._waiting_keyframe
    packets = [track._queue.get_nowait()]
    source._frame("VP8", DELTA, 3000 * 41, 0, 0)
    packets.append(track._queue.get_nowait())
    assert packets[1].pts - packets[0].pts == 3000  # the source's own spacing, on the slot's clock
    # The picture kept for snapshots starts at the latest keyframe.
    assert [f.keyframe for f in source.picture()] == [True, False]
    source.close()


async def test_a_frame_in_a_codec_the_slot_cannot_pack_is_not_forwarded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    source, _ = _source(monkeypatch)
    track = ForwardTrack(source, SlotClock("video"))
    source._frame("VP8", KEY, 0, 0, 0)
    source._frame("H264", b"\x00\x00\x00\x01\x65" + bytes(50), 3000, 0, 0)
    source._frame("VP8", DELTA, 6000, 0, 0)
    assert track._queue.qsize() == 2  # the keyframe and the VP8 delta frame, not the H.264
    source.close()


async def test_keyframe_requests_are_rate_limited_but_never_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    source, plis = _source(monkeypatch)
    for _ in range(10):
        source.request_keyframe()
    assert len(plis) == 1
    await asyncio.sleep(source_module.KEYFRAME_GAP_S + 0.1)
    assert len(plis) == 2  # the requests of the window, sent once when it ended
    assert plis[1] - plis[0] >= source_module.KEYFRAME_GAP_S - 0.01
    source.close()


async def test_a_slot_clock_never_goes_back_when_its_source_changes() -> None:
    clock, first, second = SlotClock("video"), object(), object()
    stamps = [clock.stamp(first, rtp) for rtp in (900_000, 903_000, 906_000)]
    stamps.append(clock.stamp(second, 0))  # a reconnect starts its RTP clock near zero
    stamps.append(clock.stamp(second, 3000))
    assert stamps == sorted(set(stamps)) and stamps[-1] - stamps[-2] == 3000
