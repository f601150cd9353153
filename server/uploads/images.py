"""What the server reads from an uploaded photo: its size, a thumbnail (OpenCV), and what
its EXIF block claims (time taken, GPS position, camera). Blocking: call these through
`asyncio.to_thread`.

Nothing here trusts the file: every failure means "no thumbnail" or "no EXIF", never a
refused upload, because the bytes are evidence whatever they hold. A few hundred bytes
can declare a picture of a billion pixels, so the size, and what decoding it would hold
in memory, are read from the file's own header first (JPEG, PNG and WebP, by hand in
`headers`: no decoder is involved); a photo whose header cannot be read is not decoded at
all, and decoding happens only within a memory budget shared by every thumbnail being
made. EXIF blocks found on the way are parsed by Pillow's `Image.Exif` (a dependency of
fpdf2, declared in pyproject), which reads tags and never pixels.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from evidence.sniff import HEIC, HEIF, FileType
from server.uploads.headers import Header, read_header

THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 85
MAX_PIXELS = 100_000_000  # larger images get no thumbnail (decoding would take too long)
# Bytes that decoding may hold at once, all thumbnails together: one photo that would
# need more gets none, and one that fits waits (up to DECODE_WAIT_S) for others to end.
DECODE_BUDGET = 128 * 1024 * 1024
DECODE_WAIT_S = 30.0
_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
            (2, cv2.IMREAD_REDUCED_COLOR_2))


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
