"""A party's answer to the record sent to it: confirmed with a drawn signature, or
refused with a reason.

The server signs a statement binding the answer to the exact text shown (see
`evidence.confirmation`). Its bytes go to the object store first (the signature image,
the signed statement and, for a confirmation, the signed PDF, each its own evidence
item), then, in one transaction, the request is marked answered, the items and the
confirmation row are written and the answer is a custody event. A second answer to the
same request, or one to a text the party was not shown, is refused before anything is
stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence import confirmation
from evidence.chain import canonical_json
from evidence.store import ObjectStore
from server.db.models import EvidenceItem, Interview, new_id
from server.db.record_models import ConfirmationRequest, RecordConfirmation, RecordVersion
from server.db.types import utcnow
from server.errors import Conflict, NotFound
from server.identity import Party
from server.records import officer_signatures, pdf_bytes, record_key
from server.serialize import when
from server.services import custody, evidence, records


@dataclass(frozen=True)
class Answer:
    """What the party sent: the version and text hash it was shown, and its decision."""

    version: Any
    text_sha256: Any
    decision: str  # "confirmed" or "refused"
    reason: str = ""
    signature_png: bytes | None = None
    address: str = ""  # where it came from, as the server saw it
    user_agent: str = ""  # as the phone said


async def party_request(session: AsyncSession, invitation_id: str) -> tuple[
        ConfirmationRequest, RecordVersion, RecordConfirmation | None]:
    """The request sent to this party, its version, and the party's answer if any."""
    asked = await records.request_for_party(session, invitation_id)
    if asked is None:
        raise NotFound("No record has been sent to you to read yet.", code="no_record")
    version = await records.version_row(session, asked.interview_id, asked.version)
    answer = await records.answer_for_request(session, asked.id)
    return asked, version, answer


async def answer_record(sessions: async_sessionmaker, store: ObjectStore, key: Ed25519PrivateKey,
                        party: Party, answer: Answer) -> RecordConfirmation:
    async with sessions() as session:
        asked, version, answered = await party_request(session, party.invitation_id)
        interview = await session.get(Interview, asked.interview_id)
    if answered is not None or asked.state != "awaiting":
        raise _already_answered()
    if answer.version != version.version or answer.text_sha256 != version.text_sha256:
        raise Conflict("The record changed since it was shown; please read it again.",
                       code="text_changed")
    answer_id, at = new_id(), utcnow()
    signature = await _store_signature(store, interview, party, answer_id, at, answer.signature_png)
    stated = confirmation.statement(
        confirmation_id=answer_id, interview_id=interview.id, invitation_id=party.invitation_id,
        name=party.name, role=party.role.value, version=version.version,
        record_sha256=version.sha256, text_sha256=version.text_sha256, decision=answer.decision,
        reason=answer.reason, signature_sha256=signature.sha256 if signature else "", at=when(at))
    signed = confirmation.sign(key, stated)
    statement = await _store_statement(store, interview, party, version, answer, answer_id, at,
                                       stated, signed)
    pdf = None
    if answer.decision == "confirmed":
        async with sessions() as session:  # officers who signed before the party
            officers = await officer_signatures(session, store, interview.id, version.version)
        pdf = await _store_pdf(store, interview, version, stated, answer.signature_png, officers)
    async with sessions() as session, session.begin():
        if not await records.answer_request(session, asked.id, answer.decision):
            raise _already_answered()
        session.add_all([item for item in (signature, statement, pdf) if item is not None])
        await session.flush()
        row = RecordConfirmation(
            id=answer_id, interview_id=interview.id, request_id=asked.id,
            invitation_id=party.invitation_id, version=version.version, name=party.name,
            role=party.role.value, decision=answer.decision, reason=answer.reason,
            record_sha256=version.sha256, text_sha256=version.text_sha256,
            signature_sha256=signature.sha256 if signature else "",
            signature_item_id=signature.id if signature else None,
            statement=canonical_json(stated).decode(), server_signature=signed,
            item_id=statement.id, pdf_item_id=pdf.id if pdf else None, at=at)
        session.add(row)
        await session.flush()
        await custody.record(
            session, case_id=interview.case_id, action=f"record_{answer.decision}",
            actor=custody.party_actor(party), item_id=statement.id,
            detail={"interview": interview.id, "version": version.version,
                    "text_sha256": version.text_sha256, "reason": answer.reason})
    return row


def _already_answered() -> Conflict:
    return Conflict("This record has already been answered or replaced by a newer version.",
                    code="already_answered")


async def _store_signature(store: ObjectStore, interview: Interview, party: Party, answer_id: str,
                           at: datetime, png: bytes | None) -> EvidenceItem | None:
    if png is None:
        return None
    return await _stored_item(
        store, interview, "signature", f"signature-{answer_id}.png", png, "image/png", None,
        {"confirmation": answer_id, "invitation": party.invitation_id, "received_at": when(at)})


async def _store_statement(store: ObjectStore, interview: Interview, party: Party,
                           version: RecordVersion, answer: Answer, answer_id: str, at: datetime,
                           stated: dict[str, Any], signed: str) -> EvidenceItem:
    document = canonical_json({"statement": stated, "server_signature": signed})
    return await _stored_item(
        store, interview, "confirmation", f"confirmation-{answer_id}.json", document,
        "application/json", version.item_id,
        {"decision": answer.decision, "version": version.version, "at": when(at),
         "invitation": party.invitation_id, "address": answer.address},
        claimed={"user_agent": answer.user_agent[:300]})


async def _store_pdf(store: ObjectStore, interview: Interview, version: RecordVersion,
                     stated: dict[str, Any], png: bytes | None,
                     officers: list[dict[str, Any]]) -> EvidenceItem:
    data = await pdf_bytes(records.content_of(version), version, [stated], png, draft=False,
                           officers=officers)
    return await _stored_item(
        store, interview, "record-pdf", f"v{version.version:04d}-confirmed-{stated['id']}.pdf",
        data, "application/pdf", version.item_id,
        {"version": version.version, "record_sha256": version.sha256, "confirmation": stated["id"]})


async def _stored_item(store: ObjectStore, interview: Interview, kind: str, name: str, data: bytes,
                       content_type: str, derived_from: str | None, observed: dict[str, Any],
                       claimed: dict[str, Any] | None = None) -> EvidenceItem:
    """`data` stored write-once beside the interview's record, and its evidence item (not
    yet added to a session)."""
    key = record_key(interview.id, name)
    sha256, size, version_id = await evidence.store_bytes(store, key, data, content_type)
    return evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind=kind, key=key,
        content_type=content_type, sha256=sha256, size=size, version_id=version_id,
        derived_from=derived_from, observed=observed, claimed=claimed)
