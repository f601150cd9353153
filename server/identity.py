"""Who is asking: a staff session (bearer or cookie) or an invited party (bearer).

Resolved lazily by the handlers that need it, so that a stale cookie never stands in
the way of public endpoints such as login.
"""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SESSIONS
from server.auth import INVITATION_PREFIX, STAFF_PREFIX, Party, Staff, csrf_matches
from server.errors import Forbidden, Unauthenticated
from server.services.accounts import resolve_session
from server.services.interviews import resolve_invitation

SESSION_COOKIE = "zm_session"
CSRF_COOKIE = "zm_csrf"
CSRF_HEADER = "X-CSRF-Token"
IDENTITY: web.RequestKey[Staff | Party | None] = web.RequestKey("identity", object)
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


async def require_staff(request: web.Request) -> Staff:
    identity = await _identity(request)
    if identity is None:
        raise Unauthenticated("Please log in.")
    if not isinstance(identity, Staff):
        raise Forbidden("An invitation link does not give access to this.", code="staff_only")
    return identity


async def require_someone(request: web.Request) -> Staff | Party:
    """Staff or an invited party; which of them may do what is the handler's business."""
    identity = await _identity(request)
    if identity is None:
        raise Unauthenticated("Please log in, or open the invitation link again.")
    return identity


async def require_party(request: web.Request) -> Party:
    identity = await _identity(request)
    if not isinstance(identity, Party):
        raise Unauthenticated("This needs the token of an invitation.", code="invitation_invalid")
    return identity


async def optional_staff(request: web.Request) -> Staff | None:
    """The staff member a request comes from, if it carries a staff credential at all
    (public endpoints that staff may also use); a party's token counts as no one."""
    identity = await _identity(request)
    return identity if isinstance(identity, Staff) else None


async def _identity(request: web.Request) -> Staff | Party | None:
    if IDENTITY not in request:
        request[IDENTITY] = await _resolve(request)
    return request[IDENTITY]


async def _resolve(request: web.Request) -> Staff | Party | None:
    token, via_cookie = _presented_token(request)
    if token is None:
        return None
    async with request.app[SESSIONS]() as session, session.begin():
        if token.startswith(INVITATION_PREFIX) and not via_cookie:
            return await resolve_invitation(session, token)
        if not token.startswith(STAFF_PREFIX):
            raise Unauthenticated("The credentials are not recognised.", code="invalid_token")
        staff = await resolve_session(session, token, via_cookie=via_cookie)
    # Bearer tokens are never sent by a browser on its own, so only cookies need CSRF.
    if via_cookie and request.method in _UNSAFE:
        if not csrf_matches(token, request.headers.get(CSRF_HEADER)):
            raise Forbidden("Missing or wrong CSRF token; reload the page.", code="csrf")
    return staff


def session_token(request: web.Request) -> str | None:
    """The staff session token this request came with (cookie or bearer), if any."""
    token, _ = _presented_token(request)
    return token if token is not None and token.startswith(STAFF_PREFIX) else None


def _presented_token(request: web.Request) -> tuple[str | None, bool]:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Use 'Authorization: Bearer <token>'.", code="invalid_token")
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)
