"""A complainant's photo or document: stored write-once, then recorded. Between the two
the would-be row waits in a journal on disk (`server.uploads.pending.Journal`, its own
folder), so that a crash or a failed commit in between leaves no stored file that no row
names: `recover` records it at the next sweep, marked as recovered."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence.store import ObjectStore
from server.complaints import handling, log
from server.db.complaint_models import Complaint, ComplaintFile
from server.db.models import new_id
from server.db.types import utcnow
from server.services.uploads import display_name
from server.uploads.pending import Journal, settle_entries
from server.uploads.receive import Received

logger = logging.getLogger(__name__)
_FIELDS = ("id", "complaint_id", "kind", "object_key", "content_type", "sha256", "size",
           "observed", "claimed")


async def store(objects: ObjectStore, journal: Journal, complaint_id: str, got: Received,
                address: str, now: datetime) -> ComplaintFile:
    """Put the file in the store; the row to add (its journal entry written first). The
    caller adds it with `record` and then calls `journal.done(row.id)`."""
    file_id = new_id()
    observed = {"received_at": now.isoformat(), "size": got.size, "sha256": got.sha256,
                "type": got.type.mime, "address": address}
    name = display_name(got.filename)
    claimed: dict[str, Any] = {"filename": name, "content_type": got.content_type}
    if got.filename and got.filename != name:
        claimed["filename_sent"] = got.filename[:255]
    if got.fields.get("note"):
        claimed["note"] = got.fields["note"][:2000]
    row = ComplaintFile(id=file_id, complaint_id=complaint_id, kind="upload",
                        object_key=f"complaints/{complaint_id}/files/{file_id}/original",
                        content_type=got.type.mime, sha256=got.sha256, size=got.size,
                        observed=json.dumps(observed, ensure_ascii=False),
                        claimed=json.dumps(claimed, ensure_ascii=False), created_at=now)
    await asyncio.to_thread(journal.begin, file_id, {f: getattr(row, f) for f in _FIELDS}
                            | {"created_at": now.isoformat()})
    try:
        row.version_id = (await objects.put(row.object_key, got.path, sha256=got.sha256,
                                            content_type=got.type.mime)).version_id
    except BaseException:
        journal.release(file_id)  # the sweep settles whatever did reach the store
        raise
    return row


async def record(session: AsyncSession, row: ComplaintFile, *, recovered: bool = False) -> None:
    """The row and its step in the complaint's log; more material asked for has come."""
    session.add(row)
    await session.flush()
    detail: dict[str, Any] = {"file": row.id, "sha256": row.sha256, "size": row.size}
    if recovered:
        detail["recovered"] = True
    await log.append(session, row.complaint_id, "complaint_file_added", {"kind": "complainant"},
                     detail, public=True, at=row.created_at)
    complaint = await session.get(Complaint, row.complaint_id)
    if complaint is not None and complaint.paused_kind == handling.MATERIAL:
        await handling.resume(session, {"kind": "complainant"}, complaint,
                              "投诉人补充了材料 (the complainant sent material)")


async def recover(sessions: async_sessionmaker, objects: ObjectStore, journal: Journal) -> list[str]:
    """Record the files whose requests ended between the store and the database; forget
    those that never reached the store (their sender got no 201). The ids recorded."""
    async def settle(file_id: str, entry: dict[str, Any]) -> str:
        return await _settle(sessions, objects, file_id, entry)
    return await settle_entries(journal, settle, "a complaint file")


async def _settle(sessions: async_sessionmaker, objects: ObjectStore, file_id: str,
                  entry: dict[str, Any]) -> str:
    async with sessions() as session:
        if await session.get(ComplaintFile, file_id) is not None:
            return "known"
    found = await objects.stat(entry["object_key"])
    if found is None:
        return "never stored"
    if found.sha256 != entry["sha256"]:
        logger.error("a complaint file left in flight names an object with other bytes; kept "
                     "for an admin", extra={"file": file_id, "key": entry["object_key"]})
        return "kept"
    observed = json.loads(entry["observed"])
    observed["recovered"] = (f"its row could not be written when it arrived (the server stopped "
                             f"or the database failed); recorded at {utcnow().isoformat()}")
    row = ComplaintFile(**{**{f: entry[f] for f in _FIELDS},
                           "observed": json.dumps(observed, ensure_ascii=False)},
                        version_id=found.version_id, created_at=datetime.fromisoformat(entry["created_at"]))
    async with sessions() as session, session.begin():
        await record(session, row, recovered=True)
    logger.warning("a complaint file stored but not recorded when it arrived is recorded now",
                   extra={"file": file_id, "complaint": row.complaint_id})
    return "recorded"
