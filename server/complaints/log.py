"""A complaint's own log: every step as an event that hashes its predecessor, with the
same event format and checks as a case's custody log (`evidence.custody`), the
complaint's id standing where a case's id stands. When a complaint is accepted its head
is written into the new case's log, whose signed checkpoints then pin it too; and the
log's own head is signed like a case log's, every ZEROMEET_CHECKPOINT_MINUTES and at
each export, so a complaint never accepted is signed as well."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence import custody
from server.db import counters
from server.db.complaint_models import ComplaintCheckpoint, ComplaintEvent
from server.db.types import utcnow


async def append(session: AsyncSession, complaint_id: str, action: str, actor: dict[str, Any],
                 detail: dict[str, Any] | None = None, *, public: bool = False,
                 at: datetime | None = None) -> dict[str, Any]:
    """One event, in the caller's transaction. `public` steps are shown to the
    complainant on the status page."""
    seq = await counters.take(session, f"complaint-log-{complaint_id}")
    prev = custody.genesis(complaint_id)
    if seq > 1:
        prev = await session.scalar(select(ComplaintEvent.hash).where(
            ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.seq == seq - 1))
    moment = at or utcnow()
    event = custody.make_event(case_id=complaint_id, seq=seq, at=moment.isoformat(),
                               action=action, actor=actor, item_id=None,
                               detail=detail or {}, prev=prev)
    session.add(ComplaintEvent(complaint_id=complaint_id, seq=seq, at=moment, action=action,
                               public=public, body=json.dumps(event, ensure_ascii=False),
                               hash=event["hash"]))
    await session.flush()
    return event


async def rows(session: AsyncSession, complaint_id: str) -> list[ComplaintEvent]:
    return list(await session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint_id).order_by(ComplaintEvent.seq)))


async def events(session: AsyncSession, complaint_id: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in await rows(session, complaint_id)]


def check(complaint_id: str, logged: list[dict[str, Any]], points: list[dict[str, Any]] | None = None,
          public_key: Any = None) -> list[str]:
    """Problems with a complaint's log, worded as a case log's are ([] when it holds)."""
    return [str(p) for p in custody.check_log(complaint_id, logged, points or [], public_key)]


async def checkpoint(session: AsyncSession, key: Ed25519PrivateKey, complaint_id: str) -> None:
    """Sign the log's current head."""
    last = await session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
                                .order_by(ComplaintEvent.seq.desc()).limit(1))
    if last is None:
        return
    moment = utcnow()
    point = custody.sign_checkpoint(key, case_id=complaint_id, seq=last.seq, head=last.hash,
                                    at=moment.isoformat())
    session.add(ComplaintCheckpoint(complaint_id=complaint_id, seq=last.seq, head=last.hash, at=moment,
                                    signature=point["signature"]))
    await session.flush()


async def sign_heads(sessions: async_sessionmaker[AsyncSession], key: Ed25519PrivateKey) -> int:
    """Sign every complaint log that moved since its last checkpoint; how many."""
    signed = (select(ComplaintCheckpoint.complaint_id, func.max(ComplaintCheckpoint.seq).label("seq"))
              .group_by(ComplaintCheckpoint.complaint_id).subquery())
    logged = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.seq).label("seq"))
              .group_by(ComplaintEvent.complaint_id).subquery())
    async with sessions() as session:
        pending = list(await session.scalars(
            select(logged.c.complaint_id).outerjoin(signed, signed.c.complaint_id == logged.c.complaint_id)
            .where(logged.c.seq > func.coalesce(signed.c.seq, 0))))
    for complaint_id in pending:
        async with sessions() as session, session.begin():
            await checkpoint(session, key, complaint_id)
    return len(pending)


async def checkpoints(session: AsyncSession, complaint_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(select(ComplaintCheckpoint).where(
        ComplaintCheckpoint.complaint_id == complaint_id).order_by(ComplaintCheckpoint.seq, ComplaintCheckpoint.id))
    return [{"case_id": r.complaint_id, "seq": r.seq, "head": r.head, "at": r.at.isoformat(),
             "algorithm": "Ed25519", "signature": r.signature} for r in rows]
