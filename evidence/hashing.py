"""SHA-256 over bytes, files and streams, as lowercase hex.

Pure: nothing here opens anything it is not handed (a path counts as handed in).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20  # 1 MiB: large enough to run at hashlib speed, small enough for any spool file
_HEX64 = re.compile(r"[0-9a-f]{64}")


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    """SHA-256 of `data` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str, chunk: int = CHUNK) -> str:
    """SHA-256 of the file at `path`, read `chunk` bytes at a time (never whole)."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while n := file.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def is_sha256_hex(value: str) -> bool:
    """True for exactly 64 lowercase hex digits, the only form this project records."""
    return bool(_HEX64.fullmatch(value))


class HashingReader:
    """Wraps a binary stream and hashes exactly the bytes that are read through it.

    Used to hash what was really sent (an upload) or received (a download) in the
    same pass, so a file that changes under us is caught without reading it twice.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(n)
        self._digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        """SHA-256 of everything read so far."""
        return self._digest.hexdigest()
