"""Appending to a case's custody log, signing checkpoints, and reading the log back.

An append takes the case's custody counter row with an atomic UPDATE … RETURNING in the
caller's transaction (the same trick as case numbers): that row lock orders concurrent
appends to one case across processes, on SQLite and PostgreSQL alike. The event is part
of the caller's transaction, so an action and its custody event commit or fail together.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence import custody
from server.auth import Party, Staff
from server.db import counters
from server.db.models import Case, CustodyCheckpoint, CustodyEvent
from server.db.types import utcnow

SERVER = {"kind": "server"}


def staff_actor(staff: Staff) -> dict[str, Any]:
    return {"kind": "staff", "id": staff.user_id, "username": staff.username,
            "role": staff.role.value}


def party_actor(party: Party) -> dict[str, Any]:
    return {"kind": "party", "invitation": party.invitation_id, "name": party.name,
            "role": party.role.value}


def actor_of(who: Staff | Party | None) -> dict[str, Any]:
    if isinstance(who, Staff):
        return staff_actor(who)
    if isinstance(who, Party):
        return party_actor(who)
    return dict(SERVER)


async def record(session: AsyncSession, *, case_id: str, action: str, actor: dict[str, Any],
                 item_id: str | None = None, detail: dict[str, Any] | None = None,
                 at: datetime | None = None) -> dict[str, Any]:
    """Append one event to the case's log inside the caller's transaction."""
    seq = await _next_seq(session, case_id)
    prev = custody.genesis(case_id)
    if seq > 1:
        prev = await session.scalar(select(CustodyEvent.hash).where(
            CustodyEvent.case_id == case_id, CustodyEvent.seq == seq - 1))
    moment = at or utcnow()
    event = custody.make_event(case_id=case_id, seq=seq, at=moment.isoformat(), action=action,
                               actor=actor, item_id=item_id, detail=detail or {}, prev=prev)
    session.add(CustodyEvent(case_id=case_id, seq=seq, at=moment, action=action, item_id=item_id,
                             body=json.dumps(event, ensure_ascii=False), hash=event["hash"]))
    await session.flush()
    return event


async def _next_seq(session: AsyncSession, case_id: str) -> int:
    return await counters.take(session, f"custody-{case_id}")


async def checkpoint(session: AsyncSession, key: Ed25519PrivateKey, case_id: str) -> dict[str, Any] | None:
    """Sign the case's current head. None for a case with no events yet."""
    last = await session.scalar(select(CustodyEvent).where(CustodyEvent.case_id == case_id)
                                .order_by(CustodyEvent.seq.desc()).limit(1))
    if last is None:
        return None
    moment = utcnow()
    point = custody.sign_checkpoint(key, case_id=case_id, seq=last.seq, head=last.hash,
                                    at=moment.isoformat())
    session.add(CustodyCheckpoint(case_id=case_id, seq=last.seq, head=last.hash, at=moment,
                                  signature=point["signature"]))
    await session.flush()
    return point


async def unsigned_cases(session: AsyncSession) -> list[str]:
    """Cases whose log has events after its last signed checkpoint."""
    signed = (select(CustodyCheckpoint.case_id, func.max(CustodyCheckpoint.seq).label("seq"))
              .group_by(CustodyCheckpoint.case_id).subquery())
    logged = (select(CustodyEvent.case_id, func.max(CustodyEvent.seq).label("seq"))
              .group_by(CustodyEvent.case_id).subquery())
    rows = await session.scalars(
        select(logged.c.case_id).outerjoin(signed, signed.c.case_id == logged.c.case_id)
        .where(logged.c.seq > func.coalesce(signed.c.seq, 0)).order_by(logged.c.case_id))
    return list(rows)


async def sign_heads(sessions: async_sessionmaker[AsyncSession], key: Ed25519PrivateKey) -> int:
    """Sign a checkpoint for every case whose log moved since its last one; how many.
    Each case in its own transaction: the signature covers the head at that moment."""
    async with sessions() as session:
        pending = await unsigned_cases(session)
    for case_id in pending:
        async with sessions() as session, session.begin():
            await checkpoint(session, key, case_id)
    return len(pending)


async def events(session: AsyncSession, case_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(select(CustodyEvent.body).where(CustodyEvent.case_id == case_id)
                                 .order_by(CustodyEvent.seq))
    return [json.loads(body) for body in rows]


async def checkpoints(session: AsyncSession, case_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(select(CustodyCheckpoint).where(CustodyCheckpoint.case_id == case_id)
                                 .order_by(CustodyCheckpoint.seq, CustodyCheckpoint.id))
    return [{"case_id": r.case_id, "seq": r.seq, "head": r.head, "at": r.at.isoformat(),
             "algorithm": "Ed25519", "signature": r.signature} for r in rows]


async def check_all(session: AsyncSession, public_key: Any) -> dict[str, list[str]]:
    """Every case's log checked from the database: {case number: problems} for broken ones.
    A database row whose columns disagree with its hashed body is named too."""
    broken: dict[str, list[str]] = {}
    for case in await session.scalars(select(Case).order_by(Case.created_at)):
        rows = list(await session.scalars(select(CustodyEvent).where(CustodyEvent.case_id == case.id)
                                          .order_by(CustodyEvent.seq)))
        problems = []
        logged = []
        for row in rows:
            try:
                body = json.loads(row.body)
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            if body.get("hash") != row.hash or body.get("seq") != row.seq or body.get("action") != row.action:
                problems.append(f"custody event {row.seq}: its row differs from the event it hashed")
            logged.append(body)
        problems = [str(p) for p in custody.check_log(case.id, logged, await checkpoints(session, case.id),
                                                      public_key)] + problems
        if problems:
            broken[case.number] = problems
    return broken
