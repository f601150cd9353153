"""A complaint's own log: every step as an event that hashes its predecessor, with the
same event format and checks as a case's custody log (`evidence.custody`), the
complaint's id standing where a case's id stands. When a complaint is accepted its head
is written into the new case's log, whose signed checkpoints then pin it too."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evidence import custody
from server.db import counters
from server.db.complaint_models import ComplaintEvent
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


def check(complaint_id: str, logged: list[dict[str, Any]]) -> list[str]:
    """Problems with a complaint's log, worded as a case log's are ([] when it holds)."""
    return custody.check_log(complaint_id, logged, [], None)
