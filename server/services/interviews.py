"""Interviews under a case, and the invitations that let parties join them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.auth import INVITATION_PREFIX, Party, Staff, new_token, token_hash
from server.db.complaint_models import Unit
from server.db.models import Case, CaseMember, Interview, InterviewState, Invitation, PartyRole, Role, User
from server.db.types import utcnow
from server.errors import Conflict, Gone, NotFound, Unauthenticated
from server.services.cases import get_case, interview_case, require_inspector


async def create_interview(
    session: AsyncSession, staff: Staff, case_id: str, *,
    title: str, language: str, scheduled_for: datetime | None, purpose: str = "",
) -> Interview:
    case = await get_case(session, staff, case_id, write=True)
    interview = Interview(
        case_id=case.id, title=title, language=language,
        scheduled_for=scheduled_for, purpose=purpose, created_by=staff.user_id,
    )
    session.add(interview)
    await session.flush()
    return await interview_case(session, staff, interview.id)


async def end_interview(session: AsyncSession, staff: Staff, interview_id: str) -> Interview:
    interview = await interview_case(session, staff, interview_id)
    require_inspector(staff)
    if interview.state is InterviewState.ENDED:
        raise Conflict("This interview has already ended.", code="interview_ended")
    interview.state = InterviewState.ENDED
    interview.ended_at = utcnow()
    await session.flush()
    return interview


async def reschedule(session: AsyncSession, staff: Staff, interview_id: str, *,
                     changes: dict[str, object]) -> Interview:
    """A new time (or none), or new words for the parties, before anyone has joined."""
    interview = await interview_case(session, staff, interview_id)
    require_inspector(staff)
    if interview.state is not InterviewState.SCHEDULED:
        raise Conflict("Only an interview nobody has joined yet can be rescheduled.",
                       code="interview_started")
    if "scheduled_for" in changes and changes["scheduled_for"] != interview.scheduled_for:
        # A reminder told the old time: the new one gets its own.
        await session.execute(update(Invitation).where(Invitation.interview_id == interview.id)
                              .values(reminded_at=None))
    for name, value in changes.items():
        setattr(interview, name, value)
    await session.flush()
    return interview


async def cancel_interview(session: AsyncSession, staff: Staff, interview_id: str,
                           reason: str) -> Interview:
    """Call off an interview nobody joined: it ends, marked as never held (no record is
    drafted for it), and its links then say so."""
    interview = await interview_case(session, staff, interview_id)
    require_inspector(staff)
    if interview.state is not InterviewState.SCHEDULED:
        raise Conflict("Someone has joined this interview; end it instead of cancelling it.",
                       code="interview_started")
    now = utcnow()
    interview.state, interview.ended_at = InterviewState.ENDED, now
    interview.cancelled_at, interview.cancel_reason = now, reason
    await session.flush()
    return interview


async def create_invitation(
    session: AsyncSession, staff: Staff, interview_id: str, *,
    name: str, role: PartyRole, ttl: timedelta, phone: str | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token. The token is returned once and stored only hashed.
    `phone`: the party's mobile number (11 digits), for the messages about it."""
    interview = await interview_case(session, staff, interview_id)
    require_inspector(staff)
    if interview.state is InterviewState.ENDED:
        raise Conflict("This interview has ended; schedule a new one.", code="interview_ended")
    token = new_token(INVITATION_PREFIX)
    invitation = Invitation(
        interview_id=interview.id, name=name, role=role, token_hash=token_hash(token),
        created_by=staff.user_id, expires_at=utcnow() + ttl, phone=phone,
    )
    session.add(invitation)
    await session.flush()
    return invitation, token


async def revoke_invitation(session: AsyncSession, staff: Staff, invitation_id: str) -> Invitation:
    invitation = await session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.")
    await interview_case(session, staff, invitation.interview_id)  # access check
    require_inspector(staff)
    if invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
    await session.flush()
    return invitation


def invitation_state(invitation: Invitation, now: datetime | None = None) -> str:
    now = now or utcnow()
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "active"


async def resolve_invitation(session: AsyncSession, token: str) -> Party:
    """The party behind an invitation token; records first and latest use."""
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.token_hash == token_hash(token))
        .options(selectinload(Invitation.interview))
    )
    if invitation is None:
        raise Unauthenticated(
            "This link is not valid. Ask the inspector for a new one.", code="invitation_invalid"
        )
    state = invitation_state(invitation)
    if state == "revoked":
        raise Gone("This link has been withdrawn. Ask the inspector for a new one.",
                   code="invitation_revoked")
    if state == "expired":
        raise Gone("This link has expired. Ask the inspector for a new one.",
                   code="invitation_expired")
    now = utcnow()
    invitation.used_at = invitation.used_at or now
    invitation.last_used_at = now
    return Party(
        invitation_id=invitation.id,
        interview_id=invitation.interview_id,
        case_id=invitation.interview.case_id,
        name=invitation.name,
        role=invitation.role,
    )


async def party_view(session: AsyncSession, party: Party) -> tuple[Invitation, Interview]:
    """What a party may know about its own invitation, interview and case."""
    invitation = await session.scalar(
        select(Invitation).where(Invitation.id == party.invitation_id)
        .options(selectinload(Invitation.interview).selectinload(Interview.case))
    )
    return invitation, invitation.interview


async def callers(session: AsyncSession, interview: Interview, bureau_name: str) -> dict[str, object]:
    """Who is calling, for a party's page: the bureau (the case's unit when it has one)
    and the inspectors on the case, the one who scheduled the interview first."""
    bureau = await bureau_of(session, interview.case, bureau_name)
    rows = await session.execute(
        select(User.id, User.display_name).join(CaseMember, CaseMember.user_id == User.id)
        .where(CaseMember.case_id == interview.case_id, User.role.in_((Role.INSPECTOR, Role.SUPERVISOR)),
               User.disabled_at.is_(None)).order_by(CaseMember.granted_at))
    names = dict(rows.all())
    creator = await session.get(User, interview.created_by)
    ordered = ([creator.display_name] if creator is not None else []) + \
        [n for uid, n in names.items() if creator is None or uid != creator.id]
    return {"bureau": bureau, "inspectors": ordered}


async def bureau_of(session: AsyncSession, case: Case, bureau_name: str) -> str:
    """Who is calling, as a party is told it: the case's unit, else the bureau."""
    unit = await session.get(Unit, case.unit_id) if case.unit_id else None
    return unit.name if unit is not None else bureau_name
