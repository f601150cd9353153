"""Captures in flight, kept on disk so that a crash never leaves evidence unaccounted for.

An upload's bytes go to the write-once store before its rows go to the database (see
`server.services.uploads`). A kill between the two used to leave a stored, locked object
that no row and no custody event named: invisible evidence. So each capture first writes
its would-be rows here; the entry is removed once the rows are committed. At the next
start `server.services.uploads.recover_captures` reads what is left: an object that made
it to the store is recorded after all (marked as recovered), one that did not is
forgotten (its sender never got a 201).

Also here: clearing the temporary files of uploads, downloads, snapshots and exports
that a crash left in the spool.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from server.recording.spool import fsync_dir

log = logging.getLogger(__name__)

# Temporary files that belong to one request each: none survives the process. The store
# adapter downloads to a hidden ".<name>.*.part" beside its destination.
_LEFTOVERS = {"uploads": ("upload-*.part", "snapshot-*.png"),
              "downloads": ("download-*.part", ".download-*.part"),
              "exports": ("export-*.part", ".export-*.part")}


class Journal:
    """One JSON file per capture, named by its item id, from before its bytes go to the
    store until its rows are committed. One per process (its data dir): `in_flight`
    holds the captures whose requests are still running, which recovery leaves alone."""

    def __init__(self, spool: Path, folder: str = "uploads") -> None:
        self.root = spool / folder / "pending"
        self.in_flight: set[str] = set()

    def begin(self, item_id: str, entry: dict[str, Any]) -> None:
        """Durably note `entry` before the first byte of `item_id` goes to the store."""
        self.in_flight.add(item_id)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.root / f"{item_id}.json.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(entry, out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(self.root / f"{item_id}.json")
        fsync_dir(self.root)  # the rename too survives a power cut

    def done(self, item_id: str) -> None:
        """The rows are committed: forget the capture."""
        (self.root / f"{item_id}.json").unlink(missing_ok=True)
        self.in_flight.discard(item_id)

    def release(self, item_id: str) -> None:
        """The request ended without committing: its entry is now recovery's to settle."""
        self.in_flight.discard(item_id)

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        """What was left by requests no longer running, oldest first; an unreadable entry
        is logged and left where it is for an admin (it may name stored evidence)."""
        if not self.root.is_dir():
            return []
        for tmp in self.root.glob("*.json.tmp"):  # torn before the rename: nothing stored yet
            if tmp.name.removesuffix(".json.tmp") not in self.in_flight:
                tmp.unlink(missing_ok=True)
        out = []
        found = []
        for path in self.root.glob("*.json"):
            with contextlib.suppress(FileNotFoundError):  # a request just finished
                if path.stem not in self.in_flight:
                    found.append((path.stat().st_mtime, path))
        for _, path in sorted(found):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                log.error("unreadable capture journal entry kept for an admin",
                          extra={"path": str(path), "reason": str(exc)})
                continue
            out.append((path.stem, entry))
        return out


async def settle_entries(journal: Journal, settle: Callable[[str, dict[str, Any]], Awaitable[str]],
                         what: str) -> list[str]:
    """Run `settle(id, entry)` on each entry left in `journal`: "recorded" (its rows are
    written now), "known" (they were) and "never stored" (nothing to record) end the
    entry; anything else (or an exception, logged) keeps it for the next sweep, so that
    one bad entry stops neither the others nor a start. The ids recorded."""
    recorded = []
    for entry_id, entry in await asyncio.to_thread(journal.entries):
        try:
            settled = await settle(entry_id, entry)
        except Exception:  # noqa: BLE001 - kept for the next try, and logged
            log.exception("an upload left in flight could not be settled; it is kept",
                          extra={"entry": entry_id, "what": what})
            continue
        if settled == "recorded":
            recorded.append(entry_id)
        if settled in ("recorded", "known", "never stored"):
            await asyncio.to_thread(journal.done, entry_id)
    return recorded


def clear_leftovers(spool: Path) -> int:
    """Remove the per-request temporary files a crash left behind; how many there were."""
    count = 0
    for folder, patterns in _LEFTOVERS.items():
        for pattern in patterns:
            for path in (spool / folder).glob(pattern):
                path.unlink(missing_ok=True)
                count += 1
    return count
