"""What staff do with a complaint: claim it (first responder, 首问负责), transfer it to
another unit (移送) and take one in, ask the complainant for more material (补正), accept
it (受理: a case opens with its files as evidence), refuse or refer it, suspend and resume
it (中止), extend its closing deadline (a supervisor), close it with a reply. Every step is
an event of the complaint's log."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Staff
from server.complaints import log, units
from server.complaints.intake import OPEN, all_deadlines, current_deadlines, set_deadline
from server.complaints.workdays import ACCEPT_DAYS, CLOSE_DAYS, EXTEND_DAYS, TRANSFER_DAYS, local_day
from server.db.complaint_models import Complaint, ComplaintFile, ComplaintState, Unit
from server.db.models import Case, CaseMember, CaseStatus, EvidenceItem
from server.db.types import utcnow
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.services import cases, custody

REFERRALS = ("arbitration", "social_insurance", "court", "police", "other")
MATERIAL, SUSPENDED = "material", "suspended"  # the two ways a complaint's clock stops
CATEGORY_TITLES = {"wages": "欠薪", "contract": "劳动合同", "insurance": "社会保险",
                   "hours": "工时休假", "child_labour": "童工", "other": "其他", "": "投诉"}


async def visible(session: AsyncSession, staff: Staff, complaint_id: str) -> Complaint:
    """A complaint routed (or being transferred) to a unit the staff member sees."""
    seen = await units.visible_units(session, staff)
    complaint = await session.get(Complaint, complaint_id)
    if complaint is None or not ({complaint.unit_id, complaint.transfer_unit_id} & seen):
        raise NotFound("No such complaint.")
    await return_lapsed_transfer(session, complaint)
    return complaint


AT_RISK_DAYS = 2  # a running deadline this many working days away or fewer is at risk


async def queue(session: AsyncSession, staff: Staff, *, unit: str | None = None,
                overdue: bool = False, at_risk: bool = False) -> list[Complaint]:
    seen = await units.visible_units(session, staff)
    if unit is not None:
        seen &= {(await units.unit_by_code(session, unit)).id}
    found = list(await session.scalars(select(Complaint).where(or_(
        Complaint.unit_id.in_(seen), Complaint.transfer_unit_id.in_(seen)))
        .order_by(Complaint.received_at.desc())))
    for complaint in found:
        await return_lapsed_transfer(session, complaint)
    if at_risk:
        today, cal = local_day(utcnow()), await units.calendar(session)
        soon = []
        for complaint in found:
            due = [d for d in await current_deadlines(session, complaint.id) if d.met_at is None]
            if not complaint.paused_kind and any(
                    today <= d.due and cal.between(today, d.due) <= AT_RISK_DAYS for d in due):
                soon.append(complaint)
        return soon
    if overdue:
        today = local_day(utcnow())
        late = []
        for complaint in found:
            due = [d for d in await current_deadlines(session, complaint.id) if d.met_at is None]
            if complaint.alert or (not complaint.paused_kind and any(d.due < today for d in due)):
                late.append(complaint)
        return late
    return found


def require_owner(staff: Staff, complaint: Complaint) -> None:
    if complaint.owner_id != staff.user_id:
        raise Forbidden("Only the officer handling this complaint can do that; claim it first.",
                        code="not_owner")


def _require_state(complaint: Complaint, *states: ComplaintState) -> None:
    if complaint.state not in states:
        raise Conflict(f"The complaint is {complaint.state.value}.", code="complaint_state")


async def claim(session: AsyncSession, staff: Staff, complaint: Complaint) -> None:
    _require_state(complaint, ComplaintState.RECEIVED)
    if complaint.unit_id not in await units.visible_units(session, staff):
        raise Forbidden("Only staff of the unit it is routed to can claim it.", code="other_unit")
    now = utcnow()
    complaint.owner_id = staff.user_id
    complaint.first_responder_id = complaint.first_responder_id or staff.user_id
    complaint.claimed_at = now
    complaint.state = ComplaintState.CLAIMED
    await log.append(session, complaint.id, "complaint_claimed", custody.staff_actor(staff),
                     {"first_responder": staff.display_name}, public=True, at=now)


async def transfer(session: AsyncSession, staff: Staff, complaint: Complaint, unit_code: str,
                   reason: str) -> None:
    require_owner(staff, complaint)
    complaint.alert = ""  # the owner sees to what the alert was about
    _require_state(complaint, ComplaintState.CLAIMED)
    if complaint.transfer_unit_id is not None:
        raise Conflict("A transfer of this complaint is waiting already.", code="transfer_waiting")
    target = await units.unit_by_code(session, unit_code)
    if target.id == complaint.unit_id:
        raise InvalidInput("The complaint is with that unit already.", code="same_unit")
    today = local_day(utcnow())
    cal = await units.calendar(session)
    complaint.transfer_unit_id, complaint.transfer_reason = target.id, reason
    await log.append(session, complaint.id, "complaint_transferred", custody.staff_actor(staff),
                     {"to": target.code, "reason": reason})
    await set_deadline(session, complaint, "transfer", today, TRANSFER_DAYS,
                       cal.add(today, TRANSFER_DAYS), by=staff.user_id, reason=reason)


async def take_transfer(session: AsyncSession, staff: Staff, complaint: Complaint) -> None:
    """The receiving unit takes the complaint: one of its staff handles it now; the first
    responder stays named."""
    if complaint.transfer_unit_id is None:
        raise Conflict("No transfer of this complaint is waiting.", code="no_transfer")
    if complaint.transfer_unit_id not in await units.visible_units(session, staff):
        raise Forbidden("Only the receiving unit can take a transfer.", code="other_unit")
    target = await session.get(Unit, complaint.transfer_unit_id)
    complaint.unit_id, complaint.owner_id = complaint.transfer_unit_id, staff.user_id
    complaint.transfer_unit_id = None
    await _meet(session, complaint, "transfer")
    await log.append(session, complaint.id, "transfer_taken", custody.staff_actor(staff),
                     {"unit": target.code if target else ""}, public=True)


async def return_lapsed_transfer(session: AsyncSession, complaint: Complaint) -> bool:
    """A transfer the receiving unit did not take by its due day goes back, and the
    sending unit's supervisor is alerted."""
    if complaint.transfer_unit_id is None:
        return False
    due = [d for d in await current_deadlines(session, complaint.id) if d.kind == "transfer"]
    if not due or local_day(utcnow()) <= due[0].due:
        return False
    target = await session.get(Unit, complaint.transfer_unit_id)
    complaint.transfer_unit_id = None
    complaint.alert = (f"移送至{target.name if target else ''}未在{due[0].due.isoformat()}前接收，已退回 "
                       f"(the transfer was not taken by {due[0].due.isoformat()} and came back)")
    due[0].replaced_at = utcnow()
    await log.append(session, complaint.id, "transfer_returned", {"kind": "server"},
                     {"unit": target.code if target else "", "due": due[0].due.isoformat()})
    return True


async def return_lapsed_transfers(sessions: Any) -> int:
    """Every waiting transfer past its day goes back now (the background sweep), not only
    when someone next reads the queue; how many went back."""
    async with sessions() as session, session.begin():
        waiting = await session.scalars(select(Complaint).where(Complaint.transfer_unit_id.is_not(None)))
        return sum([await return_lapsed_transfer(session, c) for c in waiting])


async def _meet(session: AsyncSession, complaint: Complaint, kind: str) -> None:
    for deadline in await current_deadlines(session, complaint.id):
        if deadline.kind == kind and deadline.met_at is None:
            deadline.met_at = utcnow()


async def accept(session: AsyncSession, staff: Staff, complaint: Complaint) -> Case:
    """受理: a case opens for the complaint, its files among the case's evidence (the same
    stored objects), the complaint's log head written into the case's log."""
    require_owner(staff, complaint)
    complaint.alert = ""  # the owner sees to what the alert was about
    _require_state(complaint, ComplaintState.CLAIMED)
    _require_running(complaint, allow=MATERIAL)
    await _end_pause(session, staff, complaint, "decided")
    now = utcnow()
    title = f"{CATEGORY_TITLES.get(complaint.category, '投诉')}投诉 {complaint.number}"
    if complaint.employer:
        title += f" · {complaint.employer}"
    case = Case(number=await cases.next_number(session), title=title[:200],
                employer=complaint.employer, description=_case_description(complaint),
                status=CaseStatus.INVESTIGATING, created_by=staff.user_id, unit_id=complaint.unit_id)
    session.add(case)
    await session.flush()
    session.add(CaseMember(case_id=case.id, user_id=staff.user_id, granted_by=staff.user_id))
    complaint.state, complaint.case_id, complaint.decided_at = ComplaintState.ACCEPTED, case.id, now
    await _meet(session, complaint, "accept")
    today = local_day(now)
    cal = await units.calendar(session)
    event = await log.append(session, complaint.id, "complaint_accepted", custody.staff_actor(staff),
                             {"case": case.number, "working_day": cal.between(local_day(complaint.received_at), today)},
                             public=True, at=now)
    await set_deadline(session, complaint, "close", today, CLOSE_DAYS, cal.add(today, CLOSE_DAYS),
                       by=staff.user_id)
    head = (await log.rows(session, complaint.id))[-1]
    await custody.record(session, case_id=case.id, action="complaint_linked", actor=custody.staff_actor(staff),
                         detail={"complaint": complaint.number, "complaint_id": complaint.id,
                                 "log_seq": head.seq, "log_head": head.hash,
                                 "accepted_event": event["hash"]})
    for file in await session.scalars(select(ComplaintFile).where(
            ComplaintFile.complaint_id == complaint.id).order_by(ComplaintFile.created_at)):
        observed = json.loads(file.observed)
        observed["complaint"] = {"number": complaint.number, "file": file.id}
        item = EvidenceItem(case_id=case.id, kind="complaint_form" if file.kind == "form" else "upload",
                            object_key=file.object_key, version_id=file.version_id,
                            content_type=file.content_type, sha256=file.sha256, size=file.size,
                            observed=json.dumps(observed, ensure_ascii=False), claimed=file.claimed)
        session.add(item)
        await session.flush()
        await custody.record(session, case_id=case.id, action="captured", actor=custody.SERVER,
                             item_id=item.id, detail={"kind": item.kind, "sha256": item.sha256,
                                                      "size": item.size, "from_complaint": complaint.number})
    return case


def _case_description(complaint: Complaint) -> str:
    """What the case says of the complaint. A confidential complaint's case never names
    the complainant: a case's words reach employer-side parties' pages."""
    lines = [f"来自投诉 {complaint.number}（{complaint.received_at.date().isoformat()}）"]
    if not complaint.confidential:
        lines.append(f"投诉人：{complaint.name}")
    if complaint.workers:
        lines.append(f"涉及人数：{complaint.workers}")
    if complaint.amount:
        lines.append(f"诉称金额：{complaint.amount} 元")
    if complaint.description:
        lines.append(complaint.description)
    return "\n".join(lines)[:10_000]


async def decide_not_to_accept(session: AsyncSession, staff: Staff, complaint: Complaint, *,
                               refer_to: str | None, reason: str) -> None:
    """不予受理 (refuse), or refer elsewhere (arbitration, social insurance, court, police)."""
    require_owner(staff, complaint)
    complaint.alert = ""  # the owner sees to what the alert was about
    _require_state(complaint, ComplaintState.CLAIMED)
    _require_running(complaint, allow=MATERIAL)
    await _end_pause(session, staff, complaint, "decided")
    complaint.state = ComplaintState.REFERRED if refer_to else ComplaintState.REFUSED
    complaint.reason, complaint.referred_to, complaint.decided_at = reason, refer_to or "", utcnow()
    await _meet(session, complaint, "accept")
    await log.append(session, complaint.id, "complaint_referred" if refer_to else "complaint_refused",
                     custody.staff_actor(staff), {"reason": reason, "to": refer_to or ""}, public=True)


async def extend(session: AsyncSession, staff: Staff, complaint: Complaint, days: int, reason: str) -> None:
    """A supervisor of the unit (or above) grants more working days to close it, 30 at most
    in all."""
    if not await units.supervises(session, staff, complaint.unit_id):
        raise Forbidden("Only a supervisor of the unit can extend a deadline.", code="supervisor_only")
    _require_state(complaint, ComplaintState.ACCEPTED)
    close = [d for d in await current_deadlines(session, complaint.id) if d.kind == "close"]
    granted = sum(d.working_days for d in await _extensions(session, complaint.id))
    if days < 1 or granted + days > EXTEND_DAYS:
        raise InvalidInput(f"An extension adds 1 to {EXTEND_DAYS - granted} more working days "
                           f"({EXTEND_DAYS} in all).", code="extension_too_long")
    cal = await units.calendar(session)
    await set_deadline(session, complaint, "close", close[0].due, days, cal.add(close[0].due, days),
                       reason=reason, by=staff.user_id, cause="extension")


async def _extensions(session: AsyncSession, complaint_id: str) -> list[Any]:
    return [d for d in await all_deadlines(session, complaint_id) if d.kind == "close" and d.cause == "extension"]


async def close(session: AsyncSession, staff: Staff, complaint: Complaint, *, result: str, reply: str,
                amount_recovered: int | None, workers_covered: int | None) -> None:
    require_owner(staff, complaint)
    _require_state(complaint, ComplaintState.ACCEPTED)
    _require_running(complaint)
    now = utcnow()
    complaint.state, complaint.closed_at = ComplaintState.CLOSED, now
    complaint.result, complaint.reply = result, reply
    complaint.amount_recovered, complaint.workers_covered = amount_recovered, workers_covered
    await _meet(session, complaint, "close")
    await log.append(session, complaint.id, "complaint_closed", custody.staff_actor(staff), {
        "result": result, "reply": reply, "amount_recovered": amount_recovered,
        "workers_covered": workers_covered}, public=True, at=now)


def _require_running(complaint: Complaint, allow: str = "") -> None:
    if complaint.paused_kind and complaint.paused_kind != allow:
        raise Conflict("The complaint's clock is stopped (more material asked for, or "
                       "suspended); resume it first.", code="complaint_paused")


async def ask_for_material(session: AsyncSession, staff: Staff, complaint: Complaint, what: str) -> None:
    """补正: the complainant is asked for more material, shown on their status page. The
    5 days to decide start again from the day it arrives (or the officer resumes)."""
    require_owner(staff, complaint)
    complaint.alert = ""  # the owner sees to what the alert was about
    _require_state(complaint, ComplaintState.CLAIMED)
    _require_running(complaint)
    await _pause(session, staff, complaint, MATERIAL, what, "material_requested")


async def suspend(session: AsyncSession, staff: Staff, complaint: Complaint, reason: str) -> None:
    """中止: an accepted complaint waits on something outside it (an arbitration, a
    missing party); its closing clock stops until it is resumed."""
    require_owner(staff, complaint)
    _require_state(complaint, ComplaintState.ACCEPTED)
    _require_running(complaint)
    await _pause(session, staff, complaint, SUSPENDED, reason, "complaint_suspended")


async def _pause(session: AsyncSession, staff: Staff, complaint: Complaint, kind: str, reason: str,
                 action: str) -> None:
    now = utcnow()
    complaint.paused_kind, complaint.paused_reason, complaint.paused_at = kind, reason, now
    await log.append(session, complaint.id, action, custody.staff_actor(staff), {"reason": reason},
                     public=True, at=now)


async def resume(session: AsyncSession, actor: dict[str, Any], complaint: Complaint, why: str) -> None:
    """The clock runs again. After more material, the complainant's 5 working days to a
    decision start afresh from today; after a suspension, the closing deadline moves on by
    the working days the suspension lasted. Both new dates are kept as deadline changes."""
    if not complaint.paused_kind:
        raise Conflict("The complaint's clock is running.", code="complaint_not_paused")
    kind, since = complaint.paused_kind, complaint.paused_at or utcnow()
    await _end_pause(session, actor, complaint, why)
    cal = await units.calendar(session)
    today = local_day(utcnow())
    by = actor.get("id") if actor.get("kind") == "staff" else None
    if kind == MATERIAL:
        await set_deadline(session, complaint, "accept", today, ACCEPT_DAYS, cal.add(today, ACCEPT_DAYS),
                           reason=f"补正材料后重新计算 (counted again after more material): {why}", by=by,
                           cause="resumed")
        return
    close = [d for d in await current_deadlines(session, complaint.id) if d.kind == "close"]
    stopped = cal.between(local_day(since), today)
    if close and stopped:
        await set_deadline(session, complaint, "close", close[0].due, stopped, cal.add(close[0].due, stopped),
                           reason=f"中止 {stopped} 个工作日后恢复 (resumed after {stopped} working days "
                                  f"suspended): {why}", by=by, cause="resumed")


async def _end_pause(session: AsyncSession, actor: Staff | dict[str, Any], complaint: Complaint,
                     why: str) -> None:
    if not complaint.paused_kind:
        return
    who = custody.staff_actor(actor) if isinstance(actor, Staff) else actor
    await log.append(session, complaint.id, "complaint_resumed", who,
                     {"was": complaint.paused_kind, "since": complaint.paused_at.isoformat()
                      if complaint.paused_at else None, "why": why}, public=True)
    complaint.paused_kind, complaint.paused_reason, complaint.paused_at = "", "", None


async def note_reply_shown(session: AsyncSession, complaint: Complaint, user_agent: str) -> None:
    """The first time the status link shows a finished complaint, the log says so: the
    bureau's answer reached the complainant's screen (each later look is not logged)."""
    if is_open(complaint):
        return
    action = "complaint_reply_shown"
    if any(r.action == action and json.loads(r.body)["detail"].get("state") == complaint.state.value
           for r in await log.rows(session, complaint.id)):
        return
    await log.append(session, complaint.id, action, {"kind": "complainant"},
                     {"state": complaint.state.value, "user_agent": user_agent})


def is_open(complaint: Complaint) -> bool:
    return complaint.state in OPEN


def due_colour(due: date, today: date, working_left: int) -> str:
    """How a due date looks in a queue: overdue, due within 2 working days, or fine."""
    if due < today:
        return "overdue"
    return "soon" if working_left <= 2 else "ok"
