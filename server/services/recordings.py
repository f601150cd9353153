"""Recordings, their segments and their evidence items in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evidence.chain import Seal
from evidence.segment import SegmentStored
from server.auth import Staff
from server.db.models import EvidenceItem, Interview, Recording, RecordingState, Segment, new_id
from server.errors import NotFound
from server.services import custody
from server.services.cases import interview_case


@dataclass(frozen=True)
class RecordingMeta:
    """Who and what a recording is; also written to its spool directory."""

    id: str
    interview_id: str
    participant_id: str
    participant_kind: str
    participant_name: str
    participant_role: str
    kind: str
    node: str
    started_at_us: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def from_us(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


def to_us(value: datetime) -> int:
    return int(value.timestamp() * 1_000_000)


async def ensure_recording(session: AsyncSession, meta: RecordingMeta, codec: str) -> Recording:
    row = await session.get(Recording, meta.id)
    if row is None:
        row = Recording(
            id=meta.id, interview_id=meta.interview_id, participant_id=meta.participant_id,
            participant_kind=meta.participant_kind, participant_name=meta.participant_name[:128],
            participant_role=meta.participant_role[:16], kind=meta.kind, codec=codec[:16],
            node=meta.node[:128], started_at=from_us(meta.started_at_us),
        )
        session.add(row)
        await session.flush()
    return row


async def add_segment(session: AsyncSession, meta: RecordingMeta, record: SegmentStored,
                      key: str, version_id: str | None = None) -> None:
    """Record a stored segment (`version_id`: the version the store wrote) and move the
    recording's head; a retry is a no-op."""
    recording = await ensure_recording(session, meta, record.codec)
    existing = await session.scalar(
        select(Segment).where(Segment.recording_id == meta.id, Segment.seq == record.seq))
    if existing is not None:
        return
    session.add(Segment(recording_id=meta.id, object_key=key, version_id=version_id,
                        **record.as_dict()))
    recording.segment_count = max(recording.segment_count, record.seq)
    recording.media_bytes += record.size
    recording.duration += max(0, record.end_ms - record.start_ms) / 1000
    recording.first_ms = min(recording.first_ms or record.start_ms, record.start_ms)
    recording.last_ms = max(recording.last_ms or record.end_ms, record.end_ms)
    recording.head = record.link
    if not recording.codec:
        recording.codec = record.codec


def manifest_entry(s: Segment) -> dict[str, Any]:
    """A stored segment as its recording's manifest lists it."""
    return SegmentStored.of(s).manifest_entry(s.object_key)


async def segments(session: AsyncSession, recording_id: str) -> list[Segment]:
    rows = await session.scalars(
        select(Segment).where(Segment.recording_id == recording_id).order_by(Segment.seq))
    return list(rows)


async def store_seal(session: AsyncSession, recording_id: str, seal: Seal, *, key: str,
                     sha256: str, size: int, version_id: str | None = None) -> None:
    """The chain is sealed and its manifest stored: the recording becomes evidence."""
    recording = await session.get(Recording, recording_id)
    if recording is None or recording.manifest_key:
        return
    interview = await session.get(Interview, recording.interview_id)
    interrupted = seal.status == "interrupted"
    recording.state = RecordingState.INTERRUPTED if interrupted else RecordingState.SEALED
    recording.sealed_at = from_us(seal.sealed_at_us)
    recording.interrupted_at = from_us(seal.interrupted_at_us) if interrupted else None
    recording.seal_signature = seal.signature
    recording.seal_sealed_at_us = seal.sealed_at_us
    recording.manifest_key, recording.manifest_sha256, recording.manifest_size = key, sha256, size
    recording.manifest_version_id = version_id
    item_id = new_id()
    session.add(EvidenceItem(
        id=item_id, case_id=interview.case_id, interview_id=interview.id, recording_id=recording.id,
        kind="recording", object_key=key, version_id=version_id,
        content_type="application/json", sha256=sha256,
        size=size, created_at=from_us(seal.sealed_at_us),
        observed=json.dumps({
            "participant": {"id": recording.participant_id, "name": recording.participant_name,
                            "role": recording.participant_role},
            "media": recording.kind, "codec": recording.codec, "segments": recording.segment_count,
            "media_bytes": recording.media_bytes, "duration": round(recording.duration, 3),
            "head": recording.head, "status": seal.status,
        }, ensure_ascii=False),
    ))
    await session.flush()
    await custody.record(session, case_id=interview.case_id, action="stored", actor=custody.SERVER,
                         item_id=item_id, detail={
                             "recording": recording.id, "media": recording.kind,
                             "participant": recording.participant_name,
                             "segments": recording.segment_count, "head": recording.head,
                             "manifest_sha256": sha256, "status": seal.status})


async def unsealed(session: AsyncSession, node: str) -> list[Recording]:
    """Recordings this node left open when it stopped."""
    rows = await session.scalars(select(Recording).where(
        Recording.node == node, Recording.manifest_key == ""))
    return list(rows)


async def for_interview(session: AsyncSession, interview_id: str) -> list[Recording]:
    rows = await session.scalars(
        select(Recording).where(Recording.interview_id == interview_id)
        .order_by(Recording.started_at, Recording.kind))
    return list(rows)


async def recording_for_staff(session: AsyncSession, staff: Staff,
                              recording_id: str) -> tuple[Recording, Interview]:
    recording = await session.get(Recording, recording_id)
    if recording is None:
        raise NotFound("No such recording.")
    interview = await interview_case(session, staff, recording.interview_id)
    return recording, interview


async def case_evidence(session: AsyncSession, case_id: str) -> list[EvidenceItem]:
    rows = await session.scalars(
        select(EvidenceItem).where(EvidenceItem.case_id == case_id)
        .order_by(EvidenceItem.created_at))
    return list(rows)


def meta_of(row: Recording) -> RecordingMeta:
    return RecordingMeta(
        id=row.id, interview_id=row.interview_id, participant_id=row.participant_id,
        participant_kind=row.participant_kind, participant_name=row.participant_name,
        participant_role=row.participant_role, kind=row.kind, node=row.node,
        started_at_us=to_us(row.started_at),
    )


async def item_id_of(session: AsyncSession, recording_id: str) -> str | None:
    """The evidence item of a sealed recording (None while it is still being recorded)."""
    return await session.scalar(select(EvidenceItem.id).where(EvidenceItem.recording_id == recording_id))
