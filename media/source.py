"""One received track's encoded media, as the server got it, handed to whoever needs it.

A `Source` is the single reader of a participant's microphone or camera: the tap gives it
every encoded frame (video after aiortc's jitter buffer has put the frame together, audio
packet by packet), and it passes each one, in order, on the event loop thread, first to
its listeners (the recorder) and then to the forwarded tracks of every other participant
(`media.forward`). Nothing here decodes. Pictures are decoded only on demand: the video
frames since the last keyframe are kept so that a snapshot can decode them
(`media.snapshot`).

Keyframes are asked for in one place: the recorder (a segment is due), a receiver's PLI
or FIR, a new or resumed subscriber, a subscriber that fell behind. Requests within
`KEYFRAME_GAP_S` of the last PLI sent are coalesced into one sent when that window ends.

Bandwidth: every subscriber's receiver reports an estimate (REMB). The tightest one is
passed to the sender inside the REMB the server already sends it, never below
`FLOOR_BPS`, so that a party on weak mobile data sees a smaller picture instead of a
frozen one, and a recording keeps a usable picture whoever watches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci

from media import tap
from evidence.webm import vp8_keyframe

log = logging.getLogger(__name__)

KEYFRAME_GAP_S = 0.3  # at most one PLI per source this often
FLOOR_BPS = 200_000  # never ask a camera for less than this, whoever watches
ESTIMATE_TTL_S = 5.0  # a receiver's estimate older than this no longer counts
SHED_CLEAR_S = 10.0  # an overload alarm clears after this long without shedding
PICTURE_FRAMES = 900  # at most this many frames kept since a keyframe (≈ 30 s at 30 fps)

Listener = Callable[[str, bytes, int, int, int], None]  # tap.FrameSink
Alarm = Callable[[str, str | None], None]


@dataclass(frozen=True)
class EncodedFrame:
    """One frame as received: `rtp` on the track's own clock (unwrapped, starting near 0),
    `arrival_us` on the interview clock."""

    codec: str
    data: bytes
    rtp: int
    arrival_us: int
    keyframe: bool


class Source:
    def __init__(self, kind: str, receiver: RTCRtpReceiver, *, decode: bool = False) -> None:
        self.kind = kind
        self.receiver = receiver
        self.frames = 0
        self.last_frame_at: float | None = None  # time.monotonic() of the latest frame
        self.keyframes_sent = 0  # PLIs sent to the participant
        self.shed = 0  # times a subscriber fell behind and was reset to a keyframe
        self.ended = asyncio.Event()
        self.on_alarm: Alarm | None = None
        self._listeners: list[tuple[Listener, Callable[[], None]]] = []
        self._subscribers: set[ForwardTarget] = set()
        self._picture: list[EncodedFrame] = []
        self._last_pli = -1e9
        self._pli_pending: asyncio.TimerHandle | None = None
        self._estimates: dict[int, tuple[int, float]] = {}
        self._told_bps: int | None = None
        self._own_bps: int | None = None  # what the server's own estimator last said
        self._remb_ssrcs: list[int] = []
        self._shed_clear: asyncio.TimerHandle | None = None
        self.tap = tap.install(receiver, self._frame, self._end, decode=decode)
        if kind == "video":
            self._wrap_remb()

    # --- from the tap -----------------------------------------------------------------

    def _frame(self, codec: str, data: bytes, rtp: int, raw_rtp: int, arrival: int) -> None:
        self.frames += 1
        self.last_frame_at = time.monotonic()
        keyframe = self.kind == "audio" or vp8_keyframe(data)
        for on_frame, _ in list(self._listeners):
            try:
                on_frame(codec, data, rtp, raw_rtp, arrival)
            except Exception:
                log.exception("a %s listener failed", self.kind)
        frame = EncodedFrame(codec, data, rtp, arrival, keyframe)
        if self.kind == "video":
            self._keep_for_pictures(frame)
        for subscriber in list(self._subscribers):
            subscriber.offer(frame)

    def _end(self) -> None:
        for _, on_end in list(self._listeners):
            try:
                on_end()
            except Exception:
                log.exception("a %s listener failed at the end", self.kind)
        self.ended.set()

    def listen(self, on_frame: Listener, on_end: Callable[[], None]) -> None:
        """Be given every frame (before any subscriber) and the end."""
        self._listeners.append((on_frame, on_end))

    def unlisten(self, on_frame: Listener) -> None:
        self._listeners = [entry for entry in self._listeners if entry[0] != on_frame]

    # --- subscribers --------------------------------------------------------------------

    def add(self, target: ForwardTarget) -> None:
        self._subscribers.add(target)

    def remove(self, target: ForwardTarget) -> None:
        self._subscribers.discard(target)
        self._estimates.pop(id(target), None)
        self._tell_sender()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def fell_behind(self, target: ForwardTarget) -> None:
        """A subscriber's queue overflowed (the machine is overloaded): it now waits for a
        keyframe. Forwarding sheds; recording is never touched. Said loudly."""
        self.shed += 1
        self.request_keyframe()
        if self._shed_clear is None:
            log.warning("forwarding falls behind: a receiver of this %s was reset to the next "
                        "keyframe (recording continues)", self.kind)
            if self.on_alarm is not None:
                self.on_alarm("forwarding", "the server is overloaded: forwarding to the other "
                                            "participants drops frames; the recording is complete")
        else:
            self._shed_clear.cancel()
        self._shed_clear = asyncio.get_running_loop().call_later(SHED_CLEAR_S, self._shed_over)

    def _shed_over(self) -> None:
        self._shed_clear = None
        log.info("forwarding caught up")
        if self.on_alarm is not None:
            self.on_alarm("forwarding", None)

    # --- keyframes ----------------------------------------------------------------------

    def request_keyframe(self) -> None:
        """Ask the participant for a keyframe soon (RTCP PLI), at most once per window."""
        if self.kind != "video" or self.ended.is_set():
            return
        wait = self._last_pli + KEYFRAME_GAP_S - time.monotonic()
        if wait <= 0:
            self._send_pli()
        elif self._pli_pending is None:
            self._pli_pending = asyncio.get_running_loop().call_later(wait, self._send_pli)

    def _send_pli(self) -> None:
        self._pli_pending = None
        self._last_pli = time.monotonic()
        self.keyframes_sent += 1
        tap.request_keyframe(self.receiver)

    # --- pictures -----------------------------------------------------------------------

    def _keep_for_pictures(self, frame: EncodedFrame) -> None:
        if frame.keyframe:
            self._picture = [frame]
        elif self._picture:
            self._picture.append(frame)
            if len(self._picture) > PICTURE_FRAMES:
                self._picture.clear()
                self.request_keyframe()

    def picture(self) -> list[EncodedFrame]:
        """The frames since the latest keyframe, keyframe first (empty: none yet)."""
        return list(self._picture)

    # --- bandwidth ----------------------------------------------------------------------

    def estimate(self, target: ForwardTarget, bps: int) -> None:
        """A subscriber's receiver said how much it can take."""
        self._estimates[id(target)] = (bps, time.monotonic())
        self._tell_sender()

    def tightest(self) -> int | None:
        now = time.monotonic()
        live = [bps for bps, at in self._estimates.values() if now - at < ESTIMATE_TTL_S]
        return max(FLOOR_BPS, min(live)) if live else None

    def _wrap_remb(self) -> None:
        """Put the tightest receiver's estimate into the REMB aiortc sends this sender."""
        send = self.receiver._send_rtcp

        async def send_rtcp(packet: object) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                try:
                    bps, ssrcs = unpack_remb_fci(packet.fci)
                except ValueError:
                    bps, ssrcs = 0, []
                if ssrcs:
                    self._remb_ssrcs, self._own_bps = ssrcs, bps
                    tightest = self.tightest()
                    if tightest is not None and tightest < bps:
                        packet.fci = pack_remb_fci(tightest, ssrcs)
            await send(packet)

        self.receiver._send_rtcp = send_rtcp  # type: ignore[method-assign]

    def _tell_sender(self) -> None:
        """Send a REMB at once when the tightest estimate moved by more than a tenth."""
        tightest, own = self.tightest(), self._own_bps
        if self.kind != "video" or tightest is None or own is None or tightest >= own:
            return  # the server's own REMB, sent about every second, says the rest
        told = self._told_bps
        if told is not None and abs(tightest - told) <= told // 10:
            return
        ssrcs = self._remb_ssrcs or [s.source for s in self.receiver.getSynchronizationSources()]
        rtcp_ssrc = getattr(self.receiver, "_RTCRtpReceiver__rtcp_ssrc", None)
        if not ssrcs or rtcp_ssrc is None:
            return
        self._told_bps = tightest
        packet = RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                                fci=pack_remb_fci(tightest, ssrcs))
        task = asyncio.ensure_future(self.receiver._send_rtcp(packet))
        task.add_done_callback(tap.ignore_failure)

    def close(self) -> None:
        for handle in (self._pli_pending, self._shed_clear):
            if handle is not None:
                handle.cancel()
        self._pli_pending = self._shed_clear = None
        self._subscribers.clear()


class ForwardTarget:
    """What a `Source` forwards to (see `media.forward.ForwardTrack`)."""

    def offer(self, frame: EncodedFrame) -> None:
        raise NotImplementedError
