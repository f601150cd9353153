"""The versions an S3 store keeps of one key, and what they say about a recorded version.

Evidence is written once, so the version the server wrote (and recorded) is the one to
read. Anything above it — a newer version, a delete marker — was put there by someone
with the store's credentials, not by this program: it is tampering, although object lock
keeps the recorded version itself intact. Pure: no S3 client here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

NULL_VERSION = "null"  # S3's id for a version written while its bucket had no versioning


@dataclass(frozen=True)
class ObjectVersion:
    """One entry of a key's version listing. `version_id` is None for a version written
    while its bucket had no versioning (S3 names it "null"): in a bucket versioned
    later, that is the original of a key written before."""

    version_id: str | None
    latest: bool
    delete_marker: bool
    last_modified: datetime | None = None


def original(versions: Sequence[ObjectVersion]) -> ObjectVersion | None:
    """The oldest version that holds bytes: the one this program wrote, for a row that
    predates recorded version ids. `versions` is in the store's listing order, newest
    first, which breaks ties between equal timestamps (S3 keeps them to the second)."""
    kept = [v for v in versions if not v.delete_marker]
    if not kept:
        return None
    newest_first = sorted(kept, key=_moment, reverse=True)  # stable: listing order on ties
    return newest_first[-1]


def read_id(versions: Sequence[ObjectVersion], version: ObjectVersion) -> str | None:
    """The version id to ask the store for so as to read `version`, one of `versions`.

    A version written while its bucket had no versioning has no id of its own; S3 names
    it "null", and a read must name it so once anything else is listed beside it — a
    plain read gets the key's latest version, which is then whatever was put over it.
    None (a plain read) only for a key's sole entry, which a plain read gets anyway, as
    a store without versioning expects."""
    if version.version_id is not None:
        return version.version_id
    return None if len(versions) == 1 else NULL_VERSION


def shadowing(versions: Sequence[ObjectVersion], version_id: str | None) -> str:
    """What hides the recorded version (`version_id`, or the original when None) from a
    plain read of its key: "" when nothing does, or when it is not listed at all (a read
    of it then says that it is missing)."""
    pinned = _find(versions, version_id)
    if pinned is None or pinned.latest:
        return ""
    kept = [v for v in versions if not v.delete_marker]
    newer = [v for v in kept[:kept.index(pinned)] if _moment(v) >= _moment(pinned)]
    hidden = any(v.latest and v.delete_marker for v in versions)
    written = ("a newer version was written over it" if len(newer) == 1
               else f"{len(newer)} newer versions were written over it")
    if newer and hidden:
        return f"{written}, and a delete marker hides it"
    if hidden:
        return "a delete marker hides it"
    if newer:
        return written
    return "another version of its key is the one a plain read gets"


def _find(versions: Sequence[ObjectVersion], version_id: str | None) -> ObjectVersion | None:
    if version_id is None:
        return original(versions)
    return next((v for v in versions if v.version_id == version_id and not v.delete_marker), None)


def _moment(version: ObjectVersion) -> float:
    return version.last_modified.timestamp() if version.last_modified else 0.0
