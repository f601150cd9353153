"""Named counters, taken with an atomic UPDATE … RETURNING in the caller's transaction:
the row lock orders concurrent takers across processes, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Counter


async def take(session: AsyncSession, name: str) -> int:
    """The counter's next value (1 the first time)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(Counter).values(name=name, value=0).on_conflict_do_nothing())
    return await session.scalar(update(Counter).where(Counter.name == name)
                                .values(value=Counter.value + 1).returning(Counter.value))
