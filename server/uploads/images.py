"""What the server reads from an uploaded photo: its size, a thumbnail (OpenCV), and what
its EXIF block claims (time taken, GPS position, camera). Blocking: call these through
`asyncio.to_thread`.

Nothing here trusts the file: every failure means "no thumbnail" or "no EXIF", never a
refused upload, because the bytes are evidence whatever they hold. A few hundred bytes
can declare a picture of a billion pixels, so the size, and what decoding it would hold
in memory, are read from the file's own header first (JPEG, PNG and WebP, by hand: no
decoder is involved); a photo whose header cannot be read is not decoded at all, and
decoding happens only within a memory budget shared by every thumbnail being made. EXIF
blocks found on the way are parsed by Pillow's `Image.Exif` (a dependency of fpdf2,
declared in pyproject), which reads tags and never pixels.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import numpy as np
from PIL import Image

from evidence.sniff import HEIC, HEIF, JPEG, PNG, WEBP, FileType

THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 85
MAX_PIXELS = 100_000_000  # larger images get no thumbnail (decoding would take too long)
# Bytes that decoding may hold at once, all thumbnails together: one photo that would
# need more gets none, and one that fits waits (up to DECODE_WAIT_S) for others to end.
DECODE_BUDGET = 128 * 1024 * 1024
DECODE_WAIT_S = 30.0
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
            (2, cv2.IMREAD_REDUCED_COLOR_2))
_MAX_CHUNKS = 4096  # headers with more chunks or segments than this are not believed
_MAX_EXIF = 1024 * 1024
_MAX_STRAY = 256  # bytes read looking for a JPEG marker


@dataclass(frozen=True)
class Thumbnail:
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Inspection:
    """`width`/`height` are the original's (None if unknown); `note` says why there is
    no thumbnail."""

    width: int | None
    height: int | None
    thumbnail: Thumbnail | None
    note: str
    exif: dict[str, Any]


@dataclass(frozen=True)
class Header:
    """What a photo's header declares. `held` is the bytes per declared pixel that
    OpenCV's decoder holds whatever the reduction (a progressive JPEG's coefficients,
    PNG's and WebP's full-size decode); `per_output` those per pixel it returns."""

    width: int
    height: int
    exif: bytes  # the raw EXIF (TIFF) block, b"" if none was found
    held: float
    per_output: int


def inspect(path: Path, kind: FileType) -> Inspection:
    head = read_header(path, kind)
    exif = _exif_of(head.exif) if head else {}
    if kind in (HEIC, HEIF):
        return Inspection(None, None, None, "HEIC/HEIF is not decoded on this server", exif)
    if head is None:  # an unknown size may be any size: never decoded
        return Inspection(None, None, None, "the image could not be decoded", exif)
    width, height = head.width, head.height
    factor, flags = _reduction(max(width, height))
    cost = decode_cost(head, factor, path.stat().st_size)
    if width * height > MAX_PIXELS or cost > DECODE_BUDGET:
        return Inspection(width, height, None, "too large to decode for a thumbnail", exif)
    with _BUDGET.hold(cost, DECODE_WAIT_S) as held:
        if not held:
            return Inspection(width, height, None, "the server was too busy to make a "
                              "thumbnail", exif)
        image = _decode(path, flags)
        thumbnail = _thumbnail(image) if image is not None else None
    if thumbnail is None:
        return Inspection(width, height, None, "the image could not be decoded", exif)
    return Inspection(width, height, thumbnail, "", exif)


def decode_cost(head: Header, factor: int, file_size: int) -> int:
    """Peak bytes decoding `head` reduced by `factor` may take: measured with OpenCV 5 on
    each kind (PNG ~3 bytes a declared pixel, APNG ~15, WebP ~7, animated ~11, and the
    file twice), with a margin."""
    out = -(-head.width // factor) * -(-head.height // factor)
    return int(head.width * head.height * head.held + out * head.per_output
               + 2 * file_size + 64 * head.width)


def _reduction(side: int) -> tuple[int, int]:
    """Reduce by 2, 4 or 8 while that still leaves more than a thumbnail's side: JPEG
    decodes reduced at a fraction of the cost (the others decode whole, then shrink)."""
    for factor, reduced in _REDUCED:
        if side // factor >= THUMBNAIL_SIDE:
            return factor, reduced
    return 1, cv2.IMREAD_COLOR


def _decode(path: Path, flags: int) -> np.ndarray | None:
    """Decoded BGR pixels, EXIF orientation applied. From a buffer, not `imread`: reading
    a PNG from a file, OpenCV fills a chunk as long as it claims before reading it."""
    try:
        image = cv2.imdecode(np.fromfile(path, np.uint8), flags)
    except cv2.error:
        return None
    return image if image is not None and image.size else None


def _thumbnail(image: np.ndarray) -> Thumbnail | None:
    height, width = image.shape[:2]
    scale = min(1.0, THUMBNAIL_SIDE / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, THUMBNAIL_QUALITY])
    if not ok:
        return None
    return Thumbnail(data.tobytes(), image.shape[1], image.shape[0])


class _Budget:
    """Bytes of decoding in flight across threads; `hold` waits for room."""

    def __init__(self, total: int) -> None:
        self._free = total
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, cost: int, timeout: float) -> Iterator[bool]:
        with self._changed:
            held = self._changed.wait_for(lambda: self._free >= cost, timeout)
            if held:
                self._free -= cost
        try:
            yield held
        finally:
            if held:
                with self._changed:
                    self._free += cost
                    self._changed.notify_all()


_BUDGET = _Budget(DECODE_BUDGET)


# --- headers ----------------------------------------------------------------------------

def read_header(path: Path, kind: FileType) -> Header | None:
    """The header of a JPEG, PNG or WebP file, or None for any other kind and for any
    header that is malformed, truncated, or declares an empty or unsupported image."""
    reader = _READERS.get(kind)
    if reader is None:
        return None
    try:
        with path.open("rb") as file:
            head = reader(file)
    except (OSError, ValueError, IndexError, struct.error):
        return None
    return head if head is not None and head.width > 0 and head.height > 0 else None


def _png(file: BinaryIO) -> Header | None:
    """IHDR, then the chunks before the first IDAT: an acTL (animated, decoded at a
    higher cost) and an eXIf."""
    if file.read(8) != b"\x89PNG\r\n\x1a\n":
        return None
    length, kind, width, height = struct.unpack(">I4sII", file.read(16))
    if kind != b"IHDR" or length != 13 or max(width, height) >= 2**31:
        return None
    file.seek(length - 8 + 4, 1)
    exif, animated = b"", False
    for _ in range(_MAX_CHUNKS):
        head = file.read(8)
        if len(head) < 8 or head[4:] == b"IDAT":
            return Header(width, height, exif, 16 if animated else 4, 3)
        length, kind = struct.unpack(">I4s", head)
        animated = animated or kind == b"acTL"
        if kind == b"eXIf" and not exif and length <= _MAX_EXIF:
            exif = file.read(length)
            length -= len(exif)
        file.seek(length + 4, 1)
    return None


_SOF_SEQUENTIAL = frozenset((0xC0, 0xC1, 0xC9))  # baseline, extended, arithmetic
_SOF_PROGRESSIVE = frozenset((0xC2, 0xCA))
_SOF = _SOF_SEQUENTIAL | _SOF_PROGRESSIVE  # lossless and hierarchical JPEG: not decoded
_TABLES = frozenset((*range(0xE0, 0xF0), 0xFE, 0xDB, 0xC4, 0xDD, 0xCC))  # APPn COM DQT ...


def _jpeg(file: BinaryIO) -> Header | None:
    """Segments up to the first scan, as libjpeg reads them (a marker it would skip or
    refuse ends the reading here). A progressive JPEG, or one whose first scan holds
    fewer components than the frame, keeps every coefficient of the whole picture
    (2 bytes a sample) however small the output is scaled."""
    if file.read(2) != b"\xff\xd8":
        return None
    exif, frame = b"", None
    for _ in range(_MAX_CHUNKS):
        marker = _jpeg_marker(file)
        if marker is not None and (0xD0 <= marker <= 0xD7 or marker == 0x01):
            continue  # RSTn, TEM: no length follows
        if marker not in _TABLES and marker not in _SOF and marker != 0xDA:
            return None
        (length,) = struct.unpack(">H", file.read(2))
        body = file.read(max(0, length - 2))
        if length < 2 or len(body) < length - 2:
            return None
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00") and not exif:
            exif = body
        elif marker in _SOF:
            if frame is not None:
                return None  # libjpeg refuses a second frame header
            frame = marker, body
        elif marker == 0xDA:
            return _jpeg_frame(frame, body[0], exif) if frame is not None else None
    return None


def _jpeg_marker(file: BinaryIO) -> int | None:
    """The next marker as libjpeg finds it: 0xFF then a byte other than 0xFF (fill) or
    0x00, skipping stray bytes before it (libjpeg warns of them). Too many: not believed."""
    previous = b""
    for _ in range(_MAX_STRAY):
        byte = file.read(1)
        if not byte:
            return None
        if previous == b"\xff" and byte not in (b"\xff", b"\x00"):
            return byte[0]
        previous = byte
    return None


def _jpeg_frame(frame: tuple[int, bytes], in_first_scan: int, exif: bytes) -> Header | None:
    marker, body = frame
    height, width, count = struct.unpack(">HHB", body[1:6])
    sampling = [(b >> 4, b & 15) for b in body[7:6 + 3 * count:3]]
    if not 1 <= count <= 4 or len(sampling) != count or not all(
            1 <= h <= 4 and 1 <= v <= 4 for h, v in sampling):
        return None
    held = 0.0
    if marker in _SOF_PROGRESSIVE or in_first_scan < count:
        most_h, most_v = max(h for h, _ in sampling), max(v for _, v in sampling)
        held = sum(2 * h * v / (most_h * most_v) for h, v in sampling) * 1.1  # block padding
    return Header(width, height, exif, held, 8)  # CMYK out, converted, maybe rotated


def _webp(file: BinaryIO) -> Header | None:
    """The first chunk says the size (VP8X: the canvas, and whether it is animated);
    an EXIF chunk may come anywhere after."""
    riff = file.read(12)
    if riff[:4] != b"RIFF" or riff[8:] != b"WEBP":
        return None
    head, exif = None, b""
    for _ in range(_MAX_CHUNKS):
        chunk = file.read(8)
        if len(chunk) < 8:
            break
        fourcc, (length,) = chunk[:4], struct.unpack("<I", chunk[4:])
        body = b""
        if head is None:
            body = file.read(min(length, 10))
            head = _webp_frame(fourcc, body)
            if head is None:
                return None
        elif fourcc == b"EXIF" and not exif and length <= _MAX_EXIF:
            body = exif = file.read(length)
        file.seek(length - len(body) + (length & 1), 1)
    if head is None:
        return None
    return Header(head.width, head.height, exif, head.held, head.per_output)


def _webp_frame(fourcc: bytes, body: bytes) -> Header | None:
    if fourcc == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return Header(width & 0x3FFF, height & 0x3FFF, b"", 8, 3)
    if fourcc == b"VP8L" and body[0] == 0x2F:
        (bits,) = struct.unpack("<I", body[1:5])
        return Header((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, b"", 8, 3)
    if fourcc == b"VP8X" and len(body) == 10:
        width = 1 + int.from_bytes(body[4:7], "little")
        height = 1 + int.from_bytes(body[7:10], "little")
        return Header(width, height, b"", 14 if body[0] & 0x02 else 8, 3)
    return None


_READERS = {JPEG: _jpeg, PNG: _png, WEBP: _webp}


# --- EXIF -------------------------------------------------------------------------------

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME = 271, 272, 306
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL = 36867, 36881


def _exif_of(block: bytes) -> dict[str, Any]:
    if not block:
        return {}
    try:
        exif = Image.Exif()
        exif.load(block)
        return _exif(exif)
    except Exception:  # noqa: BLE001 - a malformed block means "no EXIF", see above
        return {}


def _exif(exif: Image.Exif) -> dict[str, Any]:
    details = exif.get_ifd(_EXIF_IFD)
    out: dict[str, Any] = {}
    taken = details.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if isinstance(taken, str):
        out["datetime_original"] = taken.strip("\x00 ")[:32]
        offset = details.get(_OFFSET_ORIGINAL)
        if isinstance(offset, str):
            out["offset_time_original"] = offset.strip("\x00 ")[:8]
    camera = " ".join(str(exif.get(t, "")).strip("\x00 ") for t in (_MAKE, _MODEL)).strip()
    if camera:
        out["camera"] = camera[:100]
    gps = _gps(exif.get_ifd(_GPS_IFD))
    if gps:
        out["gps"] = gps
    return out


def _gps(gps: dict[int, Any]) -> dict[str, float] | None:
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S")
        lon = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    out = {"latitude": round(lat, 7), "longitude": round(lon, 7)}
    try:
        out["altitude"] = round(float(gps[6]) * (-1 if gps.get(5) in (1, b"\x01") else 1), 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass
    return out


def _degrees(dms: Any, ref: Any, negative: str) -> float:
    d, m, s = (float(x) for x in dms)
    value = d + m / 60 + s / 3600
    return -value if str(ref).strip("\x00 ").upper() == negative else value
