"""Writing record versions and confirmations: bytes to the object store, then rows, in
that order (see `server.services.evidence`). Used by the transcription job (version 1)
and by the handlers (edits, answers).

Each version is stored twice over: its content (JSON) and its text, exactly as a party
reads and confirms it, rendered once when the version is saved. A confirmation binds the
text's hash; verification and the party's page read the stored text back, so a later
change to the renderer's wording, labels or time zone never touches an earlier record."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence.chain import canonical_json
from evidence.errors import StoreError
from evidence.store import ObjectStore
from server.db.models import EvidenceItem, Interview, new_id
from server.db.record_models import RecordVersion
from server.db.types import utcnow
from server.errors import Conflict
from server.services import evidence, records
from transcription.errors import FontMissing
from transcription.record import content_sha256, render_text

log = logging.getLogger("zeromeet.records")
TEXT_TYPE = "text/plain; charset=utf-8"


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
    text = render_text(content).encode("utf-8")
    text_item = await _store_text(store, interview, number, sha256, text,
                                  {"rendered": "when the version was saved"})
    item = evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="record", key=key,
        content_type="application/json", sha256=sha256, size=size, version_id=version_id,
        observed={"version": number, "based_on": based_on, "author": author_id,
                  "text_sha256": text_item.sha256, **(observed or {})},
        derived_from=derived_from)
    item.id = text_item.derived_from = new_id()
    try:
        async with sessions() as session, session.begin():
            return await records.add_version(
                session, interview, content_json=data.decode(), sha256=sha256,
                text_sha256=text_item.sha256, based_on=based_on, author_id=author_id,
                correction_reason=correction_reason, item=item, text_item=text_item,
                number=number)
    except IntegrityError:
        raise Conflict(f"Version {number} was saved by someone else meanwhile; reload.",
                       code="stale_version") from None


async def _store_text(store: ObjectStore, interview: Interview, number: int, record_sha256: str,
                      text: bytes, observed: dict[str, Any]) -> EvidenceItem:
    """The text of version `number` as its own item, derived from the version's (the
    caller links it)."""
    key = record_key(interview.id, f"v{number:04d}-{record_sha256[:16]}.txt")
    sha, size, version_id = await evidence.store_bytes(store, key, text, TEXT_TYPE)
    return evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="record-text", key=key,
        content_type=TEXT_TYPE, sha256=sha, size=size, version_id=version_id,
        observed={"version": number, "record_sha256": record_sha256, **observed})


async def version_text(store: ObjectStore, version: RecordVersion, item: EvidenceItem | None) -> str:
    """The text of `version` a party reads: the stored one (the object store checks it
    against its SHA-256). Only a version whose text could not be stored yet (saved before
    texts were, migration 0010) is rendered, and then only if that gives the text it was
    saved with. `StoreError`, `IntegrityError` or `Conflict` otherwise."""
    if item is not None:
        return (await store.get(item.object_key, item.version_id)).decode("utf-8")
    text = render_text(json.loads(version.content))
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != version.text_sha256:
        raise Conflict("The text of this version was not stored and cannot be recovered.",
                       code="text_unavailable")
    return text


async def store_missing_texts(sessions: async_sessionmaker, store: ObjectStore) -> tuple[int, bool]:
    """Store the text of each version saved before texts were stored (migration 0010),
    rendered once, now, and said so. A version whose text as rendered today does not
    hash to the one it was saved with gets none: what its parties read cannot be
    recovered, and verification says so. Returns how many texts were stored, and whether
    some are still to store (the object store failed: try again later)."""
    async with sessions() as session:
        rows = list(await session.scalars(select(RecordVersion).where(
            RecordVersion.text_item_id.is_(None), RecordVersion.item_id.is_not(None))))
        interviews = {i.id: i for i in await session.scalars(select(Interview).where(
            Interview.id.in_({r.interview_id for r in rows})))} if rows else {}
    stored = 0
    for row in rows:
        text = render_text(json.loads(row.content)).encode("utf-8")
        if hashlib.sha256(text).hexdigest() != row.text_sha256:
            log.warning("record text not recoverable", extra={
                "interview": row.interview_id, "version": row.version,
                "why": "the text rendered today differs from the one the version was saved with"})
            continue
        try:
            item = await _store_text(store, interviews[row.interview_id], row.version, row.sha256,
                                     text, {"rendered": f"afterwards, at {utcnow().isoformat()}: the "
                                            "version was saved before texts were stored; its "
                                            "hash is the one saved with the version"})
        except StoreError as exc:
            log.warning("record text not stored yet", extra={"interview": row.interview_id,
                                                             "version": row.version, "error": str(exc)})
            return stored, True
        item.derived_from = row.item_id
        async with sessions() as session, session.begin():
            session.add(item)
            await session.flush()
            await records.link_text(session, row.id, item.id)
        stored += 1
    return stored, False


async def officer_signatures(session: Any, store: ObjectStore, interview_id: str,
                             version: int) -> list[dict[str, Any]]:
    """The officers' signatures of a version, in order, each with its image read back
    (the store checks its SHA-256), for the PDF: {name, badge, at, png, statement}."""
    items = {i.id: i for i in await records.items_of(session, interview_id)}
    out = []
    for item in sorted(items.values(), key=lambda i: i.created_at):
        observed = json.loads(item.observed)
        if item.kind != "officer-signature" or observed.get("version") != version:
            continue
        image = items.get(observed.get("image", ""))
        png = await store.get(image.object_key, image.version_id) if image is not None else None
        officer = observed.get("officer", {})
        out.append({"name": officer.get("name", ""), "badge": officer.get("badge", ""),
                    "at": observed.get("at"), "png": png, "item": item})
    return out


async def pdf_bytes(content: dict[str, Any], version: RecordVersion, answers: list[dict],
                    png: bytes | None, *, draft: bool, officers: list[dict] | tuple[()] = ()) -> bytes:
    """The record's PDF, rendered off the loop (409 when its font is missing)."""
    from transcription.pdf import render_pdf  # fpdf2 and fontTools load at the first PDF

    try:
        return await asyncio.to_thread(
            render_pdf, content, sha256=version.sha256, version=version.version,
            confirmations=answers, signature_png=png, draft=draft, officers=officers)
    except FontMissing as exc:
        raise Conflict(str(exc), code="font_missing") from None
