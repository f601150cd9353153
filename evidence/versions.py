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


@dataclass(frozen=True)
class ObjectVersion:
    """One entry of a key's version listing. `version_id` is None in a bucket without
    versioning (S3 names that one version "null")."""

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
