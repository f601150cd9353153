"""A complaint as it comes in: checked, limited per address and per phone, routed to a
unit, numbered, its form kept as received, its first deadline set. And what the
complainant's status link shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evidence.store import ObjectStore
from server.auth import new_token, token_hash
from server.complaints import log, units
from server.complaints.workdays import ACCEPT_DAYS, local_day
from server.db import counters
from server.db.complaint_models import Channel, Complaint, ComplaintDeadline, ComplaintFile, ComplaintState, Unit
from server.db.models import new_id
from server.db.types import utcnow
from server.errors import NotFound, TooManyRequests, Unauthenticated
from server.services import evidence

COMPLAINT_PREFIX = "zmc_"
NUMBER_PREFIX = "ZM-C"
OPEN = (ComplaintState.RECEIVED, ComplaintState.CLAIMED, ComplaintState.ACCEPTED)
# Abuse limits: generous for a crew filing from one phone, tight for a script.
PER_ADDRESS = ((timedelta(hours=1), 10), (timedelta(days=1), 30))
PER_PHONE = ((timedelta(days=1), 3),)


@dataclass(frozen=True)
class Filing:
    """What the form said (`claimed`), what the server saw (`observed`), and the exact
    bytes of the request body, which are kept."""

    channel: str
    fields: dict[str, Any]
    body: bytes
    observed: dict[str, Any]
    address: str
    filed_by: str | None = None
    co_complainants: list[dict[str, str]] = field(default_factory=list)
    external_ref: str = ""  # an imported clue's number on the platform it came from


async def check_limits(session: AsyncSession, address: str, phone: str, now: datetime, *,
                       staff: bool = False) -> None:
    """`TooManyRequests` when this address or phone filed too much lately. Staff filing
    for callers all day from one desk are not limited by their address."""
    checks = [(Complaint.phone, phone, PER_PHONE, "complaints_from_phone")]
    if not staff:
        checks.insert(0, (Complaint.address, address, PER_ADDRESS, "complaints_from_address"))
    for column, value, limits, code in checks:
        for window, most in limits:
            count = await session.scalar(select(func.count()).select_from(Complaint).where(
                column == value, Complaint.received_at > now - window))
            if count >= most:
                raise_limited(code, window)


def raise_limited(code: str, window: timedelta) -> None:
    what = "this phone number" if code.endswith("phone") else "this network address"
    error = TooManyRequests(f"Too many complaints from {what} lately; try again later or "
                            "call 12333.", retry_after=int(window.total_seconds()))
    error.code = code
    raise error


async def route(session: AsyncSession, channel: Channel, district: str, category: str = "") -> Unit:
    """The unit whose districts include the complaint's, the one taking its category
    first (a unit naming no categories takes every kind); with no district match, a
    city-wide unit (no districts) naming the category; else the channel's own unit."""
    found = sorted(await units.all_units(session), key=lambda u: u.code)
    def listed(unit: Unit, column: str) -> list[str]:
        return json.loads(getattr(unit, column) or "[]")
    local = [u for u in found if district and district in listed(u, "districts")]
    if local:
        return next((u for u in local if category and category in listed(u, "categories")),
                    next((u for u in local if not listed(u, "categories")), local[0]))
    wide = [u for u in found if category and category in listed(u, "categories") and not listed(u, "districts")]
    if wide:
        return wide[0]
    return next(u for u in found if u.id == channel.unit_id)


async def channel_of(session: AsyncSession, channel_id: str) -> Channel:
    channel = await session.get(Channel, channel_id) if channel_id else None
    if channel is None:
        raise NotFound("This complaint link is not (or no longer) in use.", code="no_such_channel")
    return channel


async def file_complaint(session: AsyncSession, store: ObjectStore, filing: Filing) -> tuple[Complaint, str]:
    """A new complaint and its status token (returned once, stored only hashed). The form
    is stored first: a failure after that leaves an unnamed object and no complaint."""
    now = utcnow()
    channel = await channel_of(session, filing.channel)
    f = filing.fields
    if not filing.external_ref:  # an import is a list someone else received, not a flood
        await check_limits(session, filing.address, f["phone"], now, staff=filing.filed_by is not None)
    unit = await route(session, channel, f.get("district", ""), f.get("category", ""))
    cal = await units.calendar(session)
    complaint_id = new_id()
    key = f"complaints/{complaint_id}/form.json"
    sha256, size, version = await evidence.store_bytes(store, key, filing.body, "application/json")
    token = new_token(COMPLAINT_PREFIX)
    year = local_day(now).year
    complaint = Complaint(
        id=complaint_id, number=f"{NUMBER_PREFIX}-{year}-{await counters.take(session, f'complaint-number-{year}'):06d}",
        token_hash=token_hash(token), channel_id=channel.id, unit_id=unit.id,
        name=f["name"], phone=f["phone"], employer=f.get("employer", ""),
        district=f.get("district", ""), category=f.get("category", ""),
        workers=f.get("workers"), amount=f.get("amount"), description=f.get("description", ""),
        confidential=f.get("confidential", True), filed_by=filing.filed_by,
        co_complainants=json.dumps(filing.co_complainants, ensure_ascii=False),
        address=filing.address, received_at=now, external_ref=filing.external_ref)
    session.add(complaint)
    await session.flush()
    observed = {**filing.observed, "received_at": now.isoformat(), "sha256": sha256, "size": size,
                "channel": {"id": channel.id, "medium": channel.medium, "name": channel.name}}
    session.add(ComplaintFile(complaint_id=complaint.id, kind="form", object_key=key,
                              version_id=version, content_type="application/json", sha256=sha256,
                              size=size, observed=json.dumps(observed, ensure_ascii=False),
                              claimed=json.dumps(f, ensure_ascii=False)))
    actor = ({"kind": "staff", "id": filing.filed_by} if filing.filed_by
             else {"kind": "complainant", "channel": channel.id})
    await log.append(session, complaint.id, "complaint_received", actor, {
        "number": complaint.number, "form_sha256": sha256, "unit": unit.code,
        "channel": channel.id, "medium": channel.medium}, public=True, at=now)
    await set_deadline(session, complaint, "accept", local_day(now), ACCEPT_DAYS, cal.add(local_day(now), ACCEPT_DAYS))
    return complaint, token


async def set_deadline(session: AsyncSession, complaint: Complaint, kind: str, counted_from: Any,
                       days: int, due: Any, *, reason: str = "", by: str | None = None,
                       cause: str = "") -> ComplaintDeadline:
    """A new due date of `kind`, replacing the current one of that kind (kept)."""
    now = utcnow()
    for old in await current_deadlines(session, complaint.id):
        if old.kind == kind:
            old.replaced_at = now
    row = ComplaintDeadline(complaint_id=complaint.id, kind=kind, due=due, working_days=days,
                            counted_from=counted_from, reason=reason, cause=cause, set_by=by, set_at=now)
    session.add(row)
    await session.flush()
    await log.append(session, complaint.id, "deadline_set", {"kind": "staff", "id": by} if by else
                     {"kind": "server"}, {"kind": kind, "due": due.isoformat(), "working_days": days,
                                          "counted_from": counted_from.isoformat(), "reason": reason,
                                          "cause": cause},
                     public=kind != "transfer", at=now)
    return row


async def current_deadlines(session: AsyncSession, complaint_id: str) -> list[ComplaintDeadline]:
    return list(await session.scalars(select(ComplaintDeadline).where(
        ComplaintDeadline.complaint_id == complaint_id, ComplaintDeadline.replaced_at.is_(None))
        .order_by(ComplaintDeadline.id)))


async def all_deadlines(session: AsyncSession, complaint_id: str) -> list[ComplaintDeadline]:
    return list(await session.scalars(select(ComplaintDeadline).where(
        ComplaintDeadline.complaint_id == complaint_id).order_by(ComplaintDeadline.id)))


async def by_token(session: AsyncSession, token: str | None) -> Complaint:
    """The complaint a status token belongs to; 401 for anything else."""
    if not token or not token.startswith(COMPLAINT_PREFIX):
        raise Unauthenticated("This needs the complaint's status link.", code="complaint_token_invalid")
    complaint = await session.scalar(select(Complaint).where(Complaint.token_hash == token_hash(token)))
    if complaint is None:
        raise Unauthenticated("This status link is not valid.", code="complaint_token_invalid")
    return complaint
