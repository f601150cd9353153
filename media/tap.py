"""Encoded frames straight from an aiortc receiver, before its decoder sees them.

aiortc reassembles each received frame in its jitter buffer and puts it on a queue that
its decoder thread reads. It has no public way to get at those encoded frames (aiortc
#449), so `install` swaps that queue for one that hands every frame to a callback, on the
event loop thread, in order. With `decode=False` (forwarding: the server never looks at
pictures) the decoder is given nothing and sleeps; with `decode=True` it gets exactly what
it got before.

Without decoding, audio is taken packet by packet as it arrives rather than from the
jitter buffer: an Opus packet is a frame, and aiortc's audio jitter buffer holds four
packets back and, after one lost packet, drops five more (aiortc #543). A packet older
than the newest one seen (reordered or repeated) is counted and dropped.

A frame leaves the jitter buffer later than its packets came (video waits for the next
frame's first packet), so the tap also notes when the first packet of each RTP timestamp
arrived, and reports that as the frame's arrival.

This reaches into private attributes of `RTCRtpReceiver`; pyproject pins aiortc to the
minor version this was written against, and `TapUnavailable` says so loudly if a
different aiortc changed them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from aiortc.codecs import is_rtx
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from media.clock import clock_us

log = logging.getLogger(__name__)

_QUEUE = "_RTCRtpReceiver__decoder_queue"
_THREAD = "_RTCRtpReceiver__decoder_thread"
_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
_CODECS = "_RTCRtpReceiver__codecs"
_REMEMBERED = 256  # RTP timestamps whose first arrival is kept (≈ 5 s of audio)

# codec name ("VP8", "opus", ...), frame bytes, RTP timestamp unwrapped from the first
# packet, RTP timestamp as sent, arrival of its first packet (µs, interview clock).
FrameSink = Callable[[str, bytes, int, int, int], None]
EndSink = Callable[[], None]


class TapUnavailable(RuntimeError):
    """This aiortc does not hand encoded frames over the way this module expects."""


class Tap(queue.Queue):  # type: ignore[type-arg]
    """The receiver's decoder queue, in our hands. `decoded` counts frames the decoder got."""

    def __init__(self, receiver: RTCRtpReceiver, on_frame: FrameSink, on_end: EndSink, *,
                 decode: bool, per_packet: bool) -> None:
        super().__init__()
        self._mapper = getattr(receiver, _MAPPER)
        self._codecs: dict[int, Any] = getattr(receiver, _CODECS)
        self._on_frame, self._on_end = on_frame, on_end
        self._decode, self.per_packet = decode, per_packet
        self._ended = False
        self.arrivals: OrderedDict[int, int] = OrderedDict()
        self.decoded = 0
        self.late = 0  # packets dropped as older than one already passed on (per packet)
        self._seq: int | None = None  # extended sequence number of the newest packet
        self._origin: int | None = None  # first RTP timestamp, and the unwrapped latest
        self._unwrapped = 0
        self._raw = 0

    def packet(self, packet: RtpPacket) -> None:
        if packet.timestamp not in self.arrivals:
            self.arrivals[packet.timestamp] = clock_us()
            if len(self.arrivals) > _REMEMBERED:
                self.arrivals.popitem(last=False)

    def whole_packet(self, packet: RtpPacket) -> None:
        """Per-packet delivery: one RTP packet of a codec whose packets are frames (Opus)."""
        codec = self._codecs.get(packet.payload_type)
        if codec is None or is_rtx(codec) or not packet.payload or self._ended:
            return
        if self._seq is None:
            self._seq = packet.sequence_number
            self._origin = self._raw = packet.timestamp
        else:
            step = ((packet.sequence_number - self._seq) + 0x8000) % 0x10000 - 0x8000
            if step <= 0:
                self.late += 1
                return
            self._seq += step
            self._unwrapped += ((packet.timestamp - self._raw) + (1 << 31)) % (1 << 32) - (1 << 31)
            self._raw = packet.timestamp
        self._deliver(codec.name, packet.payload, self._unwrapped, packet.timestamp, clock_us())

    def _deliver(self, codec: str, data: bytes, rtp: int, raw: int, arrival: int) -> None:
        try:
            self._on_frame(codec, data, rtp, raw, arrival)
        except Exception:
            # The call and the other recordings go on; the recorder's watchdog raises the alarm.
            log.exception("recording tap failed")

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            if not self._ended:
                self._ended = True
                try:
                    self._on_end()
                except Exception:
                    log.exception("recording tap failed at the end")
            super().put(item, block, timeout)
            return
        if not self.per_packet:
            codec, frame = item
            raw = (frame.timestamp + self._mapper._origin) & 0xFFFFFFFF
            arrival = self.arrivals.get(raw) or clock_us()
            self._deliver(codec.name, frame.data, frame.timestamp, raw, arrival)
        if self._decode:
            self.decoded += 1
            super().put(item, block, timeout)


def install(receiver: RTCRtpReceiver, on_frame: FrameSink, on_end: EndSink, *,
            decode: bool = True) -> Tap:
    """Tap `receiver`; call before it starts (aiortc starts it after the `track` event)."""
    current = getattr(receiver, _QUEUE, None)
    mapper = getattr(receiver, _MAPPER, None)
    if (not isinstance(current, queue.Queue) or not hasattr(receiver, _THREAD)
            or not hasattr(mapper, "_origin") or not isinstance(getattr(receiver, _CODECS, None), dict)):
        raise TapUnavailable("this aiortc version keeps encoded frames elsewhere; "
                             "recording needs the aiortc version pinned in pyproject.toml")
    if getattr(receiver, _THREAD) is not None:
        raise TapUnavailable("the receiver has already started")
    tap = Tap(receiver, on_frame, on_end, decode=decode,
              per_packet=not decode and receiver.track.kind == "audio")
    setattr(receiver, _QUEUE, tap)
    handle = receiver._handle_rtp_packet

    async def handle_and_note(packet: RtpPacket, *args: Any, **kwargs: Any) -> None:
        tap.packet(packet)
        await handle(packet, *args, **kwargs)
        if tap.per_packet and receiver._enabled:
            tap.whole_packet(packet)

    receiver._handle_rtp_packet = handle_and_note  # type: ignore[method-assign]
    return tap


def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Ask the sender for a keyframe (RTCP PLI), so a new video segment can start."""
    for source in receiver.getSynchronizationSources():
        task = asyncio.ensure_future(receiver._send_rtcp_pli(source.source))
        task.add_done_callback(ignore_failure)


def ignore_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("an RTCP send failed: %s", task.exception())
