"""Simple counts of the complaints a staff member sees, per unit, channel, category or
month of receipt: received, accepted, closed, overdue now, and the median days from
receipt to first contact (the claim) and to closure."""

from __future__ import annotations

from collections import defaultdict
from statistics import median
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Staff
from server.complaints import units
from server.complaints.workdays import local_day
from server.db.complaint_models import Channel, Complaint, ComplaintDeadline, ComplaintState, Unit
from server.db.types import utcnow

GROUPS = ("unit", "channel", "category", "month")
ACCEPTED = (ComplaintState.ACCEPTED, ComplaintState.CLOSED)
DAY_S = 86_400


async def counts(session: AsyncSession, staff: Staff, by: str) -> list[dict[str, Any]]:
    seen = await units.visible_units(session, staff)
    found = list(await session.scalars(select(Complaint).where(Complaint.unit_id.in_(seen))))
    late = await _overdue(session, [c.id for c in found])
    names = await _names(session, by)
    groups: dict[str, list[Complaint]] = defaultdict(list)
    for complaint in found:
        groups[_key(complaint, by)].append(complaint)
    return [_row(key, names.get(key, key), group, late) for key, group in sorted(groups.items())]


def _key(c: Complaint, by: str) -> str:
    if by == "unit":
        return c.unit_id
    if by == "channel":
        return c.channel_id
    if by == "category":
        return c.category
    return local_day(c.received_at).strftime("%Y-%m")


async def _names(session: AsyncSession, by: str) -> dict[str, str]:
    if by == "unit":
        return {u.id: u.name for u in await session.scalars(select(Unit))}
    if by == "channel":
        return {ch.id: ch.name for ch in await session.scalars(select(Channel))}
    return {}


async def _overdue(session: AsyncSession, ids: list[str]) -> set[str]:
    """The complaints with a running deadline past its day (a stopped clock is not late)."""
    if not ids:
        return set()
    today = local_day(utcnow())
    rows = await session.execute(select(ComplaintDeadline.complaint_id).join(
        Complaint, Complaint.id == ComplaintDeadline.complaint_id).where(
        ComplaintDeadline.complaint_id.in_(ids), ComplaintDeadline.replaced_at.is_(None),
        ComplaintDeadline.met_at.is_(None), ComplaintDeadline.due < today,
        or_(Complaint.paused_kind == "", Complaint.paused_kind.is_(None))))
    return {r[0] for r in rows}


def _days(values: list[float]) -> float | None:
    return round(median(values), 1) if values else None


def _row(key: str, label: str, group: list[Complaint], late: set[str]) -> dict[str, Any]:
    return {
        "key": key, "label": label, "received": len(group),
        "accepted": sum(c.state in ACCEPTED for c in group),
        "closed": sum(c.state is ComplaintState.CLOSED for c in group),
        "overdue": sum(c.id in late for c in group),
        "median_days_to_contact": _days([(c.claimed_at - c.received_at).total_seconds() / DAY_S
                                         for c in group if c.claimed_at]),
        "median_days_to_close": _days([(c.closed_at - c.received_at).total_seconds() / DAY_S
                                       for c in group if c.closed_at]),
    }
