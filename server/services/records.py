"""Inquiry records in the database: transcription jobs, versions, requests to confirm, and
the parties' answers. Versions and answers are only ever added, never changed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.db.models import Case, Connection, EvidenceItem, Interview, Invitation, User
from server.db.record_models import (
    ConfirmationRequest, JobState, RecordConfirmation, RecordVersion, TranscriptionJob,
)
from server.db.types import utcnow
from server.errors import Conflict, NotFound
from server.services import custody

LEASE = timedelta(seconds=60)


@dataclass
class RecordState:
    """Everything one record answer is made of."""

    interview: Interview
    job: TranscriptionJob | None
    versions: list[RecordVersion]
    requests: list[ConfirmationRequest]
    confirmations: list[RecordConfirmation]
    invitations: dict[str, Invitation]

    @property
    def latest(self) -> RecordVersion | None:
        return self.versions[-1] if self.versions else None

    def version(self, number: int | None) -> RecordVersion | None:
        if number is None:
            return self.latest
        return next((v for v in self.versions if v.version == number), None)

    def confirmed(self, number: int) -> RecordConfirmation | None:
        return next((c for c in self.confirmations
                     if c.version == number and c.decision == "confirmed"), None)


# --- jobs -----------------------------------------------------------------------------

async def queue_transcription(session: AsyncSession, interview_id: str) -> TranscriptionJob:
    job = await session.scalar(
        select(TranscriptionJob).where(TranscriptionJob.interview_id == interview_id))
    if job is None:
        job = TranscriptionJob(interview_id=interview_id, stage="queued")
        session.add(job)
        await session.flush()
    return job


def _claimable(now: datetime):  # noqa: ANN202 - a SQL expression
    return (
        ((TranscriptionJob.state == JobState.QUEUED) & (TranscriptionJob.next_attempt_at <= now))
        | ((TranscriptionJob.state == JobState.RUNNING) & (TranscriptionJob.lease_until < now))
    )


async def claim_job(session: AsyncSession, owner: str) -> TranscriptionJob | None:
    """The oldest job that is due or whose worker stopped renewing its lease, now ours.
    The conditional UPDATE makes the claim safe with several workers."""
    now = utcnow()
    candidates = await session.scalars(
        select(TranscriptionJob.id).where(_claimable(now))
        .order_by(TranscriptionJob.created_at).limit(5))
    for job_id in list(candidates):
        claimed = await session.execute(
            update(TranscriptionJob)
            .where(TranscriptionJob.id == job_id, _claimable(now))
            .values(state=JobState.RUNNING, owner=owner[:128], lease_until=now + LEASE,
                    attempts=TranscriptionJob.attempts + 1, started_at=now, stage="starting",
                    message="")
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:
            return await session.get(TranscriptionJob, job_id, populate_existing=True)
    return None


async def update_job(session: AsyncSession, job_id: str, owner: str, **values: Any) -> bool:
    """Progress, a renewed lease or the outcome; False when the job is no longer ours."""
    done = await session.execute(
        update(TranscriptionJob)
        .where(TranscriptionJob.id == job_id, TranscriptionJob.owner == owner,
               TranscriptionJob.state == JobState.RUNNING)
        .values(lease_until=utcnow() + LEASE, **values)
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


async def retry_job(session: AsyncSession, interview_id: str) -> TranscriptionJob:
    job = await session.scalar(
        select(TranscriptionJob).where(TranscriptionJob.interview_id == interview_id))
    if job is None:
        raise NotFound("This interview has no transcription job; end the interview first.",
                       code="no_job")
    if job.state is not JobState.FAILED:
        raise Conflict(f"The transcription job is {job.state.value}, not failed.",
                       code="job_not_failed")
    job.state, job.attempts, job.progress = JobState.QUEUED, 0, 0.0
    job.stage, job.message, job.next_attempt_at, job.owner = "queued", "", utcnow(), ""
    await session.flush()
    return job


# --- the record -----------------------------------------------------------------------

async def load(session: AsyncSession, interview: Interview) -> RecordState:
    job = await session.scalar(
        select(TranscriptionJob).where(TranscriptionJob.interview_id == interview.id))
    versions = list(await session.scalars(
        select(RecordVersion).where(RecordVersion.interview_id == interview.id)
        .options(selectinload(RecordVersion.author)).order_by(RecordVersion.version)))
    requests = list(await session.scalars(
        select(ConfirmationRequest).where(ConfirmationRequest.interview_id == interview.id)
        .order_by(ConfirmationRequest.sent_at)))
    confirmations = list(await session.scalars(
        select(RecordConfirmation).where(RecordConfirmation.interview_id == interview.id)
        .order_by(RecordConfirmation.at)))
    invitations = {i.id: i for i in await session.scalars(
        select(Invitation).where(Invitation.interview_id == interview.id))}
    return RecordState(interview, job, versions, requests, confirmations, invitations)


def content_of(version: RecordVersion) -> dict[str, Any]:
    return json.loads(version.content)


async def add_version(session: AsyncSession, interview: Interview, *, content_json: str,
                      sha256: str, text_sha256: str, based_on: int | None,
                      author_id: str | None, correction_reason: str, item: EvidenceItem,
                      text_item: EvidenceItem, number: int) -> RecordVersion:
    """Version `number`, unless someone saved it first (the unique constraint decides)."""
    taken = await session.scalar(select(RecordVersion.id).where(
        RecordVersion.interview_id == interview.id, RecordVersion.version == number))
    if taken is not None:
        raise Conflict(f"Version {number} was saved by someone else meanwhile; reload.",
                       code="stale_version")
    session.add(item)
    await session.flush()
    session.add(text_item)
    await session.flush()
    row = RecordVersion(
        interview_id=interview.id, version=number, based_on=based_on, content=content_json,
        sha256=sha256, text_sha256=text_sha256, author_id=author_id,
        correction_reason=correction_reason, item_id=item.id, text_item_id=text_item.id)
    session.add(row)
    await session.flush()
    await custody.record(
        session, case_id=interview.case_id, action="record_edited",
        actor={"kind": "staff", "id": author_id} if author_id else {"kind": "server", "as": "transcription"},
        item_id=item.id, detail={"interview": interview.id, "version": number, "based_on": based_on,
                                 "sha256": sha256, "text_sha256": text_sha256,
                                 "correction_reason": correction_reason})
    # Whatever older version still waits for an answer is no longer what the record says.
    await session.execute(
        update(ConfirmationRequest)
        .where(ConfirmationRequest.interview_id == interview.id,
               ConfirmationRequest.state == "awaiting", ConfirmationRequest.version < number)
        .values(state="superseded").execution_options(synchronize_session=False))
    return row


async def link_text(session: AsyncSession, version_id: str, item_id: str) -> None:
    """A version's stored text, found afterwards (`server.records.store_missing_texts`)."""
    await session.execute(update(RecordVersion).where(
        RecordVersion.id == version_id, RecordVersion.text_item_id.is_(None))
        .values(text_item_id=item_id).execution_options(synchronize_session=False))


async def text_item(session: AsyncSession, version: RecordVersion) -> EvidenceItem | None:
    return await session.get(EvidenceItem, version.text_item_id) if version.text_item_id else None


async def header_facts(session: AsyncSession, interview: Interview) -> dict[str, Any]:
    """Who was there, for the record's header: staff who connected, as (name, 执法证号),
    and parties who connected (parties invited but never seen are left out; if nobody was
    seen, every invited party)."""
    case = await session.get(Case, interview.case_id)
    rows = list(await session.scalars(
        select(Connection).where(Connection.interview_id == interview.id)
        .order_by(Connection.connected_at)))
    staff_ids = {r.user_id for r in rows if r.invitation_id is None and r.user_id}
    badges = {u.id: u.badge_number for u in await session.scalars(
        select(User).where(User.id.in_(staff_ids)))} if staff_ids else {}
    inspectors = _unique((r.name, badges.get(r.user_id or "", "")) for r in rows
                         if r.invitation_id is None)
    seen = {r.invitation_id for r in rows if r.invitation_id}
    invitations = list(await session.scalars(
        select(Invitation).where(Invitation.interview_id == interview.id)
        .order_by(Invitation.created_at)))
    parties = [i for i in invitations if i.id in seen] or invitations
    interviewees = list(dict.fromkeys((i.name, i.role.value) for i in parties))
    return {"case_number": case.number, "case_title": case.title, "employer": case.employer,
            "inspectors": inspectors, "interviewees": interviewees}


def _unique(names: Any) -> list[str]:
    return list(dict.fromkeys(names))


async def request_for_party(session: AsyncSession, invitation_id: str) -> ConfirmationRequest | None:
    """The latest request sent to this invitation, answered or not."""
    return await session.scalar(
        select(ConfirmationRequest).where(ConfirmationRequest.invitation_id == invitation_id)
        .order_by(ConfirmationRequest.sent_at.desc()).limit(1))


async def answer_request(session: AsyncSession, request_id: str, decision: str) -> bool:
    """Mark a request answered, once: False when it was answered or superseded meanwhile."""
    done = await session.execute(
        update(ConfirmationRequest)
        .where(ConfirmationRequest.id == request_id, ConfirmationRequest.state == "awaiting")
        .values(state=decision).execution_options(synchronize_session=False))
    return done.rowcount == 1


async def version_row(session: AsyncSession, interview_id: str, number: int) -> RecordVersion:
    row = await session.scalar(select(RecordVersion).where(
        RecordVersion.interview_id == interview_id, RecordVersion.version == number))
    if row is None:
        raise NotFound(f"There is no version {number}.")
    return row


async def answer_for_request(session: AsyncSession, request_id: str) -> RecordConfirmation | None:
    return await session.scalar(
        select(RecordConfirmation).where(RecordConfirmation.request_id == request_id))


async def items_of(session: AsyncSession, interview_id: str) -> list[EvidenceItem]:
    return list(await session.scalars(
        select(EvidenceItem).where(EvidenceItem.interview_id == interview_id)))
