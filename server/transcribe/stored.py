"""Every party's stored audio, for a transcription job: each segment read back from the
object store at the version its row names and re-hashed. An altered or missing segment is
left out and named, never transcribed and never a failed job."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence.errors import IntegrityError, ObjectNotFound
from evidence.store import ObjectStore
from server.db.models import Recording, Segment
from server.services import recordings
from transcription import pipeline

log = logging.getLogger("zeromeet.transcription")

ALTERED = "its bytes do not match its SHA-256"


@dataclass(frozen=True)
class PartyAudio:
    """One recording's readable segments, in order: bytes, seqs and SHA-256s side by side."""

    party: pipeline.Speaker
    segments: list[bytes]
    seqs: list[int]
    hashes: list[str]

    def heard(self) -> list[dict[str, Any]]:
        return [{"recording_id": self.party.recording_id, "seq": seq, "sha256": sha}
                for seq, sha in zip(self.seqs, self.hashes)]


async def read_audio(sessions: async_sessionmaker, store: ObjectStore,
                     rows: list[Recording]) -> tuple[list[PartyAudio], list[dict[str, Any]]]:
    """Each recording's audio, and the segments left out (recording, seq, why)."""
    parties, excluded = [], []
    for row in rows:
        async with sessions() as session:
            stored = await recordings.segments(session, row.id)
        segments, seqs, hashes = [], [], []
        for segment in stored:
            data, why = await read_segment(store, segment)
            if data is None:
                excluded.append({"recording_id": row.id, "seq": segment.seq, "why": why})
                continue
            segments.append(data)
            seqs.append(segment.seq)
            hashes.append(segment.sha256)
        role = "inspector" if row.participant_kind == "staff" else row.participant_role
        party = pipeline.Speaker(row.participant_id, row.participant_name, role, row.id)
        parties.append(PartyAudio(party, segments, seqs, hashes))
    for item in excluded:
        log.error("transcription left out a segment", extra=item)
    return parties, excluded


async def read_segment(store: ObjectStore, segment: Segment) -> tuple[bytes | None, str]:
    """The segment's bytes, or None and why it is left out: missing, or altered (by the
    store's SHA-256 check or the row's). Other store failures are raised, and the job
    retried: version 1 is written once, so audio that is only out of reach for now must
    not be left out of it."""
    try:
        data = await store.get(segment.object_key, segment.version_id)
    except ObjectNotFound:
        return None, "missing from the object store"
    except IntegrityError:
        return None, ALTERED
    if hashlib.sha256(data).hexdigest() != segment.sha256:
        return None, ALTERED
    return data, ""
