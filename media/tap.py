"""Encoded frames straight from an aiortc receiver, before its decoder sees them.

aiortc reassembles each received frame in its jitter buffer and puts it on a queue that
its decoder thread reads. It has no public way to get at those encoded frames (aiortc
#449), so `install` swaps that queue for one that also hands every frame to a callback,
on the event loop thread, in order. The decoder gets exactly what it got before.

A frame leaves the jitter buffer later than its packets came (audio waits for four more
packets, video for the next frame's first), so the tap also notes when the first packet
of each RTP timestamp arrived, and reports that as the frame's arrival.

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

from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtp import RtpPacket

from media.clock import clock_us

log = logging.getLogger(__name__)

_QUEUE = "_RTCRtpReceiver__decoder_queue"
_THREAD = "_RTCRtpReceiver__decoder_thread"
_MAPPER = "_RTCRtpReceiver__timestamp_mapper"
_REMEMBERED = 256  # RTP timestamps whose first arrival is kept (≈ 5 s of audio)

# codec name ("VP8", "opus", ...), frame bytes, RTP timestamp unwrapped from the first
# packet, RTP timestamp as sent, arrival of its first packet (µs, interview clock).
FrameSink = Callable[[str, bytes, int, int, int], None]
EndSink = Callable[[], None]


class TapUnavailable(RuntimeError):
    """This aiortc does not hand encoded frames over the way this module expects."""


class _TapQueue(queue.Queue):  # type: ignore[type-arg]
    def __init__(self, receiver: RTCRtpReceiver, on_frame: FrameSink, on_end: EndSink) -> None:
        super().__init__()
        self._mapper = getattr(receiver, _MAPPER)
        self._on_frame, self._on_end = on_frame, on_end
        self._ended = False
        self.arrivals: OrderedDict[int, int] = OrderedDict()

    def packet(self, timestamp: int) -> None:
        if timestamp not in self.arrivals:
            self.arrivals[timestamp] = clock_us()
            if len(self.arrivals) > _REMEMBERED:
                self.arrivals.popitem(last=False)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        try:
            if item is None:
                if not self._ended:
                    self._ended = True
                    self._on_end()
            else:
                codec, frame = item
                raw = (frame.timestamp + self._mapper._origin) & 0xFFFFFFFF
                arrival = self.arrivals.get(raw) or clock_us()
                self._on_frame(codec.name, frame.data, frame.timestamp, raw, arrival)
        except Exception:
            # The call and the other recordings go on; the recorder's watchdog raises the alarm.
            log.exception("recording tap failed")
        super().put(item, block, timeout)


def install(receiver: RTCRtpReceiver, on_frame: FrameSink, on_end: EndSink) -> None:
    """Tap `receiver`; call before it starts (aiortc starts it after the `track` event)."""
    current = getattr(receiver, _QUEUE, None)
    mapper = getattr(receiver, _MAPPER, None)
    if (not isinstance(current, queue.Queue) or not hasattr(receiver, _THREAD)
            or not hasattr(mapper, "_origin")):
        raise TapUnavailable("this aiortc version keeps encoded frames elsewhere; "
                             "recording needs the aiortc version pinned in pyproject.toml")
    if getattr(receiver, _THREAD) is not None:
        raise TapUnavailable("the receiver has already started")
    tap = _TapQueue(receiver, on_frame, on_end)
    setattr(receiver, _QUEUE, tap)
    handle = receiver._handle_rtp_packet

    async def handle_and_note(packet: RtpPacket, arrival_time_ms: int) -> None:
        tap.packet(packet.timestamp)
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle_and_note  # type: ignore[method-assign]


def request_keyframe(receiver: RTCRtpReceiver) -> None:
    """Ask the sender for a keyframe (RTCP PLI), so a new video segment can start."""
    for source in receiver.getSynchronizationSources():
        task = asyncio.ensure_future(receiver._send_rtcp_pli(source.source))
        task.add_done_callback(_ignore)


def _ignore(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("keyframe request failed: %s", task.exception())
