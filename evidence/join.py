"""One playable WebM from a recording's stored segments, without re-encoding: the
stream `GET /api/recordings/{id}/media` answers, and a bundle's playable file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from evidence.webm import FRAME_MS, SegmentWriter, parse


class Joiner:
    """One continuous WebM stream from the segments of one track, fed one at a time, with
    `origin_ms` at 0. Memory stays bounded by a segment.

    Blocks before origin_ms, or going back in time, are dropped, and video starts at a
    key frame so the stream decodes from its first block. Later segments keep the first
    one's header: a VP8 key frame carries its own size, so a size change still plays.
    `duration_ms`, when known ahead, goes into the header's Duration slot; otherwise the
    slot stays a Void, and `duration` says what to write over it once the stream is done.

    Its bytes are part of the bundle format: a bundle's playable file is this stream, which
    `zeromeet verify` makes again from the segments and compares (`JOIN_METHOD`). A
    change to what it writes must change JOIN_METHOD.
    """

    def __init__(self, *, origin_ms: int, duration_ms: float | None = None) -> None:
        self.origin_ms = origin_ms
        self._duration_ms = duration_ms
        self._writer: SegmentWriter | None = None
        self._last_ms: int | None = None
        self._need_key = True
        self.blocks = 0

    @property
    def duration_ms(self) -> int | None:
        """From 0 to the end of the last block's frame (its nominal length); None before
        a block."""
        if self._writer is None or self._last_ms is None:
            return None
        return self._last_ms - self.origin_ms + FRAME_MS[self._writer.track.kind]

    def duration(self) -> tuple[int, bytes] | None:
        """(offset in the stream, bytes) that fill the header's Duration slot with
        `duration_ms`; None before a block."""
        if self._writer is None or self.duration_ms is None:
            return None
        return self._writer.duration(self.duration_ms)

    def feed(self, segment: bytes) -> bytes:
        parsed = parse(segment)
        chunks: list[bytes] = []
        if self._writer is None:
            if parsed.track is None:
                return b""
            self._writer = SegmentWriter(parsed.track, self._duration_ms)
            chunks.append(self._writer.start())
        elif parsed.track is not None and parsed.track.codec != self._writer.track.codec:
            raise ValueError(f"cannot join {parsed.track.codec} to {self._writer.track.codec}")
        writer = self._writer
        for block in parsed.blocks:
            if block.timestamp_ms < self.origin_ms or (
                    self._last_ms is not None and block.timestamp_ms < self._last_ms):
                continue
            if self._need_key and writer.track.kind == "video" and not block.keyframe:
                continue
            self._need_key = False
            chunks.append(writer.block(block.timestamp_ms - self.origin_ms, block.data,
                                       keyframe=block.keyframe))
            self._last_ms = block.timestamp_ms
            self.blocks += 1
        return b"".join(chunks)


JOIN_METHOD = "zeromeet.webm-join/1"  # the Joiner's bytes, as a bundle's index names them


def concatenate(segments: Iterable[bytes], *, origin_ms: int) -> Iterator[bytes]:
    """`Joiner` over an iterable: one chunk per segment that added anything."""
    joiner = Joiner(origin_ms=origin_ms)
    for segment in segments:
        chunk = joiner.feed(segment)
        if chunk:
            yield chunk
