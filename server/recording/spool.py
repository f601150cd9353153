"""The local spool: segments wait here until the object store holds them.

One directory per recording, named by its id:

    recording.json        who and what is recorded (written when the recording starts)
    open-000007.webm      a segment being written; after a crash, a torn segment
    000003.webm           a closed segment, renamed when its sidecar is written
    000003.json           its facts and chain link: from here on it is part of the chain
    seal.json             the signed seal, once made (so a retried seal is the same seal)

Files are removed only after the store has confirmed them and the database holds their
row. A kill can land between any two of these steps; `scan` sorts out what it left:
a closed segment whose sidecar was never written is finished like a torn one, and
half-written `*.tmp` files (never in effect) and the sidecar of a segment already stored
are stale. Everything here is blocking file I/O: callers run it in a worker thread.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.hashing import sha256_file
from evidence import webm
from evidence.segment import SegmentClosed, SegmentStored

META = "recording.json"
SEAL = "seal.json"
_OPEN = re.compile(r"^open-(\d{6,})\.webm$")
_CLOSED = re.compile(r"^(\d{6,})\.json$")
_SEGMENT = re.compile(r"^(\d{6,})\.webm$")


def segment_path(directory: Path, seq: int) -> Path:
    return directory / f"{seq:06d}.webm"


def open_path(directory: Path, counter: int) -> Path:
    return directory / f"open-{counter:06d}.webm"


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Atomically, durably: a crash leaves the old file or the new one, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(value, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def make_dir(directory: Path, meta: dict[str, Any]) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_json(directory / META, meta)


def commit_segment(directory: Path, opened: Path, record: SegmentStored) -> Path:
    """Make a closed segment durable: its bytes on disk, its name, its sidecar."""
    with open(opened, "rb") as handle:
        os.fsync(handle.fileno())
    final = segment_path(directory, record.seq)
    os.replace(opened, final)
    write_json(directory / f"{record.seq:06d}.json", record.as_dict())
    return final


def forget_segment(directory: Path, seq: int) -> None:
    """After the store and the database both hold it."""
    for path in (segment_path(directory, seq), directory / f"{seq:06d}.json"):
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def forget_recording(directory: Path) -> None:
    for name in (SEAL, META):
        try:
            (directory / name).unlink()
        except FileNotFoundError:
            pass
    try:
        directory.rmdir()
    except OSError:
        pass  # something unexpected is left: keep it for a person to look at


@dataclass(frozen=True)
class Leftovers:
    """What a stopped server left in one recording's spool directory."""

    meta: dict[str, Any] | None
    committed: list[SegmentStored]  # sidecar written: in the chain already
    torn: list[Path]  # unchained closed segments, then open ones, oldest first
    seal: dict[str, Any] | None
    tmp: list[Path] = field(default_factory=list)  # half-written, never in effect
    sidecars: dict[int, Path] = field(default_factory=dict)  # sidecar without its segment


def scan(directory: Path) -> Leftovers:
    committed: list[SegmentStored] = []
    sidecars: dict[int, Path] = {}
    closed: list[tuple[int, Path]] = []
    opened: list[tuple[int, Path]] = []
    tmp: list[Path] = []
    for path in directory.iterdir():
        if match := _CLOSED.match(path.name):
            seq = int(match[1])
            value = read_json(path)
            if not segment_path(directory, seq).exists():
                sidecars[seq] = path
            elif value is not None:
                try:
                    committed.append(SegmentStored.from_dict(value))
                except (TypeError, AttributeError):  # not a sidecar this server wrote
                    pass
        elif match := _SEGMENT.match(path.name):
            closed.append((int(match[1]), path))
        elif match := _OPEN.match(path.name):
            opened.append((int(match[1]), path))
        elif path.name.endswith(".tmp"):
            tmp.append(path)
    committed.sort(key=lambda r: r.seq)
    chained = {r.seq for r in committed}
    # Renamed but never chained (the kill came before its sidecar): older than any open one.
    unchained = [p for seq, p in sorted(closed) if seq not in chained]
    return Leftovers(read_json(directory / META), committed,
                     unchained + [p for _, p in sorted(opened)], read_json(directory / SEAL),
                     tmp, sidecars)


def recover_torn(path: Path, frame_ms: int) -> SegmentClosed | None:
    """Cut a torn segment at its last complete block and give it its Duration; None (and
    the file removed) if not one block survived: then nothing was recorded in it. No RTP
    facts survive a crash (-1): its arrival times come from the blocks' timestamps (the
    interview clock)."""
    data = path.read_bytes()
    try:
        parsed = webm.parse(data)
    except ValueError:
        parsed = None
    if parsed is None or not parsed.blocks or parsed.track is None:
        path.unlink()
        return None
    first, last = parsed.blocks[0], parsed.blocks[-1]
    end_ms = last.timestamp_ms + frame_ms
    # A kill before the segment closed left its Duration slot a Void: fill it in now.
    slot = parsed.duration_at if parsed.duration_ms is None else None
    if parsed.complete_size < len(data) or slot is not None:
        with open(path, "r+b") as handle:
            handle.truncate(parsed.complete_size)
            if slot is not None:
                handle.seek(slot)
                handle.write(webm.duration_element(end_ms - first.timestamp_ms))
            handle.flush()
            os.fsync(handle.fileno())
    return SegmentClosed(
        path=path, sha256=sha256_file(path), size=parsed.complete_size, frames=len(parsed.blocks),
        first_arrival_us=first.timestamp_ms * 1000, last_arrival_us=end_ms * 1000,
        rtp_first=-1, rtp_last=-1, start_ms=first.timestamp_ms, end_ms=end_ms, gap=False,
        codec=parsed.track.codec, width=parsed.track.width, height=parsed.track.height)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
