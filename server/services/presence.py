"""Who connected to an interview, when, and until when (one row per connection)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Connection, Interview, InterviewState
from server.db.types import utcnow


async def open_connection(
    session: AsyncSession, *, interview_id: str, participant_id: str, kind: str, name: str,
    role: str, node: str, address: str,
) -> str:
    """Record a new connection; the interview goes live with its first one."""
    now = utcnow()
    row = Connection(
        interview_id=interview_id, participant_id=participant_id, name=name, role=role,
        node=node, address=address[:64], connected_at=now,
        invitation_id=participant_id if kind == "party" else None,
        user_id=participant_id if kind == "staff" else None,
    )
    session.add(row)
    await session.execute(
        update(Interview)
        .where(Interview.id == interview_id, Interview.state == InterviewState.SCHEDULED)
        .values(state=InterviewState.LIVE, started_at=now)
    )
    await session.flush()
    return row.id


async def close_connection(session: AsyncSession, connection_id: str, reason: str) -> None:
    await session.execute(
        update(Connection)
        .where(Connection.id == connection_id, Connection.disconnected_at.is_(None))
        .values(disconnected_at=utcnow(), end_reason=reason[:32])
    )


async def close_node_connections(session: AsyncSession, node: str) -> int:
    """At start: connections this node held when it stopped or crashed are over."""
    result = await session.execute(
        update(Connection)
        .where(Connection.node == node, Connection.disconnected_at.is_(None))
        .values(disconnected_at=utcnow(), end_reason="server_restart")
    )
    return result.rowcount or 0


async def history(session: AsyncSession, interview_id: str) -> list[Connection]:
    rows = await session.scalars(
        select(Connection).where(Connection.interview_id == interview_id)
        .order_by(Connection.connected_at)
    )
    return list(rows)
