"""Hostile images: a few hundred bytes or a megabyte that declare a picture of a billion
pixels (pixel floods), made in milliseconds without holding their pixels."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

_DEFLATE_BLOCK = 1 << 24


def zeros_zlib(count: int) -> bytes:
    """A zlib stream of `count` zero bytes. One block of zeros is deflated once and
    repeated: each ends on a full flush from a fresh compressor, so the copies join into
    one valid stream. Adler-32 of n zeros is (n mod 65521) << 16 | 1."""
    whole, rest = divmod(count, _DEFLATE_BLOCK)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = block.compress(bytes(_DEFLATE_BLOCK)) + block.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = tail.compress(bytes(rest)) + tail.flush()
    return b"\x78\xda" + one * whole + end + struct.pack(">I", (count % 65521) << 16 | 1)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_flood(width: int, height: int, color_type: int = 0, exif: bytes = b"") -> bytes:
    """A complete, valid PNG of black pixels (every row filtered "none"), with an eXIf
    chunk if `exif` (a TIFF block) is given: 32000 x 32000 grey is 995 KB and decodes to
    3 GB as BGR."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    pixels = zeros_zlib(height * (1 + width * channels))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + (_chunk(b"eXIf", exif) if exif else b"") + _chunk(b"IDAT", pixels)
            + _chunk(b"IEND", b""))


def jpeg_flood(width: int, height: int, *, progressive: bool = True,
               first_scan: int = 3) -> bytes:
    """A JPEG of three full-resolution (4:4:4) components whose only scan codes every DC
    difference as 0 and then stops: libjpeg warns of the early end and decodes black.
    Progressive, or sequential with a first scan of fewer components, libjpeg keeps
    2 bytes a sample of coefficients for the whole picture (6 bytes a pixel here)."""
    def segment(marker: int, body: bytes) -> bytes:
        return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body

    components = b"".join(bytes((c, 0x11, 0)) for c in (1, 2, 3))
    dht = bytes((0x00, 1, *([0] * 15), 0)) + bytes((0x10, 1, *([0] * 15), 0))
    scan = b"".join(bytes((c, 0x00)) for c in (1, 2, 3)[:first_scan])
    return (b"\xff\xd8" + segment(0xDB, bytes(1) + bytes([1] * 64))
            + segment(0xC2 if progressive else 0xC0,
                      struct.pack(">BHHB", 8, height, width, 3) + components)
            + segment(0xC4, dht)
            + segment(0xDA, bytes((first_scan,)) + scan + (b"\x00\x00\x00" if progressive
                                                            else b"\x00\x3f\x00"))
            + bytes(4096) + b"\xff\xd9")


def webp_canvas_flood(side: int = 16383) -> bytes:
    """An animated WebP of two 1 x 1 frames on a canvas of `side` x `side` (the largest
    WebP allows): 100-odd bytes; the animation decoder clears canvases of 4 bytes a
    pixel."""
    out = io.BytesIO()
    frames = [Image.new("RGBA", (1, 1), (255, 0, 0, 255)), Image.new("RGBA", (1, 1))]
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100,
                   lossless=True)
    data = bytearray(out.getvalue())
    assert data[12:16] == b"VP8X" and data[20] & 0x02, "Pillow wrote no animated VP8X"
    data[24:30] = (side - 1).to_bytes(3, "little") * 2
    return bytes(data)
