"""Writing a new evidence item: the bytes go to the object store first (write-once,
hash-checked), the row after. A row therefore never names bytes that are not stored; a
failed transaction leaves at most an unnamed stored object, which harms nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evidence.discrepancy import Discrepancy, Kind
from evidence.errors import StoreError
from evidence.store import ObjectStore
from server.db.models import EvidenceItem


async def store_bytes(store: ObjectStore, key: str, data: bytes,
                      content_type: str) -> tuple[str, int, str | None]:
    """Store `data` under `key`: its SHA-256, size and the version written (for the row)."""
    sha256 = hashlib.sha256(data).hexdigest()
    stored = await store.put(key, data, sha256=sha256, content_type=content_type)
    return sha256, len(data), stored.version_id


def item(*, case_id: str, interview_id: str | None, kind: str, key: str, content_type: str,
         sha256: str, size: int, observed: dict[str, Any], claimed: dict[str, Any] | None = None,
         derived_from: str | None = None, version_id: str | None = None) -> EvidenceItem:
    """The row of a stored item; `version_id` is the version `put` wrote (read exactly
    that one back)."""
    return EvidenceItem(
        case_id=case_id, interview_id=interview_id, kind=kind, object_key=key,
        version_id=version_id, content_type=content_type, sha256=sha256, size=size,
        observed=json.dumps(observed, ensure_ascii=False),
        claimed=json.dumps(claimed or {}, ensure_ascii=False), derived_from=derived_from)


async def shadowed(store: ObjectStore, key: str, version_id: str | None) -> str:
    """What someone with the store's credentials put over the recorded version of `key`
    ("a newer version was written over it", "a delete marker hides it"), or "". A store
    that will not list versions is named too: the check could not be made."""
    found = await shadow(store, key, version_id)
    return found.message if found else ""


async def shadow(store: ObjectStore, key: str, version_id: str | None) -> Discrepancy | None:
    """`shadowed` as a discrepancy whose `where` the caller gives (`within`): unexpected
    (a version present that no evidence names), or unchecked when the store will not
    list versions; None when nothing was put over it."""
    try:
        found = await store.shadowing(key, version_id)
    except StoreError as exc:
        return Discrepancy(Kind.UNCHECKED, "", "its versions cannot be listed to see what was "
                                               f"written over it ({exc})")
    return Discrepancy(Kind.UNEXPECTED, "", found) if found else None
