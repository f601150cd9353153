"""A photo's header read by hand, without a decoder: the size a JPEG, PNG or WebP file
declares, what decoding it would hold in memory, and its raw EXIF block. A few hundred
bytes can declare a picture of a billion pixels, so this is read before anything decodes
(see `images`). Nothing here trusts the file: a header that is malformed, truncated or
implausible reads as None.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from evidence.sniff import JPEG, PNG, WEBP, FileType

_MAX_CHUNKS = 4096  # headers with more chunks or segments than this are not believed
_MAX_EXIF = 1024 * 1024
_MAX_STRAY = 256  # bytes read looking for a JPEG marker


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
