"""Complaints as JSON: the staff view, and the much smaller one the complainant's status
link shows (their own words back, the unit, the deadlines, the public steps, the reply)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.complaints import log
from server.complaints.intake import all_deadlines, current_deadlines
from server.complaints.workdays import local_day
from server.db.complaint_models import Complaint, ComplaintFile, Unit
from server.db.models import User
from server.db.types import utcnow

# What the complainant reads for each public step (the status page translates the code).
STEPS = {"complaint_received": "received", "complaint_claimed": "claimed",
         "transfer_taken": "transferred", "complaint_accepted": "accepted",
         "complaint_refused": "refused", "complaint_referred": "referred",
         "complaint_closed": "closed", "deadline_set": "deadline", "complaint_file_added": "file_added",
         "material_requested": "material_requested", "complaint_suspended": "suspended",
         "complaint_resumed": "resumed"}


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _unit(unit: Unit | None) -> dict[str, str] | None:
    return None if unit is None else {"code": unit.code, "name": unit.name}


async def _user(session: AsyncSession, user_id: str | None) -> dict[str, str] | None:
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    return None if user is None else {"id": user.id, "username": user.username,
                                      "display_name": user.display_name}


def deadline(d: Any, *, paused: bool = False) -> dict[str, Any]:
    """A due date; a running one past its day is overdue, unless the clock is stopped."""
    today = local_day(utcnow())
    return {"kind": d.kind, "due": d.due.isoformat(), "working_days": d.working_days,
            "counted_from": d.counted_from.isoformat(), "reason": d.reason, "cause": d.cause,
            "set_at": _when(d.set_at), "met_at": _when(d.met_at), "replaced_at": _when(d.replaced_at),
            "overdue": not paused and d.met_at is None and d.replaced_at is None and d.due < today}


def paused(c: Complaint) -> dict[str, Any] | None:
    return None if not c.paused_kind else {"kind": c.paused_kind, "reason": c.paused_reason,
                                           "since": _when(c.paused_at)}


async def for_staff(session: AsyncSession, c: Complaint, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id, "number": c.number, "state": c.state.value,
        "unit": _unit(await session.get(Unit, c.unit_id)),
        "transfer": None if c.transfer_unit_id is None else {
            "unit": _unit(await session.get(Unit, c.transfer_unit_id)), "reason": c.transfer_reason},
        "owner": await _user(session, c.owner_id),
        "first_responder": await _user(session, c.first_responder_id),
        "channel": c.channel_id, "name": c.name, "phone": c.phone, "employer": c.employer,
        "district": c.district, "category": c.category, "workers": c.workers, "amount": c.amount,
        "description": c.description, "confidential": c.confidential,
        "co_complainants": json.loads(c.co_complainants),
        "received_at": _when(c.received_at), "claimed_at": _when(c.claimed_at),
        "decided_at": _when(c.decided_at), "closed_at": _when(c.closed_at),
        "case_id": c.case_id, "reason": c.reason, "referred_to": c.referred_to,
        "result": c.result, "reply": c.reply, "amount_recovered": c.amount_recovered,
        "workers_covered": c.workers_covered, "alert": c.alert or None,
        "deadlines": [deadline(d, paused=bool(c.paused_kind)) for d in await current_deadlines(session, c.id)],
        "paused": paused(c), "external_ref": c.external_ref or None,
    }
    if full:
        out["deadline_history"] = [deadline(d) for d in await all_deadlines(session, c.id)]
        out["history"] = [{"seq": e["seq"], "at": e["at"], "action": e["action"], "actor": e["actor"],
                           "detail": e["detail"], "hash": e["hash"]} for e in await log.events(session, c.id)]
        out["files"] = [{"id": f.id, "kind": f.kind, "sha256": f.sha256, "size": f.size,
                         "content_type": f.content_type, "created_at": _when(f.created_at),
                         "claimed": json.loads(f.claimed)}
                        for f in await session.scalars(select(ComplaintFile).where(
                            ComplaintFile.complaint_id == c.id).order_by(ComplaintFile.created_at))]
    return out


async def for_complainant(session: AsyncSession, c: Complaint) -> dict[str, Any]:
    history = []
    for row in await log.rows(session, c.id):
        if not row.public:
            continue
        event = json.loads(row.body)
        detail = event["detail"]
        step: dict[str, Any] = {"at": event["at"], "step": STEPS.get(row.action, row.action)}
        if row.action == "deadline_set":
            step.update(kind=detail["kind"], due=detail["due"])
        if row.action in ("complaint_refused", "complaint_referred"):
            step.update(reason=detail.get("reason", ""), to=detail.get("to", ""))
        if row.action in ("material_requested", "complaint_suspended"):
            step.update(reason=detail.get("reason", ""))
        if row.action == "complaint_file_added":
            step.update(sha256=detail.get("sha256"))
        history.append(step)
    return {
        "number": c.number, "state": c.state.value, "unit": _unit(await session.get(Unit, c.unit_id)),
        "received_at": _when(c.received_at), "name": c.name, "employer": c.employer,
        "category": c.category, "confidential": c.confidential,
        "deadlines": [{"kind": d["kind"], "due": d["due"], "met_at": d["met_at"]}
                      for d in map(deadline, await current_deadlines(session, c.id))
                      if d["kind"] != "transfer"],
        "paused": paused(c),
        "history": history,
        "reason": c.reason or None, "referred_to": c.referred_to or None,
        "result": c.result or None, "reply": c.reply or None,
        "amount_recovered": c.amount_recovered, "open": c.state.value in ("received", "claimed", "accepted"),
    }
