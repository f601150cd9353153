"""Messages to parties' phones about their invitations (server/notify): the invitation,
the reminder before the scheduled start, the request to read and sign the record.

Each message is a custody event of the case: `notified` (which message, the invitation,
the provider, its message id, the number masked) or `notify_failed` (the same with the
reason instead of an id). A message that did not go never fails what it was about: the
caller gets `{"state": "sent"|"failed"|"off"|"no_phone", ...}` to show. The network call
is made outside any database transaction, and its custody event is written after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from server.auth import Staff
from server.db.models import Interview, InterviewState, Invitation
from server.db.types import utcnow
from server.notify import Kind, Notifier, NotifyError
from server.notify.links import LinkSeal
from server.notify.phone import masked
from server.services import custody
from server.services.interviews import bureau_of
from server.settings import Settings
from transcription.bureau_time import format_time

log = logging.getLogger("zeromeet.notify")


@dataclass(frozen=True)
class Target:
    """Whom a message goes to and what it says; `url` None when the sealed link could
    not be opened (a data dir with another signing key)."""

    case_id: str
    phone: str
    url: str | None
    params: dict[str, str]


class Notifications:
    def __init__(self, *, settings: Settings, sessions: async_sessionmaker[AsyncSession],
                 notifier: Notifier | None, seal: LinkSeal) -> None:
        self.settings, self.sessions, self.notifier, self.seal = settings, sessions, notifier, seal

    def keep_link(self, invitation: Invitation, url: str) -> None:
        """Keep a new invitation's link, sealed, when it has a phone number to send the
        later messages to; an invitation without one keeps only its token's hash."""
        if invitation.phone:
            invitation.link_sealed = self.seal.seal(invitation.id, url)

    async def invited(self, invitation_id: str, url: str, staff: Staff) -> dict[str, Any]:
        return await self._notify(Kind.INVITATION, invitation_id, custody.staff_actor(staff), url)

    async def sign_requested(self, invitation_id: str, staff: Staff) -> dict[str, Any]:
        return await self._notify(Kind.SIGN, invitation_id, custody.staff_actor(staff))

    async def remind_due(self, now: datetime | None = None) -> int:
        """Remind every party whose interview starts within `remind_before` of `now`
        (default: the clock), once; how many reminders were taken. Each is claimed in the
        database before it is sent, so two servers sweeping at once send it once."""
        if self.notifier is None:
            return 0
        now = now or utcnow()
        async with self.sessions() as session:
            due = await due_reminders(session, now, self.settings)
        taken = 0
        for invitation_id in due:
            async with self.sessions() as session, session.begin():
                claimed = await claim_reminder(session, invitation_id, now)
            if claimed:
                await self._notify(Kind.REMINDER, invitation_id, custody.SERVER)
                taken += 1
        return taken

    async def _notify(self, kind: Kind, invitation_id: str, actor: dict[str, Any],
                      url: str | None = None) -> dict[str, Any]:
        if self.notifier is None:
            return {"state": "off"}
        async with self.sessions() as session:
            target = await self._target(session, kind, invitation_id, url)
        if target is None:
            return {"state": "no_phone"}
        shown = masked(target.phone)
        detail = {"message": kind.value, "invitation": invitation_id,
                  "provider": self.notifier.name, "phone": shown}
        answer = {"state": "sent", "provider": self.notifier.name, "phone": shown}
        try:
            if target.url is None:
                raise NotifyError("the party's link could not be opened: the data dir's "
                                  "signing key is not the one it was sealed with")
            message_id = await self.notifier.send(target.phone, kind, target.params)
        except NotifyError as exc:
            reason = str(exc)
            log.warning("a message to a party did not go: %s", reason,
                        extra={"kind": kind.value, "invitation": invitation_id})
            await self._log(target.case_id, "notify_failed", actor, {**detail, "reason": reason})
            return {**answer, "state": "failed", "reason": reason}
        await self._log(target.case_id, "notified", actor, {**detail, "message_id": message_id})
        return {**answer, "message_id": message_id}

    async def _target(self, session: AsyncSession, kind: Kind, invitation_id: str,
                      url: str | None) -> Target | None:
        invitation = await session.scalar(
            select(Invitation).where(Invitation.id == invitation_id)
            .options(selectinload(Invitation.interview).selectinload(Interview.case)))
        if invitation is None or not invitation.phone:
            return None
        if url is None and invitation.link_sealed:
            url = self.seal.open(invitation.id, invitation.link_sealed)
        interview = invitation.interview
        params = {"language": interview.language, "url": url or "",
                  "bureau": await bureau_of(session, interview.case, self.settings.bureau_name),
                  "bureau_phone": self.settings.bureau_phone, "when": ""}
        if kind is not Kind.SIGN and interview.scheduled_for is not None:
            params["when"] = format_time(interview.scheduled_for.isoformat(), interview.language,
                                         time_zone=self.settings.time_zone)
        return Target(case_id=interview.case_id, phone=invitation.phone, url=url, params=params)

    async def _log(self, case_id: str, action: str, actor: dict[str, Any],
                   detail: dict[str, Any]) -> None:
        async with self.sessions() as session, session.begin():
            await custody.record(session, case_id=case_id, action=action, actor=actor,
                                 detail=detail)


async def due_reminders(session: AsyncSession, now: datetime, settings: Settings) -> list[str]:
    """Invitations with a phone number and a live link whose interview (neither ended nor
    cancelled) starts within `remind_before` of `now` and that have had no reminder for
    this time. One made after the window opened is left out: its invitation told the time."""
    lead = settings.notify.remind_before
    rows = await session.execute(
        select(Invitation.id, Invitation.created_at, Interview.scheduled_for)
        .join(Interview, Interview.id == Invitation.interview_id)
        .where(Invitation.phone.is_not(None), Invitation.link_sealed.is_not(None),
               Invitation.reminded_at.is_(None), Invitation.revoked_at.is_(None),
               Invitation.expires_at > now, Interview.state != InterviewState.ENDED,
               Interview.cancelled_at.is_(None), Interview.scheduled_for > now,
               Interview.scheduled_for <= now + lead)
        .order_by(Interview.scheduled_for, Invitation.created_at))
    return [invitation_id for invitation_id, created_at, start in rows if created_at < start - lead]


async def claim_reminder(session: AsyncSession, invitation_id: str, now: datetime) -> bool:
    """Take the invitation's reminder: True for the one transaction that set it. The
    UPDATE's row lock makes a second server's UPDATE wait and then find it taken."""
    result = await session.execute(
        update(Invitation).where(Invitation.id == invitation_id, Invitation.reminded_at.is_(None))
        .values(reminded_at=now))
    return result.rowcount == 1
