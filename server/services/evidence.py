"""Writing a new evidence item: the bytes go to the object store first (write-once,
hash-checked), the row after. A row therefore never names bytes that are not stored; a
failed transaction leaves at most an unnamed stored object, which harms nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from evidence.store import ObjectStore
from server.db.models import EvidenceItem


async def store_bytes(store: ObjectStore, key: str, data: bytes, content_type: str) -> tuple[str, int]:
    sha256 = hashlib.sha256(data).hexdigest()
    await store.put(key, data, sha256=sha256, content_type=content_type)
    return sha256, len(data)


def item(*, case_id: str, interview_id: str | None, kind: str, key: str, content_type: str,
         sha256: str, size: int, observed: dict[str, Any], claimed: dict[str, Any] | None = None,
         derived_from: str | None = None) -> EvidenceItem:
    return EvidenceItem(
        case_id=case_id, interview_id=interview_id, kind=kind, object_key=key,
        content_type=content_type, sha256=sha256, size=size,
        observed=json.dumps(observed, ensure_ascii=False),
        claimed=json.dumps(claimed or {}, ensure_ascii=False), derived_from=derived_from)
