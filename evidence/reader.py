"""How `verify` reads a bundle's files: each read whole or hashed once however often
the bundle names it, and never inflated past what the bundle itself claims.

A file that cannot be read, or runs past its bound, is a discrepancy named once (through
the `problem` the reader is given) and is not tried again. The bounds are taken from the
index and from Payload-Oxum before anything is hashed (`_claims`), so a megabyte of zip
that would inflate to a terabyte is read only as far as the bundle says it goes. JSON is
read through the same budget, and every shape it should have and lacks is named.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from evidence import bundle as bag
from evidence.discrepancy import Discrepancy, Kind
from evidence.sources import Kept, Source, TooLarge, Unreadable, describe

# What is read whole is read only up to a size, so that a small zip that inflates to
# gigabytes cannot exhaust memory. A PEM key or a raw signature is far below a kilobyte;
# the largest real manifest or JSON (a long recording's chain, a busy custody log) is a
# few megabytes.
KEY_LIMIT = 64 << 10
READ_LIMIT = 64 << 20
# The server takes a drawn signature of at most 512 KiB; every confirmation that names
# one hashes it again (`confirmation.check`), so it is read only up to this.
SIGNATURE_LIMIT = 1 << 20
# How far a file is inflated to hash it is bounded by what the bundle claims (`_bound`):
# the index gives every item and segment its size, and every file it gives none is one
# that is also read whole, within READ_LIMIT.
_OXUM = re.compile(r"Payload-Oxum:\s*([0-9]{1,20})\.[0-9]{1,20}\s*")


class BundleReader:
    """The files of `source` as the verifier reads them; `problem` receives each
    `Discrepancy` found while reading."""

    def __init__(self, source: Source, problem: Callable[[Discrepancy], None]) -> None:
        # Each file is read once however often the index names it (`Kept`).
        self.source, self.problem = Kept(source), problem
        self.present = set(source.files())
        self.hashes: dict[str, str | None] = {}
        self.sizes: dict[str, int] = {}
        self.unreadable: set[str] = set()
        self.claimed: dict[str, int] = {}  # path: the size the index gives it
        self.payload_claim: int | None = None  # bytes, from Payload-Oxum
        self.payload_left: int | None = None

    def guarded(self, section: str, check: Callable[..., Any], *args: Any) -> Any:
        """Run one check; if input it was not written for breaks it anyway, name the
        section as malformed and let the other checks run. The result, or None."""
        try:
            return check(*args)
        except Exception as exc:  # a hostile bundle must never end the check with a traceback
            self.problem(Discrepancy(Kind.MALFORMED, section, f"malformed ({describe(exc)})"))
            return None

    def read(self, path: str, limit: int) -> bytes | None:
        """The whole file, or None when it cannot be read (named once). A file that could
        not be read or hashed is not tried again: it would fail again, after as much work."""
        if self.hashes.get(path, "") is None:
            return None
        try:
            return self.source.read(path, limit)
        except Unreadable as exc:
            self._unreadable(path, exc)
            if not isinstance(exc, TooLarge):  # refused for its size: it may still be hashed
                self.hashes[path] = None
            return None

    def _unreadable(self, path: str, exc: Unreadable) -> None:
        if path not in self.unreadable:
            self.unreadable.add(path)
            self.problem(Discrepancy(Kind.MALFORMED, path, str(exc)))

    def _hash(self, path: str) -> str | None:
        """The file's SHA-256, streamed, and inflated at most a chunk past the bound the
        bundle claims for it; None when it cannot be read or runs past (named once)."""
        if path not in self.hashes:
            digest, size = hashlib.sha256(), 0
            limit, whose = self._bound(path)
            chunks = self.source.chunks(path)
            try:
                for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise Unreadable(f"more than the {limit} bytes {whose}; not read further")
                    digest.update(chunk)
            except Unreadable as exc:
                self._unreadable(path, exc)
                self.hashes[path] = None
                return None
            finally:
                chunks.close()
                if path.startswith("data/") and self.payload_left is not None:
                    self.payload_left = max(0, self.payload_left - size)
            self.hashes[path], self.sizes[path] = digest.hexdigest(), size
        return self.hashes[path]

    def again(self, path: str) -> bytes | None:
        """The bytes of a file hashed already, read once more and not kept (a segment to
        join into its recording's playable file): no further than the size it had. None
        if it is absent or could not be hashed or read (named once)."""
        if path not in self.present or self._hash(path) is None:
            return None
        limit, parts, size = self.sizes[path], [], 0
        chunks = self.source.chunks(path)
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise Unreadable(f"more than the {limit} bytes it had when hashed")
                parts.append(chunk)
        except Unreadable as exc:
            self._unreadable(path, exc)
            return None
        finally:
            chunks.close()
        return b"".join(parts)

    def _claims(self, index: dict[str, Any] | None) -> None:
        """The sizes the bundle claims, taken before any file is hashed: a megabyte of zip
        can inflate to a terabyte, and is then read only as far as the bundle says it goes.
        And the files that are read whole after they are hashed, so that they are kept."""
        for path in ("manifest-sha256.txt", bag.CUSTODY_EVENTS, bag.CUSTODY_CHECKPOINTS, bag.CALENDAR):
            self.source.want(path, READ_LIMIT)
        for complaint in _dicts((index or {}).get("complaints")):
            for name in ("events", "checkpoints"):
                if isinstance(complaint.get(name), str):
                    self.source.want(complaint[name], READ_LIMIT)
        entries = _dicts((index or {}).get("items"))
        for entry in entries:
            path, kind = entry.get("path"), entry.get("kind")
            if isinstance(path, str) and kind in ("record", "confirmation", "signature"):
                self.source.want(path, SIGNATURE_LIMIT if kind == "signature" else READ_LIMIT)
        for recording in _dicts((index or {}).get("recordings")):
            entries += _dicts(recording.get("segments")) + _dicts([recording.get("playable")])
            if isinstance(recording.get("manifest"), str):
                self.source.want(recording["manifest"], READ_LIMIT)
        for entry in entries:
            path, size = entry.get("path"), entry.get("size")
            if isinstance(path, str) and type(size) is int and size >= 0:
                self.claimed[path] = max(size, self.claimed.get(path, 0))
        info = self.read("bag-info.txt", READ_LIMIT) if "bag-info.txt" in self.present else None
        for line in (info or b"").decode("utf-8", "replace").splitlines():
            if oxum := _OXUM.fullmatch(line):
                self.payload_claim = self.payload_left = int(oxum[1])

    def _bound(self, path: str) -> tuple[int, str]:
        """How many bytes `path` may inflate to, and who says so: the size the index gives
        it, else READ_LIMIT; a payload file no more than is left of Payload-Oxum."""
        limit, whose = self.claimed.get(path, READ_LIMIT), "the index says it has"
        if path not in self.claimed:
            whose = "a file the index gives no size may have"
        left = self.payload_left if path.startswith("data/") else None
        if left is not None and left < limit:
            return left, f"left of the {self.payload_claim} that Payload-Oxum gives the payload"
        return limit, whose

    def _json(self, path: str) -> Any:
        """The JSON value in `path`; None when the file is absent, and when it cannot be
        read, parsed or holds null (each named)."""
        data = self.read(path, READ_LIMIT) if path in self.present else None
        if data is None:
            return None
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            self.problem(Discrepancy(Kind.MALFORMED, path, "not readable JSON"))
            return None
        if value is None:
            self.problem(Discrepancy(Kind.MALFORMED, path, "its content is null"))
        return value

    def _document(self, path: str) -> dict[str, Any] | None:
        """The JSON object in `path`, or None (named, unless the file is absent)."""
        value = self._json(path)
        if value is None or isinstance(value, dict):
            return value
        self.problem(Discrepancy(Kind.MALFORMED, path, "its content is not an object"))
        return None

    def _differs(self, path: str, sha256: Any) -> bool:
        """Whether the file's bytes do not hash to `sha256`; False when it cannot be
        read, which is named once already."""
        return self._hash(path) not in (sha256, None)

    def json_object(self, where: str, what: str, value: Any) -> dict[str, Any]:
        """`value` if it is a JSON object; {} if absent; {} and a discrepancy if it is
        something else."""
        if isinstance(value, dict):
            return value
        if value is not None:
            self.problem(Discrepancy(Kind.MALFORMED, where, f"{what} is not an object"))
        return {}

    def json_objects(self, where: str, what: str, value: Any) -> list[dict[str, Any]]:
        """The objects of a JSON list; each entry that is no object, or a `value` that is
        no list, is a discrepancy."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(Discrepancy(Kind.MALFORMED, where, f"{what} is not a list"))
            return []
        for number, entry in enumerate(value, 1):
            if not isinstance(entry, dict):
                self.problem(Discrepancy(Kind.MALFORMED, where, f"{what} entry {number} is not an object"))
        return [entry for entry in value if isinstance(entry, dict)]


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list, quietly: their shape is named where they are checked."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []
