"""Forwarding as received: a participant's encoded frames sent on to another participant.

A `ForwardTrack` is what an outgoing slot's aiortc sender reads. Its `recv()` yields
`av.Packet`s, which aiortc's sender packetizes as they are (VP8: `Vp8Encoder.pack`, with
the sender's own SSRC, sequence numbers and picture ids; Opus: unchanged) — no encoder
runs, and the sender's RTP history answers the receiver's NACKs.

Timestamps: a sender keeps its RTP clock when its slot moves to another source (a
reconnect, a new party), so each slot has one `SlotClock`. A source's frames keep their
own spacing (their RTP timestamps); when a slot starts on a source, the offset is chosen
so that the slot's timestamps go on from now and never go back.

A forwarded video track starts at a keyframe: a decoder given a delta frame without the
keyframe before it shows garbage until the next one. So does a track that fell behind:
its queue is small, and when it overflows (the event loop is overloaded) it is flushed
and waits for a keyframe, and the source asks for one and raises its alarm — the
forwarded picture pauses, the recording (fed before any subscriber) loses nothing.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from collections.abc import Callable

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.packet import Packet

from media.source import EncodedFrame, ForwardTarget, Source

QUEUE_FRAMES = {"audio": 25, "video": 12}  # ≈ 0.5 s of audio, ≈ 0.4 s of video
# What a slot's sender packs: the server offers VP8 and Opus first and answers browsers
# with VP8 first (`media.peer._prefer_vp8`); a frame in another codec would be packed as
# garbage, so it is not forwarded (the recorder raises its codec alarm for it).
FORWARDABLE = {"audio": "opus", "video": "vp8"}
RATES = {"audio": 48000, "video": 90000}
OPUS_SILENCE = b"\xf8\xff\xfe"  # one 20 ms Opus frame of silence (CELT, fullband)

_EPOCH = time.monotonic()


class SlotClock:
    """The RTP clock of one outgoing slot, across every source it carries."""

    def __init__(self, kind: str) -> None:
        self.rate = RATES[kind]
        self._source: object = None
        self._offset = 0
        self.last: int | None = None

    def stamp(self, source: object, rtp: int) -> int:
        if source is not self._source:
            self._source = source
            self._offset = int((time.monotonic() - _EPOCH) * self.rate) - rtp
        pts = rtp + self._offset
        if self.last is not None and pts <= self.last:
            self._offset += self.last + 1 - pts
            pts = self.last + 1
        self.last = pts
        return pts

    def packet(self, source: object, data: bytes, rtp: int) -> Packet:
        packet = Packet(data)
        packet.pts = self.stamp(source, rtp)
        packet.time_base = fractions.Fraction(1, self.rate)
        return packet


class ForwardTrack(MediaStreamTrack, ForwardTarget):
    """One receiver's copy of a source. While `muted`, frames are dropped."""

    def __init__(self, source: Source, clock: SlotClock,
                 on_stop: Callable[[ForwardTrack], None] | None = None) -> None:
        super().__init__()
        self.kind = source.kind
        self.source = source
        self.muted = False
        self.forwarded = 0
        self.dropped = 0
        self._clock = clock
        self._on_stop = on_stop
        self._queue: asyncio.Queue[Packet | None] = asyncio.Queue(QUEUE_FRAMES[self.kind])
        self._waiting_keyframe = self.kind == "video"
        source.add(self)
        if self._waiting_keyframe:
            source.request_keyframe()

    def offer(self, frame: EncodedFrame) -> None:
        if self.muted or self.readyState != "live" or frame.codec.lower() != FORWARDABLE[self.kind]:
            return
        if self._waiting_keyframe:
            if not frame.keyframe:
                return
            self._waiting_keyframe = False
        if self._queue.full():
            self._fall_behind()
            if not frame.keyframe:
                return
            self._waiting_keyframe = False
        self._queue.put_nowait(self._clock.packet(self.source, frame.data, frame.rtp))

    def _fall_behind(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self.dropped += 1
        if self.kind == "video":
            self._waiting_keyframe = True
            self.source.fell_behind(self)

    def picture_lost(self) -> None:
        """The receiver asked for a keyframe (PLI or FIR)."""
        self.source.request_keyframe()

    def estimate(self, bps: int) -> None:
        self.source.estimate(self, bps)

    async def recv(self) -> Packet:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self._queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        self.forwarded += 1
        return packet

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:  # what is queued is not sent either
            while not self._queue.empty():
                self._queue.get_nowait()

    def release(self) -> None:
        """Leave a sender that is moving to another track, without ending it.

        aiortc's sender waits inside `recv()` of its current track and ends for good if
        that raises; handing it one harmless packet (video: empty, so nothing is sent;
        audio: 20 ms of silence) lets it move on to its next track.
        """
        self._detach()
        if self._queue.empty():
            data = b"" if self.kind == "video" else OPUS_SILENCE
            self._queue.put_nowait(self._clock.packet(self, data, 0))
        super().stop()

    def stop(self) -> None:
        if self.readyState == "live":
            self._detach()
            while self._queue.full():
                self._queue.get_nowait()
            self._queue.put_nowait(None)  # wakes a pending recv(), which then ends
            super().stop()

    def _detach(self) -> None:
        self.source.remove(self)
        if self._on_stop is not None:
            self._on_stop(self)
