"""Units (the city bureau, its district teams), their public channels, who belongs
where, and the working-day calendar."""

from __future__ import annotations

import json
import secrets
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Staff
from server.complaints.kinds import MEDIA
from server.complaints.workdays import Calendar
from server.db.complaint_models import CalendarDay, Channel, Unit
from server.db.models import Case, Role, User
from server.errors import Conflict, InvalidInput, NotFound

CHANNEL_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: read off a poster
CHANNEL_LENGTH = 8


async def add_unit(session: AsyncSession, *, code: str, name: str, parent: str | None,
                   districts: list[str], categories: list[str] | None = None) -> Unit:
    """A new unit. The first top-level one (the city bureau) also becomes the unit of
    every existing case and staff member that has none."""
    if await session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"A unit with the code {code!r} exists already.")
    parent_id = (await unit_by_code(session, parent)).id if parent else None
    unit = Unit(code=code, name=name, parent_id=parent_id,
                districts=json.dumps(districts, ensure_ascii=False),
                categories=json.dumps(categories or []))
    session.add(unit)
    await session.flush()
    if parent_id is None and await session.scalar(
            select(Unit.id).where(Unit.parent_id.is_(None), Unit.id != unit.id)) is None:
        for table in (Case, User):
            await session.execute(update(table).where(table.unit_id.is_(None)).values(unit_id=unit.id))
    return unit


async def unit_by_code(session: AsyncSession, code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"There is no unit {code!r}.", code="no_such_unit")
    return unit


async def add_channel(session: AsyncSession, *, unit: str, name: str, medium: str) -> Channel:
    if medium not in MEDIA:
        raise InvalidInput(f"The medium must be one of {', '.join(MEDIA)}.")
    found = await unit_by_code(session, unit)
    channel = Channel(id="".join(secrets.choice(CHANNEL_ALPHABET) for _ in range(CHANNEL_LENGTH)),
                      unit_id=found.id, name=name, medium=medium)
    session.add(channel)
    await session.flush()
    return channel


async def set_user_unit(session: AsyncSession, username: str, unit: str) -> None:
    found = await unit_by_code(session, unit)
    await session.execute(update(User).where(User.username == username).values(unit_id=found.id))


async def all_units(session: AsyncSession) -> list[Unit]:
    return list(await session.scalars(select(Unit).order_by(Unit.code)))


def top(units: dict[str, Unit], unit: Unit) -> Unit:
    """The top-level unit above `unit` (the city bureau)."""
    seen = set()
    while unit.parent_id is not None and unit.parent_id in units and unit.id not in seen:
        seen.add(unit.id)
        unit = units[unit.parent_id]
    return unit


def below(units: dict[str, Unit], unit_id: str) -> set[str]:
    """`unit_id` and every unit under it."""
    out = {unit_id}
    grew = True
    while grew:
        more = {u.id for u in units.values() if u.parent_id in out} - out
        out |= more
        grew = bool(more)
    return out


async def staff_unit(session: AsyncSession, staff: Staff) -> str | None:
    return await session.scalar(select(User.unit_id).where(User.id == staff.user_id))


async def visible_units(session: AsyncSession, staff: Staff) -> set[str]:
    """The units whose complaints a staff member sees: their own; a supervisor also every
    unit under theirs. Legal staff and admins see no complaint queue."""
    if staff.role not in (Role.INSPECTOR, Role.SUPERVISOR):
        return set()
    own = await staff_unit(session, staff)
    if own is None:
        return set()
    if staff.role is Role.SUPERVISOR:
        return below({u.id: u for u in await all_units(session)}, own)
    return {own}


async def supervises(session: AsyncSession, staff: Staff, unit_id: str) -> bool:
    return staff.role is Role.SUPERVISOR and unit_id in await visible_units(session, staff)


async def load_calendar(session: AsyncSession, days: dict[date, tuple[bool, str]]) -> int:
    """Put the days in the calendar, replacing what it said of them; how many."""
    for day, (working, note) in days.items():
        row = await session.get(CalendarDay, day)
        if row is None:
            session.add(CalendarDay(day=day, working=working, note=note))
        else:
            row.working, row.note = working, note
    await session.flush()
    return len(days)


async def calendar(session: AsyncSession) -> Calendar:
    rows = await session.scalars(select(CalendarDay))
    return Calendar({r.day: r.working for r in rows})
