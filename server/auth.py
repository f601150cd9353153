"""Credentials: password hashes, bearer tokens, and who a request speaks for."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.db.models import PartyRole, Role

STAFF_PREFIX = "zms_"
INVITATION_PREFIX = "zmi_"

# argon2id with the library's RFC 9106 low-memory profile (64 MiB, 3 passes).
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so timing does not reveal who
    exists. Made on first use: a hash costs a tenth of a second, which every process
    (each CLI command among them) would otherwise pay on import."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def prepare_password_checks() -> None:
    """Make the dummy hash before the first login, so that the first unknown username
    takes as long to refuse as every later one (the server calls this as it starts)."""
    await asyncio.to_thread(_dummy_hash)


def new_token(prefix: str) -> str:
    """A bearer token: the prefix tells staff from invitation tokens; 256 random bits."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored instead of a token. Tokens are random, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(session_token: str) -> str:
    """The CSRF value bound to one staff session (double-submit cookie, derived not stored)."""
    return hashlib.sha256(b"zeromeet-csrf\x00" + session_token.encode()).hexdigest()


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_for(session_token), presented)


def bundle_ticket(session_token: str, case_id: str, expires: int) -> str:
    """Lets the browser holding this session fetch one case's bundle with a plain GET
    until `expires` (epoch seconds): a native download, streamed to disk. Derived, not
    stored, so any node can check it; useless without the session's cookie."""
    key = hashlib.sha256(b"zeromeet-bundle\x00" + session_token.encode()).digest()
    mac = hmac.new(key, f"{case_id}\x00{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


def bundle_ticket_matches(session_token: str, case_id: str, ticket: str) -> int | None:
    """The ticket's expiry if this session made it for this case; None if not."""
    expires, _, _ = ticket.partition(".")
    # ASCII only: "¹".isdigit() is true, and compare_digest refuses non-ASCII strings.
    if not ticket.isascii() or not expires.isdigit() or len(expires) > 12:
        return None
    good = bundle_ticket(session_token, case_id, int(expires))
    return int(expires) if hmac.compare_digest(good, ticket) else None


async def hash_password(password: str) -> str:
    # argon2 is deliberately slow: keep it off the event loop.
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash or _dummy_hash(), password, password_hash is not None)


def _verify(password_hash: str, password: str, real: bool) -> bool:
    try:
        ok = _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and real


@dataclass(frozen=True)
class Staff:
    """A logged-in staff member. `via_cookie` decides whether CSRF applies."""

    user_id: str
    username: str
    display_name: str
    role: Role
    session_id: str
    via_cookie: bool


@dataclass(frozen=True)
class Party:
    """An invited party, authenticated by the token of one invitation."""

    invitation_id: str
    interview_id: str
    case_id: str
    name: str
    role: PartyRole


Identity = Staff | Party
