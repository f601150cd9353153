"""Fan one received track out to many consumers, reading it exactly once.

aiortc hands each received track to a queue that grows without bound unless someone
reads it, so a `TrackFanout` always reads its source, whoever listens. Each consumer gets
a `FanoutTrack` with a small bounded queue: a slow consumer loses its oldest frames, and
never slows the others or the reader.

The end of a source does not end its consumers: an aiortc sender whose track ends is
dead for good, and the room reuses senders for whoever comes next. Consumers end when
their owner stops or releases them; `TrackFanout.ended` tells who wants to know.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from av.frame import Frame

log = logging.getLogger(__name__)

QUEUE_FRAMES = {"audio": 25, "video": 4}  # ≈ 0.5 s of audio, ≈ 130 ms of video


class FanoutTrack(MediaStreamTrack):
    """One consumer's view of a fanned-out track. While `muted`, frames are dropped."""

    def __init__(self, kind: str, on_stop: Callable[[FanoutTrack], None]) -> None:
        super().__init__()
        self.kind = kind
        self.muted = False
        self.dropped = 0
        self._queue: asyncio.Queue[Frame | None] = asyncio.Queue(QUEUE_FRAMES[kind])
        self._on_stop = on_stop

    def offer(self, frame: Frame | None) -> None:
        if frame is not None and self.muted:
            return
        self._put(frame)

    def _put(self, frame: Frame | None) -> None:
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(frame)

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        self._last = frame
        _restamp(frame)
        return frame

    def release(self) -> None:
        """Leave a sender that is moving to another track, without ending it.

        aiortc's sender waits inside `recv()` of its current track and ends for good if
        that raises; handing it one more frame lets it move on to its next track.
        """
        self._on_stop(self)
        if self._queue.empty():
            self._put(getattr(self, "_last", None) or _blank(self.kind))
        super().stop()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        if muted:  # what is queued is not sent either
            while self._queue.qsize() > 0:
                self._queue.get_nowait()

    def stop(self) -> None:
        if self.readyState == "live":
            self._on_stop(self)
            self._put(None)  # wakes a pending recv(), which then ends
            super().stop()


_EPOCH = time.monotonic()


def _restamp(frame: Frame) -> None:
    """Stamp a frame with this process's clock before it reaches an encoder.

    A sender keeps its encoder when its track is swapped (a reconnect, a new party), and
    libvpx refuses timestamps that go back — every new source starts at zero. One
    monotonic clock for all gives every sender rising timestamps, whichever subscriber
    stamps a shared frame last (a sender finishes a frame before it asks for the next).
    """
    rate = 90000 if isinstance(frame, VideoFrame) else (frame.sample_rate or 48000)
    frame.pts = int((time.monotonic() - _EPOCH) * rate)
    frame.time_base = fractions.Fraction(1, rate)


def _blank(kind: str) -> Frame:
    if kind == "video":
        frame = VideoFrame(width=320, height=240, format="yuv420p")
        for plane, value in zip(frame.planes, (16, 128, 128)):
            plane.update(bytes([value]) * plane.buffer_size)
    else:
        frame = AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(bytes(frame.planes[0].buffer_size))
        frame.sample_rate = 48000
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90000 if kind == "video" else 48000)
    return frame


class TrackFanout:
    """Reads `source` from `start()` until it ends or `stop()`; hands every frame to each
    subscriber. `frames` counts what was read; `last_frame` is kept for snapshots."""

    def __init__(self, source: MediaStreamTrack) -> None:
        self.source = source
        self.kind = source.kind
        self.frames = 0
        self.last_frame: Frame | None = None
        self.last_frame_at: float | None = None  # time.monotonic() when it was read, as elsewhere
        self._subscribers: set[FanoutTrack] = set()
        self._task: asyncio.Task[None] | None = None
        self.ended = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"fanout-{self.kind}")

    def subscribe(self, *, muted: bool = False) -> FanoutTrack:
        track = FanoutTrack(self.kind, self._subscribers.discard)
        track.muted = muted
        self._subscribers.add(track)
        return track

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.source.recv()
                self.frames += 1
                self.last_frame, self.last_frame_at = frame, time.monotonic()
                for subscriber in list(self._subscribers):
                    subscriber.offer(frame)
        except MediaStreamError:
            pass
        except Exception:
            log.exception("reading a %s track failed", self.kind)
        finally:
            self.ended.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.ended.set()
