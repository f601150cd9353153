"""Record one received track as it arrived: encoded frames into ~2 s WebM segment files.

Nothing is decoded or re-encoded. Each frame is written to the open segment file the
moment it arrives (one `write`), so a killed server leaves at most a torn last block
behind. A segment is closed after about two seconds — for video only on a keyframe,
which is asked for when one is due — and also when the video size changes or when the
media stops for more than a second (the next segment is then marked as following a gap).
A gap is a hole in the sender's timeline as well as in arrival: frames that arrive a
second late but follow on in RTP time (this server's loop stood still, the packets waited
in its socket) are no gap, and are written into the open segment. When
it closes, its length goes into the Duration slot of its header (in place, the same
size, so that a player shows it) and the file is hashed as it now is: a few hundred
kilobytes read back from the page cache.

Times: every block's timestamp is on the interview clock (server UTC, from a monotonic
source), in milliseconds. The sender's RTP timestamps give the spacing; the offset to
server time is the smallest delay seen over the previous segment, so tracks of one party
that start apart land apart, and a phone's clock drift is corrected every segment; it
moves later by no more than a clock drifts (`DRIFT_US`), so frames that all came late
(this server's loop was busy) keep their place on the sender's timeline; it moves earlier
by as little, or into a pause, so that a party whose first frames came late (the loop was
busy as the call came up) comes back to time 2 ms a segment rather than having frames
written over the ones before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evidence import webm
from evidence.segment import SegmentClosed

log = logging.getLogger(__name__)

SEGMENT_MS = 2000
GAP_US = 1_000_000  # frames this far apart: a gap, and a new segment
KEYFRAME_RETRY_S = 1.0
RETRY_WRITE_S = 1.0
DRIFT_US = 2000  # the most a segment's offset moves later: a clock 1000 ppm fast, 10x a bad one
CLOCK_RATES = {"video": 90000, "audio": 48000}
FRAME_MS = webm.FRAME_MS  # a block's nominal length, for a segment's end
RECORDABLE = {"video": {"vp8"}, "audio": {"opus"}}

class SegmentSink(Protocol):
    def open_segment(self) -> Path:
        """A new spool file to write the next segment to."""

    def segment_closed(self, segment: SegmentClosed) -> None: ...

    def alarm(self, code: str, message: str | None) -> None:
        """Raise (`message`) or clear (None) an alarm of this recording."""


@dataclass
class _Open:
    path: Path
    fd: int
    writer: webm.SegmentWriter
    hasher: hashlib._Hash
    gap: bool
    size: int = 0
    frames: int = 0
    first_arrival_us: int = 0
    last_arrival_us: int = 0
    rtp_first: int = 0
    rtp_last: int = 0
    start_ms: int = 0
    last_ms: int = 0
    width: int = 0
    height: int = 0
    min_delay_us: int | None = None


class TrackRecorder:
    """Feeds one connection's track into a recording. `on_frame` and `close` run on the
    event loop thread (aiortc calls the tap there)."""

    def __init__(self, kind: str, sink: SegmentSink, *, request_keyframe: Callable[[], None],
                 after_gap: bool = False) -> None:
        self.kind = kind
        self.sink = sink
        self._request_keyframe = request_keyframe
        self._rate = CLOCK_RATES[kind]
        self._open: _Open | None = None
        self._next_gap = after_gap
        self._offset_us: int | None = None  # server time minus RTP time, per segment
        self._pending_offset: int | None = None
        self._floor_ms = 0  # a new segment starts after the previous one ended
        self._last_arrival_us: int | None = None
        self._last_rtp = 0
        self._last_keyframe_ask = -(1 << 62)  # µs, interview clock
        self._write_blocked_until = 0  # µs, interview clock
        self._write_failing = False
        self._now_us = 0
        self.frames = 0
        self.skipped = 0
        self.bytes = 0
        self.last_frame_at: float | None = None  # time.monotonic() of the latest frame
        self.closed = False
        self.codec = ""

    # --- fed by the tap ------------------------------------------------------------

    def on_frame(self, codec: str, data: bytes, rtp: int, raw_rtp: int, arrival: int) -> None:
        """`rtp`: unwrapped from the connection's first packet, for spacing; `raw_rtp`: as
        sent, for the chain; `arrival`: when the frame's first packet came (interview clock)."""
        if self.closed:
            return
        self._now_us = arrival
        self.frames += 1
        self.last_frame_at = time.monotonic()
        self.codec = codec
        if codec.lower() not in RECORDABLE[self.kind]:
            self.skipped += 1
            self.sink.alarm("codec", f"{codec} {self.kind} cannot be recorded as received")
            return
        if self._last_arrival_us is not None and arrival - self._last_arrival_us > GAP_US \
                and (rtp - self._last_rtp) * 1_000_000 // self._rate > GAP_US:
            self._close_segment()
            self._next_gap = True
        self._last_arrival_us, self._last_rtp = arrival, rtp
        if arrival < self._write_blocked_until:
            self._skip()
            return
        keyframe = self.kind == "audio" or webm.vp8_keyframe(data)
        size = webm.vp8_size(data) if keyframe and self.kind == "video" else None
        segment = self._open
        if segment is not None and keyframe:
            due = self._media_ms(rtp, arrival) - segment.start_ms >= SEGMENT_MS
            resized = size is not None and size != (segment.width, segment.height)
            if due or resized:
                self._close_segment()
                segment = None
        elif segment is not None and self._media_ms(rtp, arrival) - segment.start_ms >= SEGMENT_MS:
            self._ask_keyframe(arrival)
        if segment is None:
            if not keyframe:
                self._skip()  # undecodable without its keyframe: wait for one
                self._ask_keyframe(arrival)
                return
            segment = self._start_segment(arrival, rtp, raw_rtp, size)
            if segment is None:
                return
        self._write_frame(segment, data, rtp, raw_rtp, arrival, keyframe)

    def on_end(self) -> None:
        self.close()

    def close(self) -> None:
        """The track ended (the party left, the interview ended): close the open segment."""
        if not self.closed:
            self.closed = True
            self._close_segment()

    # --- segments ------------------------------------------------------------------

    def _media_ms(self, rtp: int, arrival: int) -> int:
        if self._offset_us is None:
            self._offset_us = arrival - rtp * 1_000_000 // self._rate
        return (rtp * 1_000_000 // self._rate + self._offset_us) // 1000

    def _start_segment(self, arrival: int, rtp: int, raw_rtp: int,
                       size: tuple[int, int] | None) -> _Open | None:
        width, height = size or (0, 0)
        if self._pending_offset is not None:
            # Earlier only into room the sender's timeline left (a pause, a gap), and by
            # a clock's drift: frames that follow on must not land on those already
            # written, where a player or the decoder would let one overwrite the other.
            room = self._floor_ms * 1000 - rtp * 1_000_000 // self._rate
            self._offset_us = max(self._pending_offset, room - DRIFT_US)
        self._pending_offset = None
        try:
            path = self.sink.open_segment()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            self._write_failed(exc)
            return None
        track = webm.TrackInfo(kind=self.kind, codec=self.codec, width=width, height=height)
        segment = _Open(path=path, fd=fd, writer=webm.SegmentWriter(track),
                        hasher=hashlib.sha256(), gap=self._next_gap, width=width, height=height,
                        first_arrival_us=arrival, rtp_first=raw_rtp)
        self._next_gap = False
        start_ms = self._media_ms(rtp, arrival)
        segment.start_ms = max(start_ms, self._floor_ms)
        self._open = segment
        if not self._write(segment, segment.writer.start()):
            return None
        if self._write_failing:
            self._write_failing = False
            self.sink.alarm("write", None)
        return segment

    def _write_frame(self, segment: _Open, data: bytes, rtp: int, raw_rtp: int, arrival: int,
                     keyframe: bool) -> None:
        rtp_us = rtp * 1_000_000 // self._rate
        delay = arrival - rtp_us
        if segment.min_delay_us is None or delay < segment.min_delay_us:
            segment.min_delay_us = delay
        ms = segment.start_ms if segment.frames == 0 else max(self._media_ms(rtp, arrival), segment.last_ms)
        if not self._write(segment, segment.writer.block(ms, data, keyframe=keyframe)):
            return
        segment.frames += 1
        segment.last_ms = ms
        segment.last_arrival_us = arrival
        segment.rtp_last = raw_rtp

    def _write(self, segment: _Open, chunk: bytes) -> bool:
        try:
            view = memoryview(chunk)
            while view:
                written = os.write(segment.fd, view)
                segment.hasher.update(view[:written])
                segment.size += written
                view = view[written:]
        except OSError as exc:
            self._write_failed(exc)
            return False
        self.bytes += len(chunk)
        return True

    def _close_segment(self) -> None:
        segment, self._open = self._open, None
        if segment is None:
            return
        frame_ms = FRAME_MS[self.kind]
        sha256 = segment.hasher.hexdigest()
        if segment.frames:
            sha256 = _with_duration(segment, segment.last_ms + frame_ms - segment.start_ms) or sha256
        try:
            os.close(segment.fd)
        except OSError as exc:
            log.warning("closing segment %s failed: %s", segment.path, exc)
        if segment.frames == 0:
            _unlink_quietly(segment.path)  # a header and nothing recorded in it
            return
        # The next segment's clock offset: the least-delayed frame of this one, but later
        # by no more than a clock's drift: a segment whose every frame came late (a busy
        # loop, a queue on the way) does not move the party's timeline, or open a hole.
        if segment.min_delay_us is not None:
            offset = segment.min_delay_us
            if self._offset_us is not None:
                offset = min(offset, self._offset_us + DRIFT_US)
            self._pending_offset = offset
        self._floor_ms = segment.last_ms + frame_ms
        self.sink.segment_closed(SegmentClosed(
            path=segment.path, sha256=sha256, size=segment.size,
            frames=segment.frames, first_arrival_us=segment.first_arrival_us,
            last_arrival_us=segment.last_arrival_us, rtp_first=segment.rtp_first,
            rtp_last=segment.rtp_last, start_ms=segment.start_ms, end_ms=segment.last_ms + frame_ms,
            gap=segment.gap, codec=self.codec, width=segment.width, height=segment.height,
        ))

    def _write_failed(self, exc: OSError) -> None:
        """A full disk or a failing spool: alarm, keep what was written, try again in a
        second with a new segment (which is marked as following a gap)."""
        log.error("writing %s recording to the spool failed: %s", self.kind, exc)
        self.sink.alarm("write", f"writing to the spool failed: {exc.strerror or exc}")
        segment, self._open = self._open, None
        if segment is not None:
            try:
                os.ftruncate(segment.fd, segment.size)  # drop a partly written block
            except OSError:
                pass
            self._open = segment
            self._close_segment()
        self._next_gap = True
        self._write_failing = True
        self._write_blocked_until = self._now_us + int(RETRY_WRITE_S * 1_000_000)

    def _skip(self) -> None:
        self.skipped += 1

    def _ask_keyframe(self, now_us: int) -> None:
        if self.kind == "video" and now_us - self._last_keyframe_ask >= KEYFRAME_RETRY_S * 1_000_000:
            self._last_keyframe_ask = now_us
            self._request_keyframe()


def _with_duration(segment: _Open, duration_ms: int) -> str | None:
    """Write the segment's Duration into its header and hash the file as it now is; None
    (the slot left a Void, which players read as "no duration", and the hash taken while
    writing still right) if the disk refuses."""
    offset, patch = segment.writer.duration(duration_ms)
    try:
        written = os.pwrite(segment.fd, patch, offset)
    except OSError as exc:
        log.warning("the duration of segment %s could not be written: %s", segment.path, exc)
        return None
    try:
        if written != len(patch):
            raise OSError("short write")
        with open(segment.path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        log.warning("segment %s could not be read back after its duration: %s", segment.path, exc)
        try:  # back to the bytes the running hash is of
            os.pwrite(segment.fd, webm.DURATION_SLOT, offset)
        except OSError:
            pass
        return None


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
