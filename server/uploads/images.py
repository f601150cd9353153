"""What the server reads from an uploaded photo: its size, a thumbnail (OpenCV), and what
its EXIF block claims (time taken, GPS position, camera). Blocking: call these through
`asyncio.to_thread`.

EXIF is read with Pillow (a dependency of fpdf2, declared in pyproject), which parses
only the header and decodes no pixels. Nothing here trusts the file: every failure means
"no thumbnail" or "no EXIF", never a refused upload, because the bytes are evidence
whatever they hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from evidence.sniff import HEIC, HEIF, FileType

THUMBNAIL_SIDE = 320
THUMBNAIL_QUALITY = 85
MAX_PIXELS = 100_000_000  # larger images get no thumbnail (decoding would take GBs)
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
    size, exif = _header(path)
    if kind in (HEIC, HEIF):
        return Inspection(*size, None, "HEIC/HEIF is not decoded on this server", exif)
    width, height = size
    if width and height and width * height > MAX_PIXELS:
        return Inspection(width, height, None, "too large to decode for a thumbnail", exif)
    image = _decode(path, max(width or 0, height or 0))
    if image is None:
        return Inspection(width, height, None, "the image could not be decoded", exif)
    return Inspection(width, height, _thumbnail(image), "", exif)


def _decode(path: Path, side: int) -> np.ndarray | None:
    """Decoded BGR pixels (EXIF orientation applied), reduced by 2, 4 or 8 while that
    still leaves more than a thumbnail's side: JPEG decodes reduced at a fraction of
    the cost."""
    flags = cv2.IMREAD_COLOR
    for factor, reduced in _REDUCED:
        if side // factor >= THUMBNAIL_SIDE:
            flags = reduced
            break
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


def _header(path: Path) -> tuple[tuple[int | None, int | None], dict[str, Any]]:
    try:
        with Image.open(path) as image:
            return image.size, _exif(image.getexif())
    except Exception:  # noqa: BLE001 - any malformed header means "unknown", see above
        return (None, None), {}


_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME = 271, 272, 306
_DATETIME_ORIGINAL, _OFFSET_ORIGINAL = 36867, 36881


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
