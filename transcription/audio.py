"""One party's stored Opus segments as a single 16 kHz mono signal on the interview clock.

Sample 0 is `origin_ms` (the interview's start). Each Opus packet lands where its block
timestamp says, so time that was never recorded (before the party joined, while it was
disconnected, DTX pauses) is silence and every later sample keeps its true clock time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import av
import numpy as np

from evidence import webm
from transcription.errors import AudioError

RATE = 16_000
PER_MS = RATE // 1000
# Opus packets last at most 120 ms: room enough after the last block before trimming.
_TAIL_MS = 120
# Blocks whose time is this close to where the previous packet ended continue it, so the
# resampler's state carries over; further off, the stream is re-anchored at the block.
_JITTER_MS = 10

log = logging.getLogger("zeromeet.transcription")


@dataclass(frozen=True)
class SegmentSpan:
    """Where segment `index` (its position in the input) lies, in ms since origin."""

    index: int
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class PartyAudio:
    samples: np.ndarray  # float32, 16 kHz mono, sample 0 at origin_ms + from_ms
    spans: list[SegmentSpan]  # in ms since origin_ms
    from_ms: int = 0

    def segment_range(self, start_ms: int, end_ms: int) -> tuple[int, int] | None:
        """(first, last) index of the segments overlapping [start_ms, end_ms) since origin."""
        hit = [s.index for s in self.spans if s.start_ms < end_ms and s.end_ms > start_ms]
        return (min(hit), max(hit)) if hit else None


def decode_party_audio(segments: Iterable[bytes], origin_ms: int, from_ms: int = 0) -> PartyAudio:
    """Decode one party's WebM Opus segments (in recording order) into one array, which
    starts `from_ms` after `origin_ms` (live listening decodes only what it has not heard).

    Blocks before that are dropped; where blocks overlap the later one wins; gaps are
    zeros. The array is allocated once, sized from the block timestamps.
    """
    parsed = [_blocks(i, data) for i, data in enumerate(segments)]
    spans = [_span(i, blocks, origin_ms) for i, blocks in enumerate(parsed) if blocks]
    end_ms = max((s.end_ms for s in spans), default=from_ms)
    samples = np.zeros((max(end_ms - from_ms, 0) + _TAIL_MS) * PER_MS, dtype=np.float32)
    placer = _Placer(samples)
    start = origin_ms + from_ms
    for blocks in parsed:
        for block in blocks:
            if block.timestamp_ms >= start:
                placer.place((block.timestamp_ms - start) * PER_MS, block.data)
    placer.flush()
    if placer.bad_packets:
        log.warning("skipped %d undecodable Opus packets", placer.bad_packets)
    return PartyAudio(samples[:placer.end], spans, from_ms)


def _blocks(index: int, data: bytes) -> list[webm.Block]:
    try:
        parsed = webm.parse(data)
    except ValueError as exc:
        raise AudioError(f"segment {index} is not WebM: {exc}") from exc
    if parsed.track is None:
        log.warning("segment %d has no readable track header; skipped", index)
        return []
    if parsed.track.codec != "opus":
        raise AudioError(f"segment {index} holds {parsed.track.codec}, not Opus audio")
    return parsed.blocks


def _span(index: int, blocks: list[webm.Block], origin_ms: int) -> SegmentSpan:
    start = min(b.timestamp_ms for b in blocks) - origin_ms
    end = max(b.timestamp_ms for b in blocks) - origin_ms + 20  # WebRTC sends 20 ms packets
    return SegmentSpan(index, start, end)


class _Placer:
    """Decodes packets and writes their 16 kHz samples at a cursor into a preallocated array."""

    def __init__(self, out: np.ndarray) -> None:
        self.out = out
        self.decoder = av.CodecContext.create("opus", "r")
        self.resampler: av.AudioResampler | None = None
        self.cursor = 0
        self.end = 0
        self.bad_packets = 0

    def place(self, offset: int, packet: bytes) -> None:
        if self.resampler is None or abs(offset - self.cursor) > _JITTER_MS * PER_MS:
            self.flush()
            self.resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
            self.cursor = offset
        try:
            frames = self.decoder.decode(av.Packet(packet))
        except av.FFmpegError:
            self.bad_packets += 1
            return
        for frame in frames:
            frame.pts = None  # placement comes from block timestamps, not the decoder
            self._write(self.resampler.resample(frame))

    def flush(self) -> None:
        if self.resampler is not None:
            self._write(self.resampler.resample(None))
            self.resampler = None

    def _write(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            pcm = frame.to_ndarray()[0]
            n = min(len(pcm), len(self.out) - self.cursor)
            self.out[self.cursor:self.cursor + n] = pcm[:n]
            self.cursor += n
            self.end = max(self.end, self.cursor)
