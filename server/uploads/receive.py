"""Receiving one uploaded file from a multipart body: spooled to a temporary file in the
data dir as it arrives, hashed (SHA-256 over exactly the bytes received), its type
sniffed from the first bytes, and refused early when too large or of an unknown type.

The application's small `client_max_size` does not apply here: a multipart reader
streams past it, and `limit` is enforced instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Awaitable
from typing import BinaryIO, TypeVar

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from evidence.sniff import HEAD, FileType, TextCheck, sniff
from server.appkeys import SETTINGS
from server.errors import InvalidInput, RequestTimeout, ServerError

T = TypeVar("T")
FLUSH = 1 << 20  # bytes gathered before one write-and-hash in a worker thread
READ = 64 * 1024  # one read from the socket: a phone on 2G sends it in a few seconds
FIELD_BYTES = 4096  # a form field beside the file (a note, a device time)
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file


class TooLarge(ServerError):
    code, status = "too_large", 413


class UnsupportedType(ServerError):
    code, status = "unsupported_type", 415


ACCEPTED = ("Send a photo (JPEG, PNG, WebP, HEIC) or a document as PDF or plain text.")


@dataclass
class Received:
    """The file as it arrived. `path` is the spool file: the caller deletes it."""

    path: Path
    sha256: str
    size: int
    type: FileType
    filename: str  # as the client named it, unchecked
    content_type: str  # as the client claimed, unchecked
    fields: dict[str, str] = field(default_factory=dict)


async def receive(request: web.Request, spool_dir: Path, *, limit: int,
                  fields: set[str]) -> Received:
    """Read the multipart body: one part `file`, and text parts named in `fields`."""
    if request.content_length is not None and request.content_length > limit + MULTIPART_SLACK:
        raise _too_large(limit)
    if not request.content_type.startswith("multipart/form-data"):
        raise InvalidInput("Send the file as multipart/form-data in a field named 'file'.",
                           code="unsupported_media_type")
    got: Received | None = None
    values: dict[str, str] = {}
    idle = request.app[SETTINGS].body_idle_timeout
    try:
        reader = await request.multipart()
        while (part := await _stalled_after(idle, reader.next())) is not None:
            if not isinstance(part, BodyPartReader):
                raise InvalidInput("Nested multipart bodies are not accepted.")
            if part.name == "file":
                if got is not None:
                    raise InvalidInput("Send one file per request.", code="one_file")
                got = await _spool(part, spool_dir, limit, idle)
            elif part.name in fields and part.name not in values:
                values[part.name] = await _field(part, idle)
            else:
                raise InvalidInput(f"Unknown or repeated field '{part.name}'.",
                                   code="unknown_field")
    except BaseException as exc:
        if got is not None:
            got.path.unlink(missing_ok=True)
        if isinstance(exc, ValueError):  # aiohttp's word for a body that is not multipart
            raise InvalidInput(f"The multipart body is malformed: {exc}.",
                               code="bad_multipart") from None
        if isinstance(exc, HttpProcessingError):  # a part's headers: no colon, too long, ...
            raise InvalidInput("The multipart body is malformed: a part's headers cannot be "
                               "read.", code="bad_multipart") from None
        raise
    if got is None:
        raise InvalidInput("The upload has no file: put it in a field named 'file'.",
                           code="missing_file")
    got.fields = values
    return got


def spool_file(spool_dir: Path, prefix: str, suffix: str) -> Path:
    """A new empty file of this process's own in `spool_dir`, closed: the caller opens it
    by name and deletes it. Files left by a crash are cleared at start (see `clear_spool`)."""
    spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=spool_dir, prefix=prefix, suffix=suffix)
    os.close(fd)
    return Path(name)


async def _spool(part: BodyPartReader, spool_dir: Path, limit: int, idle: float) -> Received:
    path = spool_file(spool_dir, "upload-", ".part")
    try:
        with open(path, "wb") as out:
            sha256, size, kind = await _copy(part, out, limit, idle)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path=path, sha256=sha256, size=size, type=kind,
                    filename=part.filename or "",
                    content_type=part.headers.get("Content-Type", "")[:100])


async def _copy(part: BodyPartReader, out: BinaryIO, limit: int,
                idle: float) -> tuple[str, int, FileType]:
    digest = hashlib.sha256()
    size, kind, text = 0, None, None
    pending = bytearray()
    while chunk := await _stalled_after(idle, part.read_chunk(READ)):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        pending += chunk
        if kind is None and len(pending) >= HEAD:
            kind = _sniffed(pending)
            text = TextCheck() if kind.mime.startswith("text/") else None
        if kind is not None and len(pending) >= FLUSH:
            await _write(digest, out, pending, text)
            pending = bytearray()
    if size == 0:
        raise InvalidInput("The file is empty.", code="empty_file")
    if kind is None:
        kind = _sniffed(pending)
        text = TextCheck() if kind.mime.startswith("text/") else None
    await _write(digest, out, pending, text)
    if text is not None and not text.finish():
        raise UnsupportedType("The file is not plain UTF-8 text. " + ACCEPTED)
    return digest.hexdigest(), size, kind


async def _write(digest: hashlib._Hash, out: BinaryIO, data: bytearray,
                 text: TextCheck | None) -> None:
    if text is not None and not text.feed(bytes(data)):
        raise UnsupportedType("The file is not plain UTF-8 text. " + ACCEPTED)
    await asyncio.to_thread(_hash_and_write, digest, out, bytes(data))


def _hash_and_write(digest: hashlib._Hash, out: BinaryIO, data: bytes) -> None:
    digest.update(data)
    out.write(data)


async def _stalled_after(idle: float, read: Awaitable[T]) -> T:
    """One read of the body; a 408 when nothing arrives for `idle` seconds."""
    try:
        async with asyncio.timeout(idle):
            return await read
    except TimeoutError:
        raise RequestTimeout(f"The upload stopped: nothing arrived for {idle:.0f} s. "
                             "Please try again.") from None


def _sniffed(head: bytearray) -> FileType:
    kind = sniff(bytes(head[:HEAD]))
    if kind is None:
        raise UnsupportedType("This type of file is not accepted. " + ACCEPTED)
    return kind


async def _field(part: BodyPartReader, idle: float) -> str:
    data = bytearray()
    while chunk := await _stalled_after(idle, part.read_chunk(FIELD_BYTES)):
        data += chunk
        if len(data) > FIELD_BYTES:
            raise InvalidInput(f"The field '{part.name}' is too long.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"The field '{part.name}' is not UTF-8 text.") from None


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"The file is larger than {limit // (1024 * 1024)} MB, the most one "
                    "upload may hold.")
