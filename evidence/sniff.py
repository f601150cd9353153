"""What a file is, from its first bytes (magic numbers), never from its name or the
client's Content-Type. Pure: bytes in, a `FileType` or None out.

Only the kinds a labour case needs are known: photos (JPEG, PNG, WebP, HEIC/HEIF from
iPhones), PDF documents, and plain UTF-8 text.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

HEAD = 64  # bytes `sniff` needs to see; fewer is fine for short files


@dataclass(frozen=True)
class FileType:
    mime: str
    extension: str  # for a download's file name, without the dot
    image: bool  # a photo format OpenCV may decode (HEIC usually not)


JPEG = FileType("image/jpeg", "jpg", True)
PNG = FileType("image/png", "png", True)
WEBP = FileType("image/webp", "webp", True)
HEIC = FileType("image/heic", "heic", True)
HEIF = FileType("image/heif", "heif", True)
PDF = FileType("application/pdf", "pdf", False)
TEXT = FileType("text/plain; charset=utf-8", "txt", False)

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
# Control characters that no text document a party would send contains.
_BINARY = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"


def sniff(head: bytes) -> FileType | None:
    """The type of a file starting with `head` (at least `HEAD` bytes unless shorter)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIC_BRANDS:
            return HEIC
        if brand in _HEIF_BRANDS:
            return HEIF
        return None
    if head.startswith(b"%PDF-"):
        return PDF
    if head and TextCheck().feed(head):
        return TEXT
    return None


class TextCheck:
    """Checks, chunk by chunk, that a whole file is UTF-8 text without binary control
    characters: a file that only starts like text is not text."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def feed(self, chunk: bytes) -> bool:
        if len(chunk.translate(None, _BINARY)) != len(chunk):
            return False
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
        return True

    def finish(self) -> bool:
        try:
            self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
        return True
