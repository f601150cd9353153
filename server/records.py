"""Writing record versions and confirmations: bytes to the object store, then rows, in
that order (see `server.services.evidence`). Used by the transcription job (version 1)
and by the handlers (edits, answers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence.chain import canonical_json
from evidence.store import ObjectStore
from server.db.models import Interview, RecordVersion
from server.errors import Conflict
from server.services import evidence, records
from transcription.record import content_sha256, text_sha256


def record_key(interview_id: str, name: str) -> str:
    return f"interviews/{interview_id}/record/{name}"


async def write_version(sessions: async_sessionmaker, store: ObjectStore, interview: Interview,
                        content: dict[str, Any], *, number: int, based_on: int | None,
                        author_id: str | None, correction_reason: str = "",
                        observed: dict[str, Any] | None = None,
                        derived_from: str | None = None) -> RecordVersion:
    """Store `content` as version `number` and its evidence item. A version someone else
    saved first answers `Conflict("stale_version")`."""
    data = canonical_json(content)
    sha256 = content_sha256(content)
    key = record_key(interview.id, f"v{number:04d}-{sha256[:16]}.json")
    stored_sha, size, version_id = await evidence.store_bytes(store, key, data, "application/json")
    assert stored_sha == sha256, "canonical JSON and content_sha256 disagree"
    item = evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="record", key=key,
        content_type="application/json", sha256=sha256, size=size, version_id=version_id,
        observed={"version": number, "based_on": based_on, "author": author_id,
                  "text_sha256": text_sha256(content), **(observed or {})},
        derived_from=derived_from)
    try:
        async with sessions() as session, session.begin():
            return await records.add_version(
                session, interview, content_json=data.decode(), sha256=sha256,
                text_sha256=text_sha256(content), based_on=based_on, author_id=author_id,
                correction_reason=correction_reason, item=item, number=number)
    except IntegrityError:
        raise Conflict(f"Version {number} was saved by someone else meanwhile; reload.",
                       code="stale_version") from None
