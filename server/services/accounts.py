"""Staff accounts and login sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import STAFF_PREFIX, Staff, hash_password, new_token, token_hash
from server.db.models import LoginFailure, LoginSession, Role, User
from server.db.types import utcnow
from server.errors import Conflict, InvalidInput, TooManyRequests, Unauthenticated

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
MIN_PASSWORD = 8
DISABLED = "This account has been disabled by an administrator."


async def create_user(
    session: AsyncSession, *, username: str, password: str, role: Role, display_name: str = ""
) -> User:
    username = username.strip().lower()
    if not 2 <= len(username) <= 64 or not set(username) <= USERNAME_CHARS:
        raise InvalidInput(
            "A username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'."
        )
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    if await session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"User '{username}' already exists.", code="user_exists")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=await hash_password(password),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"User '{username}' already exists.", code="user_exists") from None
    return user


async def find_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username.strip().lower()))


@dataclass(frozen=True)
class LoginAttempt:
    """A counted attempt, and what is needed to check its password outside a transaction.
    `user` may be disabled: that is told only to someone who knows its password."""

    attempt_id: int
    user: User | None


async def begin_login(
    session: AsyncSession, *, username: str, address: str, max_failures: int, window: timedelta
) -> LoginAttempt:
    """Count the attempt (as a failure until it succeeds) before any password is checked,
    so that a burst of parallel guesses is limited as surely as a slow series. The caller
    commits, checks the password with no transaction open, then calls `finish_login`."""
    username = username.strip().lower()
    if session.bind.dialect.name == "postgresql":
        # One attempt per username at a time; SQLite's single writer gives this already.
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(username))))
    failure = LoginFailure(username=username[:64], address=address[:64])
    session.add(failure)
    await session.flush()  # writing first takes the write lock before counting
    await _check_rate(session, username, address, max_failures, window)
    user = await find_user(session, username)
    return LoginAttempt(failure.id, user)


async def finish_login(session: AsyncSession, attempt: LoginAttempt, ttl: timedelta) -> str:
    """The password was right: the attempt is no failure; open a session, return its token."""
    await forget_attempt(session, attempt)
    token = new_token(STAFF_PREFIX)
    session.add(LoginSession(user_id=attempt.user.id, token_hash=token_hash(token),
                             expires_at=utcnow() + ttl))
    return token


async def forget_attempt(session: AsyncSession, attempt: LoginAttempt) -> None:
    """The password was right, so the attempt was no guess."""
    await session.execute(delete(LoginFailure).where(LoginFailure.id == attempt.attempt_id))


async def _check_rate(
    session: AsyncSession, username: str, address: str, max_failures: int, window: timedelta
) -> None:
    since = utcnow() - window
    by_user = await _failures_since(session, LoginFailure.username == username, since)
    by_address = await _failures_since(session, LoginFailure.address == address, since)
    # Counts include the attempt being made. An address may try several accounts (a
    # shared office NAT) before it is limited.
    if by_user > max_failures or by_address > max_failures * 5:
        raise TooManyRequests(
            "Too many failed logins; wait a few minutes and try again.",
            retry_after=int(window.total_seconds()),
        )


async def _failures_since(session: AsyncSession, condition, since: datetime) -> int:  # noqa: ANN001
    query = select(func.count()).select_from(LoginFailure).where(condition, LoginFailure.at >= since)
    return int(await session.scalar(query) or 0)


async def resolve_session(session: AsyncSession, token: str, *, via_cookie: bool) -> Staff:
    """The staff member behind a session token, or `Unauthenticated`."""
    now = utcnow()
    row = await session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash(token))
    )
    found = row.first()
    if found is None:
        raise Unauthenticated("Please log in.")
    login_session, user = found
    # Disabling revokes the sessions too: say the reason that will not go away on login.
    if user.disabled_at is not None:
        raise Unauthenticated(DISABLED, code="account_disabled")
    if login_session.revoked_at is not None or login_session.expires_at <= now:
        raise Unauthenticated("Your session has ended; please log in again.", code="session_expired")
    return Staff(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        session_id=login_session.id,
        via_cookie=via_cookie,
    )


async def logout(session: AsyncSession, staff: Staff) -> None:
    login_session = await session.get(LoginSession, staff.session_id)
    if login_session is not None and login_session.revoked_at is None:
        login_session.revoked_at = utcnow()
