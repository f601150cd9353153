"""A recording's playable file in a bundle, and the readable names of its folder.

A recording is stored as many ~2 s segments; a lawyer wants one file to play. The export
joins a recording's segments into one WebM as they pass through it (`evidence.join.Joiner`,
the same join `GET /api/recordings/{id}/media` streams: re-muxed, never transcoded) and
puts it next to them as a derived file. It is no evidence item: the index lists it under
its recording with the hash of every segment it was made from, the bag's manifests cover
its bytes, and `zeromeet verify` joins those segments again and compares
(`evidence.playable`). A segment that cannot be joined (not WebM, another codec) is left
out of it and named.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence import bundle as bag
from evidence.join import JOIN_METHOD, Joiner

log = logging.getLogger("zeromeet.bundle")

CHUNK = 1 << 20
NAME_LENGTH = 40  # of the participant's part of a name


def recording_name(participant: str, role: str, kind: str, recording_id: str) -> str:
    """`王芳-worker-video-1a2b3c4d`: who, on which side, what, and the start of the
    recording's id — a folder or file name fit for any system. Letters of any script,
    digits, '_', '.' and '·' are kept; everything else (path separators, control and
    format characters, spaces, '%', quotes, '-', which separates the parts) becomes '_'."""
    def clean(text: str, limit: int, default: str) -> str:
        text = unicodedata.normalize("NFC", text)
        kept = "".join(c if c.isalnum() or c in "_.·" else "_" for c in text)
        return re.sub(r"_+", "_", kept).strip("._")[:limit].rstrip("._") or default
    return "-".join((clean(participant, NAME_LENGTH, "participant"), clean(role, 16, "party"),
                     clean(kind, 8, "media"), clean(recording_id.replace("-", ""), 8, "recording")))


@dataclass
class Playable:
    """One recording's playable file, made in a spool file while its segments go by.
    `feed` and `finish` block (parsing, disk): the exporter runs them in a thread."""

    entry: dict[str, Any]  # the recording's index entry, which gets "playable"
    path: str  # in the bag
    spool: Path
    joiner: Joiner | None = None
    made_from: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[dict[str, Any]] = field(default_factory=list)
    content_type: str = ""

    @classmethod
    def open(cls, entry: dict[str, Any], path: str, spool: Path) -> Playable:
        fd, name = tempfile.mkstemp(dir=spool, prefix="playable-", suffix=".part")
        os.close(fd)
        return cls(entry, path, Path(name))

    def feed(self, seq: int, sha256: str, start_ms: int, data: bytes) -> None:
        """Join one segment (its bytes as written into the bag); the first one joined
        sets time 0."""
        if self.joiner is None:
            self.joiner = Joiner(origin_ms=start_ms)
            self.content_type = f"{self.entry['kind']}/webm"
        try:
            chunk = self.joiner.feed(data)
        except ValueError as exc:
            self.left_out.append({"seq": seq, "sha256": sha256, "why": str(exc)})
            return
        with open(self.spool, "ab") as out:
            out.write(chunk)
        self.made_from.append({"seq": seq, "sha256": sha256})

    def finish(self) -> bool:
        """Write the Duration into the file's header; False when nothing could be joined
        (then there is no playable file)."""
        patch = self.joiner.duration() if self.joiner is not None else None
        if patch is None:
            return False
        offset, data = patch
        with open(self.spool, "r+b") as out:
            out.seek(offset)
            out.write(data)
        return True

    def listing(self, sha256: str, size: int) -> dict[str, Any]:
        """What the index says of it, under its recording."""
        assert self.joiner is not None
        out = {"path": self.path, "sha256": sha256, "size": size,
               "content_type": self.content_type, "method": JOIN_METHOD,
               "origin_ms": self.joiner.origin_ms, "duration_ms": self.joiner.duration_ms,
               "blocks": self.joiner.blocks, "made_from": self.made_from}
        if self.left_out:
            out["left_out"] = self.left_out
        return out

    def close(self) -> None:
        self.spool.unlink(missing_ok=True)


async def copy_into(writer: bag.BagWriter, path: str, local: Path, sha256: str | None = None) -> AsyncIterator[bytes]:
    """`local` into the bag as `path`, a megabyte at a time; its SHA-256 on the way is
    logged if it is not `sha256`."""
    member = writer.open(path, local.stat().st_size)
    with open(local, "rb") as source:
        while chunk := await asyncio.to_thread(source.read, CHUNK):
            await asyncio.to_thread(member.write, chunk)
            yield writer.take()
    digest = await asyncio.to_thread(member.close)
    if sha256 is not None and digest != sha256:
        log.error("an evidence object no longer matches its hash on arrival", extra={"path": path})
    yield writer.take()


async def add_playable(writer: bag.BagWriter, playable: Playable) -> AsyncIterator[bytes]:
    """The recording's playable file into the bag, listed under its recording."""
    try:
        if not await asyncio.to_thread(playable.finish):
            return
        async for chunk in copy_into(writer, playable.path, playable.spool):
            yield chunk
        size = (await asyncio.to_thread(playable.spool.stat)).st_size
        playable.entry["playable"] = playable.listing(writer.digest(playable.path), size)
        if playable.left_out:
            log.error("segments could not be joined into a recording's playable file",
                      extra={"recording": playable.entry["id"], "left_out": playable.left_out})
    finally:
        await asyncio.to_thread(playable.close)
