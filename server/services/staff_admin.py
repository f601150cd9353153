"""What an administrator does to staff accounts: list, disable, enable, reset a password,
lift a login lock. Not custody events (no case is touched); each change is one log line
naming the account and who changed it, never a password."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import hash_password
from server.db.models import LoginFailure, LoginSession, Role, User
from server.db.types import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.services.accounts import MIN_PASSWORD, find_user

log = logging.getLogger("zeromeet.admin")


@dataclass(frozen=True)
class Account:
    """One staff account as an administrator sees it. `state` is `active`, `locked` (too
    many failed logins: the next attempt is refused) or `disabled`."""

    username: str
    display_name: str
    role: Role
    state: str
    disabled_at: datetime | None
    last_login_at: datetime | None
    failures: int
    badge_number: str = ""  # 执法证号: an inspector's enforcement certificate


@dataclass(frozen=True)
class Limits:
    """The login rate limit (ZEROMEET's settings), to tell a locked account."""

    max_failures: int
    window: timedelta


async def list_accounts(session: AsyncSession, limits: Limits) -> list[Account]:
    return await _accounts(session, limits)


async def get_account(session: AsyncSession, username: str, limits: Limits) -> Account:
    user = await _user(session, username)
    return (await _accounts(session, limits, User.id == user.id))[0]


async def _accounts(session: AsyncSession, limits: Limits, *where: Any) -> list[Account]:
    last_login = (select(LoginSession.user_id, func.max(LoginSession.created_at).label("at"))
                  .group_by(LoginSession.user_id).subquery())
    failures = (select(LoginFailure.username, func.count().label("n"))
                .where(LoginFailure.at >= utcnow() - limits.window)
                .group_by(LoginFailure.username).subquery())
    rows = await session.execute(
        select(User, last_login.c.at, failures.c.n)
        .outerjoin(last_login, last_login.c.user_id == User.id)
        .outerjoin(failures, failures.c.username == User.username)
        .where(*where)
        .order_by(User.username)
    )
    return [_account(user, at, int(n or 0), limits) for user, at, n in rows]


def _account(user: User, last_login: datetime | None, failures: int, limits: Limits) -> Account:
    # A login counts its own attempt first: with max_failures already counted it is refused.
    state = ("disabled" if user.disabled_at is not None
             else "locked" if failures >= limits.max_failures else "active")
    return Account(user.username, user.display_name, user.role, state, user.disabled_at,
                   last_login, failures, user.badge_number)


async def disable(session: AsyncSession, username: str, *, actor: str) -> User:
    """Disable the account and revoke its live login sessions: the API answers 401 at its
    next request. The caller ends its live interview connections (this process's rooms);
    other processes find them revoked within a few seconds (`ended_credentials`)."""
    user = await _user(session, username)
    if actor == user.username:
        raise Conflict("You cannot disable your own account.", code="own_account")
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    revoked = await _revoke_sessions(session, user)
    log.info("account disabled", extra={"action": "disable", "username": user.username,
                                        "by": actor, "sessions_revoked": revoked})
    return user


async def enable(session: AsyncSession, username: str, *, actor: str) -> User:
    """Let the account log in again; its old sessions stay revoked."""
    user = await _user(session, username)
    user.disabled_at = None
    log.info("account enabled", extra={"action": "enable", "username": user.username, "by": actor})
    return user


async def set_badge(session: AsyncSession, username: str, badge: str, *, actor: str) -> User:
    """The account's enforcement certificate number (执法证号), which records name beside
    the officer; "" removes it. Records already drafted keep the number they were given."""
    badge = badge.strip()
    if len(badge) > 32 or any(not c.isprintable() for c in badge):
        raise InvalidInput("An enforcement certificate number is one line of at most 32 "
                           "characters.", code="invalid_badge")
    user = await _user(session, username)
    user.badge_number = badge
    log.info("badge number set", extra={"action": "badge", "username": user.username,
                                        "badge": badge, "by": actor})
    return user


async def new_password_hash(password: str) -> str:
    """Checked and hashed before any transaction opens (argon2 takes a while)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    return await hash_password(password)


async def reset_password(session: AsyncSession, username: str, password_hash: str, *,
                         actor: str) -> User:
    """A new password (from `new_password_hash`); every session of the old one is revoked."""
    user = await _user(session, username)
    user.password_hash = password_hash
    revoked = await _revoke_sessions(session, user)
    log.info("password reset", extra={"action": "reset-password", "username": user.username,
                                      "by": actor, "sessions_revoked": revoked})
    return user


async def unlock(session: AsyncSession, username: str, *, actor: str) -> User:
    """Forget the username's failed logins, which lifts its lock. An address's own limit
    (several accounts tried from one place) counts the others that remain."""
    user = await _user(session, username)
    cleared = await session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    log.info("login lock lifted", extra={"action": "unlock", "username": user.username,
                                         "by": actor, "failures_cleared": cleared.rowcount or 0})
    return user


async def ended_credentials(session: AsyncSession, credentials: set[str]) -> dict[str, str]:
    """Of these login session ids (live connections' credentials), the ones that must end,
    each with why: `account_disabled` or `session_revoked`."""
    if not credentials:
        return {}
    rows = await session.execute(
        select(LoginSession.id, LoginSession.revoked_at, User.disabled_at)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id.in_(credentials),
               (LoginSession.revoked_at.is_not(None)) | (User.disabled_at.is_not(None)))
    )
    return {sid: "account_disabled" if disabled else "session_revoked" for sid, _, disabled in rows}


async def _user(session: AsyncSession, username: str) -> User:
    user = await find_user(session, username)
    if user is None:
        raise NotFound(f"There is no account '{username.strip().lower()[:64]}'.", code="unknown_user")
    return user


async def _revoke_sessions(session: AsyncSession, user: User) -> int:
    result = await session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0
