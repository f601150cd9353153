"""Writing an evidence bundle: a zip holding one BagIt bag (RFC 8493) whose tag manifest
is signed with the server's Ed25519 key.

The zip is written front to back into a sink that never seeks, so an exporter can hand
each piece to the network as it is written and hold no more than a piece in memory.
Payload files are stored (not deflated): media is compressed already, and a stored
member can be checked with any unzip tool. The manifests and the signature come last,
once every payload file has been hashed on its way through.
"""

from __future__ import annotations

import hashlib
import zipfile
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FORMAT = "zeromeet.bundle/1"
INDEX = "data/index.json"
PUBLIC_KEY = "data/public-key.pem"
CUSTODY_EVENTS = "data/custody/events.jsonl"
CUSTODY_CHECKPOINTS = "data/custody/checkpoints.json"
CALENDAR = "data/complaints/calendar.json"  # the working days a complaint's deadlines count
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
TAG_FILES = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt")
SIGNED = "tagmanifest-sha256.txt"
SIGNATURE = "tagmanifest-sha256.txt.sig"
_ZIP64_FROM = 1 << 31


class _Sink:
    """A write-only, non-seekable file: zipfile then writes data descriptors, and the
    bytes written so far can be taken away at any time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._written = 0

    def write(self, data: bytes) -> int:
        self._buffer += data
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self._buffer)
        self._buffer.clear()
        return out


class BagWriter:
    """Add payload files (`data/…`) in any order, then `finish`; `take` after each step
    gives the zip bytes written meanwhile."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._sink = _Sink()
        self._zip = zipfile.ZipFile(self._sink, "w", zipfile.ZIP_STORED, allowZip64=True)
        self._payload: dict[str, str] = {}
        self._tags: dict[str, str] = {}
        self.payload_bytes = 0
        self._now = datetime.now(UTC).timetuple()[:6]

    def add(self, path: str, data: bytes) -> str:
        """Add a payload file; returns the SHA-256 of the bytes as written."""
        if not path.startswith("data/") or path in self._payload or ".." in path.split("/"):
            raise ValueError(f"bad or repeated payload path {path!r}")
        digest = self._write(path, data)
        self._payload[path] = digest
        self.payload_bytes += len(data)
        return digest

    def open(self, path: str, size: int) -> Member:
        """A payload file written piece by piece (`Member.write`, then `Member.close`)."""
        if not path.startswith("data/") or path in self._payload or ".." in path.split("/"):
            raise ValueError(f"bad or repeated payload path {path!r}")
        info = self._info(path)
        return Member(self, path, self._zip.open(info, "w", force_zip64=size >= _ZIP64_FROM))

    def digest(self, path: str) -> str:
        """The SHA-256 of a payload file written whole, as the manifest will list it."""
        return self._payload[path]

    def _closed(self, path: str, digest: str, size: int) -> None:
        self._payload[path] = digest
        self.payload_bytes += size

    def finish(self, key: Ed25519PrivateKey, info: dict[str, str]) -> None:
        """bag-info, the manifests, and the signature over the tag manifest."""
        lines = {**info, "Bagging-Date": datetime.now(UTC).date().isoformat(),
                 "Payload-Oxum": f"{self.payload_bytes}.{len(self._payload)}",
                 "Bag-Software-Agent": "zeromeet"}
        bag_info = "".join(f"{k}: {_one_line(v)}\n" for k, v in lines.items()).encode()
        manifest = "".join(f"{h}  {p}\n" for p, h in sorted(self._payload.items())).encode()
        for name, data in zip(TAG_FILES, (BAGIT_TXT, bag_info, manifest), strict=True):
            self._tags[name] = self._write(name, data)
        tagmanifest = "".join(f"{h}  {p}\n" for p, h in sorted(self._tags.items())).encode()
        self._write(SIGNED, tagmanifest)
        self._write(SIGNATURE, key.sign(tagmanifest))
        self._zip.close()

    def take(self) -> bytes:
        return self._sink.take()

    def _write(self, path: str, data: bytes) -> str:
        with self._zip.open(self._info(path), "w", force_zip64=len(data) >= _ZIP64_FROM) as member:
            member.write(data)
        return hashlib.sha256(data).hexdigest()

    def _info(self, path: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self.root}/{path}", date_time=self._now)
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info


class Member:
    """One payload file being written: hashed as it goes, listed in the manifest on close."""

    def __init__(self, writer: BagWriter, path: str, handle: Any) -> None:
        self._writer, self._path, self._handle = writer, path, handle
        self._digest = hashlib.sha256()
        self._size = 0

    def write(self, chunk: bytes) -> None:
        self._handle.write(chunk)
        self._digest.update(chunk)
        self._size += len(chunk)

    def close(self) -> str:
        self._handle.close()
        digest = self._digest.hexdigest()
        self._writer._closed(self._path, digest, self._size)
        return digest


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())
