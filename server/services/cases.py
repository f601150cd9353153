"""Cases, their numbers, and who may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import Staff
from server.db import counters
from server.db.models import Case, CaseMember, CaseStatus, CustodyEvent, Interview, Role, User
from server.db.record_models import ConfirmationRequest
from server.db.types import utcnow
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.services import custody

NUMBER_PREFIX = "ZM"
_TRANSITIONS = {
    CaseStatus.INTAKE: {CaseStatus.INVESTIGATING, CaseStatus.CLOSED},
    CaseStatus.INVESTIGATING: {CaseStatus.CLOSED},
    CaseStatus.CLOSED: set(),
}
_WITH_MEMBERS = selectinload(Case.members).selectinload(CaseMember.user)


def require_inspector(staff: Staff) -> None:
    if staff.role is not Role.INSPECTOR:
        raise Forbidden("Only inspectors can create or change cases and interviews.")


async def next_number(session: AsyncSession) -> str:
    """The next case number of this year, e.g. ZM-2026-000123. Safe across processes:
    the counter row is incremented in the caller's transaction, which holds its lock."""
    year = utcnow().year
    value = await counters.take(session, f"case-number-{year}")
    return f"{NUMBER_PREFIX}-{year}-{value:06d}"


async def create_case(
    session: AsyncSession, staff: Staff, *, title: str, employer: str, description: str
) -> Case:
    require_inspector(staff)
    case = Case(
        number=await next_number(session),
        title=title,
        employer=employer,
        description=description,
        created_by=staff.user_id,
    )
    session.add(case)
    await session.flush()
    session.add(CaseMember(case_id=case.id, user_id=staff.user_id, granted_by=staff.user_id))
    await session.flush()
    return await get_case(session, staff, case.id)


@dataclass(frozen=True)
class CaseFilter:
    """What the case list is narrowed to: words in the number, title or employer; a
    status; a member's username; only cases with a record waiting for a signature."""

    words: str = ""
    status: CaseStatus | None = None
    member: str = ""
    awaiting_signature: bool = False


async def list_cases(session: AsyncSession, staff: Staff,
                     only: CaseFilter = CaseFilter()) -> list[tuple[Case, datetime]]:
    """The cases the staff member is on, each with its last activity (the latest step of
    its custody log, else its last change), most recent first."""
    last = (select(CustodyEvent.case_id, func.max(CustodyEvent.at).label("at"))
            .group_by(CustodyEvent.case_id).subquery())
    activity = func.coalesce(last.c.at, Case.updated_at)
    query = (
        select(Case, activity)
        .join(CaseMember, CaseMember.case_id == Case.id)
        .outerjoin(last, last.c.case_id == Case.id)
        .where(CaseMember.user_id == staff.user_id)
        .options(_WITH_MEMBERS)
        .order_by(activity.desc())
    )
    if only.words:
        like = "%" + only.words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(column.ilike(like, escape="\\")
                                  for column in (Case.number, Case.title, Case.employer))))
    if only.status is not None:
        query = query.where(Case.status == only.status)
    if only.member:
        query = query.where(Case.id.in_(select(CaseMember.case_id).join(User, User.id == CaseMember.user_id)
                                        .where(User.username == only.member)))
    if only.awaiting_signature:
        query = query.where(Case.id.in_(
            select(Interview.case_id).join(ConfirmationRequest, ConfirmationRequest.interview_id == Interview.id)
            .where(ConfirmationRequest.state == "awaiting")))
    rows = (await session.execute(query)).unique().all()
    return [(case, moment) for case, moment in rows]


async def get_case(
    session: AsyncSession, staff: Staff, case_id: str, *, write: bool = False,
    with_interviews: bool = False,
) -> Case:
    """A case the staff member may see; `NotFound` otherwise, so that a case's existence
    is not revealed to those without access. `write=True` also requires an inspector."""
    options = [_WITH_MEMBERS]
    if with_interviews:
        options.append(selectinload(Case.interviews))
    query = (
        select(Case)
        .join(CaseMember, CaseMember.case_id == Case.id)
        .where(Case.id == case_id, CaseMember.user_id == staff.user_id)
        .options(*options)
        .execution_options(populate_existing=True)
    )
    case = await session.scalar(query)
    if case is None:
        raise NotFound("No such case.")
    if write:
        require_inspector(staff)
    return case


async def update_case(
    session: AsyncSession, staff: Staff, case_id: str, changes: dict[str, str]
) -> Case:
    case = await get_case(session, staff, case_id, write=True)
    if "status" in changes:
        target = CaseStatus(changes["status"])
        if target != case.status and target not in _TRANSITIONS[case.status]:
            raise Conflict(
                f"A case cannot go from {case.status.value} to {target.value}.",
                code="bad_transition",
            )
        case.status = target
    for name in ("title", "employer", "description"):
        if name in changes:
            setattr(case, name, changes[name])
    case.updated_at = utcnow()
    await session.flush()
    return await get_case(session, staff, case_id, with_interviews=True)


async def grant_access(session: AsyncSession, staff: Staff, case_id: str, username: str) -> User:
    """Give another inspector or a legal staff member access to a case."""
    await get_case(session, staff, case_id, write=True)
    user = await session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or user.disabled_at is not None:
        raise InvalidInput(f"There is no active user '{username}'.", code="unknown_user")
    if user.role not in (Role.INSPECTOR, Role.LEGAL):
        raise InvalidInput("Only inspectors and legal staff can be given a case.")
    exists = await session.scalar(
        select(CaseMember.id).where(CaseMember.case_id == case_id, CaseMember.user_id == user.id)
    )
    if exists is not None:
        raise Conflict(f"'{user.username}' already has this case.", code="already_member")
    session.add(CaseMember(case_id=case_id, user_id=user.id, granted_by=staff.user_id))
    await session.flush()
    await custody.record(session, case_id=case_id, action="access_granted",
                         actor=custody.staff_actor(staff),
                         detail={"user": user.username, "role": user.role.value})
    return user


async def interview_case(session: AsyncSession, staff: Staff, interview_id: str) -> Interview:
    """An interview whose case the staff member may see (`NotFound` otherwise)."""
    query = (
        select(Interview)
        .join(CaseMember, CaseMember.case_id == Interview.case_id)
        .where(Interview.id == interview_id, CaseMember.user_id == staff.user_id)
        .options(selectinload(Interview.case), selectinload(Interview.invitations))
        .execution_options(populate_existing=True)
    )
    interview = await session.scalar(query)
    if interview is None:
        raise NotFound("No such interview.")
    return interview
