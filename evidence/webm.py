"""Write and read WebM (Matroska) files of already-encoded WebRTC frames, without re-encoding.

A recording is a run of short segment files (~2 s each), one track per file, and a
segment may be cut anywhere by a crash. So every segment is a self-contained WebM laid
out to stay readable however it ends:

    EBML header        DocType "webm", DocTypeVersion 4, DocTypeReadVersion 2
    Segment            size UNKNOWN (0x01FFFFFFFFFFFFFF): nothing to patch when the file ends
      Info             TimestampScale 1 ms, a Duration slot, MuxingApp/WritingApp "zeromeet"
      Tracks           one TrackEntry, track number 1: V_VP8 with its size, or A_OPUS
                       with an OpusHead, CodecDelay 6.5 ms and SeekPreRoll 80 ms
      Cluster...       size UNKNOWN, so blocks are appended as they arrive
        Timestamp      absolute ms (e.g. since the Unix epoch), always 8 bytes behind a
                       1-byte size, so it can be rewritten in place without moving anything
        SimpleBlock... track 1, signed 16-bit ms relative to the cluster, flags, frame

The Duration slot is 11 bytes that are a Void element while the segment is written and
become a Duration (float, in ms: the span of its blocks, the last one's frame included)
when it is closed, in place, so that a player shows how long a segment is. A segment
torn by a crash keeps the Void (it is still valid: no Duration, as before) until it is
recovered.

A new cluster opens when a block is 5 s or more after the cluster start (clusters stay
short) or too far for a 16-bit relative timestamp. A torn file is cut back to its last
complete element: `parse` says where, and never fails on a short read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

EBML, EBML_VERSION, EBML_READ_VERSION = 0x1A45DFA3, 0x4286, 0x42F7
MAX_ID_LENGTH, MAX_SIZE_LENGTH = 0x42F2, 0x42F3
DOC_TYPE, DOC_TYPE_VERSION, DOC_TYPE_READ_VERSION = 0x4282, 0x4287, 0x4285
SEGMENT, SEEK_HEAD, INFO, TRACKS = 0x18538067, 0x114D9B74, 0x1549A966, 0x1654AE6B
CUES, TAGS, CHAPTERS, ATTACHMENTS = 0x1C53BB6B, 0x1254C367, 0x1043A770, 0x1941A469
TIMESTAMP_SCALE, DURATION, MUXING_APP, WRITING_APP = 0x2AD7B1, 0x4489, 0x4D80, 0x5741
VOID = 0xEC
TRACK_ENTRY, TRACK_NUMBER, TRACK_UID, TRACK_TYPE = 0xAE, 0xD7, 0x73C5, 0x83
FLAG_LACING, CODEC_ID, CODEC_PRIVATE, CODEC_DELAY, SEEK_PRE_ROLL = 0x9C, 0x86, 0x63A2, 0x56AA, 0x56BB
VIDEO, PIXEL_WIDTH, PIXEL_HEIGHT = 0xE0, 0xB0, 0xBA
AUDIO, SAMPLING_FREQUENCY, CHANNELS = 0xE1, 0xB5, 0x9F
CLUSTER, TIMESTAMP, SIMPLE_BLOCK = 0x1F43B675, 0xE7, 0xA3

UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"
CLUSTER_MAX_MS = 5000
OPUS_PRE_SKIP = 312  # 6.5 ms at 48 kHz, matching CodecDelay
FRAME_MS = {"video": 33, "audio": 20}  # a block's nominal length, for where a track ends
# A Void with 9 bytes of payload: the size of a Duration with an 8-byte float, which
# replaces it once the segment's length is known.
DURATION_SLOT = b"\xec\x89" + bytes(9)
_CODECS = {"VP8": ("video", b"V_VP8"), "opus": ("audio", b"A_OPUS")}
# Elements that can only sit directly in the Segment: one of them ends an unknown-size Cluster.
_LEVEL1 = {CLUSTER, SEEK_HEAD, INFO, TRACKS, CUES, TAGS, CHAPTERS, ATTACHMENTS, EBML, SEGMENT}


@dataclass(frozen=True)
class TrackInfo:
    """The one track of a segment. `codec` is normalised to "VP8" or "opus"."""

    kind: str
    codec: str
    width: int = 0
    height: int = 0
    uid: int = 1

    def __post_init__(self) -> None:
        codec = {"vp8": "VP8", "opus": "opus"}.get(self.codec.lower())
        if codec is None or _CODECS[codec][0] != self.kind:
            raise ValueError(f"unsupported {self.kind} codec {self.codec!r}")
        if self.kind == "video" and (self.width <= 0 or self.height <= 0):
            raise ValueError("a video track needs its width and height")
        if not 0 < self.uid < 1 << 64:
            raise ValueError("a track UID is a non-zero 64-bit integer")
        object.__setattr__(self, "codec", codec)


@dataclass(frozen=True)
class Block:
    timestamp_ms: int
    keyframe: bool
    data: bytes


@dataclass(frozen=True)
class Parsed:
    track: TrackInfo | None
    header_size: int
    blocks: list[Block]
    complete_size: int
    torn: bool
    duration_at: int | None = None  # where the Duration slot is (None: written without one)
    duration_ms: float | None = None  # None while the slot is still a Void


def _id(eid: int) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big")


def _size(n: int) -> bytes:
    for length in range(1, 9):
        if n < (1 << 7 * length) - 1:  # all ones would mean "unknown"
            return ((1 << 7 * length) | n).to_bytes(length, "big")
    raise ValueError(f"element too large: {n} bytes")


def _el(eid: int, payload: bytes) -> bytes:
    return _id(eid) + _size(len(payload)) + payload


def _uint(eid: int, value: int) -> bytes:
    return _el(eid, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def opus_head() -> bytes:
    """The OpusHead that WebM carries as Opus CodecPrivate: stereo, 48 kHz, mapping family 0."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, 2, OPUS_PRE_SKIP, 48000, 0, 0)


def duration_element(duration_ms: float) -> bytes:
    """The Duration that fills the slot: 11 bytes, like the Void it replaces."""
    if not 0 <= duration_ms < 1 << 53:
        raise ValueError(f"bad duration {duration_ms}")
    return _el(DURATION, struct.pack(">d", float(duration_ms)))


def _layout(track: TrackInfo, duration_ms: float | None) -> tuple[bytes, int]:
    """The header, and where in it the Duration slot is."""
    ebml = _el(EBML, _uint(EBML_VERSION, 1) + _uint(EBML_READ_VERSION, 1) + _uint(MAX_ID_LENGTH, 4)
               + _uint(MAX_SIZE_LENGTH, 8) + _el(DOC_TYPE, b"webm") + _uint(DOC_TYPE_VERSION, 4)
               + _uint(DOC_TYPE_READ_VERSION, 2))
    scale = _uint(TIMESTAMP_SCALE, 1_000_000)
    slot = DURATION_SLOT if duration_ms is None else duration_element(duration_ms)
    body = scale + slot + _el(MUXING_APP, b"zeromeet") + _el(WRITING_APP, b"zeromeet")
    info = _el(INFO, body)
    entry = (_uint(TRACK_NUMBER, 1) + _uint(TRACK_UID, track.uid)
             + _uint(TRACK_TYPE, 1 if track.kind == "video" else 2) + _uint(FLAG_LACING, 0)
             + _el(CODEC_ID, _CODECS[track.codec][1]))
    if track.kind == "video":
        entry += _el(VIDEO, _uint(PIXEL_WIDTH, track.width) + _uint(PIXEL_HEIGHT, track.height))
    else:
        entry += (_el(AUDIO, _el(SAMPLING_FREQUENCY, struct.pack(">d", 48000.0)) + _uint(CHANNELS, 2))
                  + _el(CODEC_PRIVATE, opus_head()) + _uint(CODEC_DELAY, 6_500_000)
                  + _uint(SEEK_PRE_ROLL, 80_000_000))
    at = len(ebml) + len(_id(SEGMENT)) + len(UNKNOWN_SIZE) + len(info) - len(body) + len(scale)
    return ebml + _id(SEGMENT) + UNKNOWN_SIZE + info + _el(TRACKS, _el(TRACK_ENTRY, entry)), at


def header(track: TrackInfo, duration_ms: float | None = None) -> bytes:
    """Everything before the first Cluster: EBML header, unknown-size Segment, Info (with
    `duration_ms` in its Duration slot, or a Void there to fill in later), Tracks."""
    return _layout(track, duration_ms)[0]


class SegmentWriter:
    """Builds the bytes of one segment incrementally; the caller writes them to a file.

    Each returned chunk ends on a complete element, so a file holding any number of
    whole chunks is a valid WebM, and a crash mid-chunk only tears the last one.
    """

    def __init__(self, track: TrackInfo, duration_ms: float | None = None) -> None:
        self.track = track
        self._duration_ms = duration_ms
        self._cluster_ts: int | None = None

    def start(self) -> bytes:
        return header(self.track, self._duration_ms)

    def duration(self, duration_ms: float) -> tuple[int, bytes]:
        """(offset from the start of the file, bytes) to write over the Duration slot
        once the segment's length is known."""
        return _layout(self.track, None)[1], duration_element(duration_ms)

    def block(self, timestamp_ms: int, data: bytes, *, keyframe: bool) -> bytes:
        """One SimpleBlock, preceded by a new Cluster when the current one cannot hold it."""
        cluster = b""
        rel = None if self._cluster_ts is None else timestamp_ms - self._cluster_ts
        if rel is not None and rel < -32768:
            raise ValueError(f"timestamp {timestamp_ms} goes back more than 32 s")
        if rel is None or rel >= CLUSTER_MAX_MS:
            if timestamp_ms < 0:
                raise ValueError(f"negative timestamp {timestamp_ms}")
            cluster = (_id(CLUSTER) + UNKNOWN_SIZE + _id(TIMESTAMP) + b"\x88"
                       + timestamp_ms.to_bytes(8, "big"))
            self._cluster_ts, rel = timestamp_ms, 0
        flags = 0x80 if keyframe or self.track.kind == "audio" else 0x00
        head = b"\x81" + rel.to_bytes(2, "big", signed=True) + bytes([flags])
        return cluster + _id(SIMPLE_BLOCK) + _size(len(head) + len(data)) + head + data


class _Stop(Exception):
    """The data ends, or stops making sense, here: everything from this point on is torn."""


def _vint(data: bytes, pos: int, *, is_id: bool) -> tuple[int | None, int]:
    if pos >= len(data):
        raise _Stop
    length = 9 - data[pos].bit_length()
    end = pos + length
    if length > (4 if is_id else 8) or end > len(data):
        raise _Stop
    value = int.from_bytes(data[pos:end], "big")
    if is_id:
        return value, end
    value &= (1 << 7 * length) - 1
    return (None if value == (1 << 7 * length) - 1 else value), end


def _element(data: bytes, pos: int) -> tuple[int, int | None, int]:
    """(ID, payload size or None when unknown, payload start) of the element at `pos`."""
    eid, pos = _vint(data, pos, is_id=True)
    size, pos = _vint(data, pos, is_id=False)
    assert eid is not None
    return eid, size, pos


def _children(body: bytes) -> dict[int, bytes]:
    """First payload of each child ID of a complete master element."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(body):
        eid, size, start = _element(body, pos)
        if size is None or start + size > len(body):
            raise _Stop
        out.setdefault(eid, body[start:start + size])
        pos = start + size
    return out


def _uint_of(value: bytes | None, default: int = 0) -> int:
    return default if not value else int.from_bytes(value, "big")


def _track(tracks: bytes) -> TrackInfo | None:
    entry = _children(_children(tracks).get(TRACK_ENTRY, b""))
    kind = {1: "video", 2: "audio"}.get(_uint_of(entry.get(TRACK_TYPE)))
    codec = {b"V_VP8": "VP8", b"A_OPUS": "opus"}.get(entry.get(CODEC_ID, b""))
    video = _children(entry.get(VIDEO, b""))
    try:
        return TrackInfo(kind or "", codec or "", _uint_of(video.get(PIXEL_WIDTH)),
                         _uint_of(video.get(PIXEL_HEIGHT)), _uint_of(entry.get(TRACK_UID), 1))
    except ValueError:
        return None


def _duration_slot(info: bytes, base: int) -> tuple[int | None, float | None]:
    """Where Info's Duration slot is (`base`: where Info's payload starts in the file) and
    the Duration in it: a Void the size of a Duration is a slot not yet filled."""
    pos = 0
    while pos < len(info):
        eid, size, start = _element(info, pos)
        if size is None or start + size > len(info):
            raise _Stop
        if eid == DURATION and size == 8:
            return base + pos, struct.unpack(">d", info[start:start + 8])[0]
        if eid == VOID and info[pos:start + size] == DURATION_SLOT:
            return base + pos, None
        pos = start + size
    return None, None


def _simple_block(body: bytes, cluster_ts: int, scale_ns: int) -> Block | None:
    track_end = 9 - body[0].bit_length() if body else 9
    if track_end > 8 or len(body) < track_end + 3 or body[track_end + 2] & 0x06:
        return None  # malformed, or laced (never written here)
    rel = int.from_bytes(body[track_end:track_end + 2], "big", signed=True)
    timestamp_ms = (cluster_ts + rel) * scale_ns // 1_000_000
    return Block(timestamp_ms, bool(body[track_end + 2] & 0x80), body[track_end + 3:])


def parse(data: bytes) -> Parsed:
    """Read a segment, however it was cut short; ValueError only for bytes that are not WebM."""
    magic = _id(EBML)
    if data[:4] != magic and not magic.startswith(data):
        raise ValueError("not an EBML file")
    track: TrackInfo | None = None
    blocks: list[Block] = []
    complete, first_cluster, scale_ns = 0, None, 1_000_000
    duration_at, duration_ms = None, None
    try:
        _, size, pos = _element(data, 0)
        if size is None or pos + size > len(data):
            raise _Stop
        doc_type = _children(data[pos:pos + size]).get(DOC_TYPE, b"webm")
        if doc_type not in (b"webm", b"matroska"):
            raise ValueError(f"not WebM: DocType {doc_type!r}")
        complete = pos = pos + size
        eid, size, pos = _element(data, pos)
        if eid != SEGMENT:
            raise ValueError("no Segment after the EBML header")
        end = len(data) if size is None else min(len(data), pos + size)
        in_cluster, cluster_end, cluster_ts = False, None, None
        while pos < end:
            if in_cluster and cluster_end is not None and pos >= cluster_end:
                in_cluster, complete = False, pos
            eid, size, start = _element(data, pos)
            if eid == CLUSTER:
                first_cluster = pos if first_cluster is None else first_cluster
                in_cluster, cluster_ts = True, None
                cluster_end = None if size is None else start + size
                pos = start
                continue
            if eid in _LEVEL1:
                in_cluster = False
            if size is None or start + size > len(data):
                raise _Stop
            body = data[start:start + size]
            if in_cluster and eid == TIMESTAMP:
                cluster_ts = _uint_of(body)
            elif in_cluster and eid == SIMPLE_BLOCK and cluster_ts is not None:
                block = _simple_block(body, cluster_ts, scale_ns)
                if block is not None:
                    blocks.append(block)
            elif not in_cluster and eid == INFO:
                scale_ns = _uint_of(_children(body).get(TIMESTAMP_SCALE), 1_000_000)
                duration_at, duration_ms = _duration_slot(body, start)
            elif not in_cluster and eid == TRACKS:
                track = _track(body)
            pos = complete = start + size
    except _Stop:
        pass
    header_size = complete if first_cluster is None else first_cluster
    return Parsed(track, header_size, blocks, complete, complete < len(data), duration_at, duration_ms)


def vp8_keyframe(data: bytes) -> bool:
    """A VP8 key frame: inverted frame-type bit clear, then the start code 9d 01 2a."""
    return len(data) >= 10 and not data[0] & 1 and data[3:6] == b"\x9d\x01\x2a"


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a VP8 key frame header; delta frames carry no size."""
    if not vp8_keyframe(data):
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return width & 0x3FFF, height & 0x3FFF
