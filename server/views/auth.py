"""Login, logout, and who am I."""

from __future__ import annotations

import asyncio

from aiohttp import web

from media.signals import Notice
from server.appkeys import LOGIN_SLOTS, ROOMS, SETTINGS
from server.auth import csrf_for, verify_password
from server.errors import Forbidden, InvalidInput, TooManyRequests, Unauthenticated
from server.identity import CSRF_COOKIE, SESSION_COOKIE, require_staff
from server.services import accounts
from server import serialize
from server.views.common import transaction
from server.views.parse import json_object, text

routes = web.RouteTableDef()
LOGIN_WAIT_S = 5.0


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    body = await json_object(request, allow_empty=False)
    username = text(body, "username", required=True, max_length=64)
    password = body.get("password")
    if not isinstance(password, str) or not password or len(password) > 1024:
        raise InvalidInput("'password' is required.", code="missing_field")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in password):
        raise InvalidInput("'password' is not valid Unicode.")
    settings = request.app[SETTINGS]
    async with transaction(request) as session:
        attempt = await accounts.begin_login(
            session, username=username, address=request.remote or "?",
            max_failures=settings.login_max_failures, window=settings.login_window,
        )
    hashed = attempt.user.password_hash if attempt.user else None
    if not await _verify(request, hashed, password) or attempt.user is None:
        raise Unauthenticated("Wrong username or password.", code="bad_credentials")
    if attempt.user.disabled_at is not None:
        async with transaction(request) as session:
            await accounts.forget_attempt(session, attempt)
        raise Forbidden(accounts.DISABLED, code="account_disabled")
    async with transaction(request) as session:
        token = await accounts.finish_login(session, attempt, settings.session_ttl)
    user = attempt.user
    csrf = csrf_for(token)
    response = web.json_response({"token": token, "csrf": csrf, "user": serialize.user(user)})
    max_age = int(settings.session_ttl.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict",
                        secure=request.secure, max_age=max_age, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="Strict",
                        secure=request.secure, max_age=max_age, path="/")
    return response


async def _verify(request: web.Request, password_hash: str | None, password: str) -> bool:
    """argon2 takes ~64 MiB and tens of ms per check: a few at a time, the rest wait
    briefly or are told to come back, so a login flood cannot starve the server."""
    slots = request.app[LOGIN_SLOTS]
    try:
        await asyncio.wait_for(slots.acquire(), LOGIN_WAIT_S)
    except TimeoutError:
        raise TooManyRequests("The server is busy with logins; try again shortly.", retry_after=5) from None
    try:
        return await verify_password(password_hash, password)
    finally:
        slots.release()


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        await accounts.logout(session, staff)
    # A session that ended takes its live interview connections with it.
    await request.app[ROOMS].expel_credential(staff.session_id, Notice({
        "type": "error", "error": "unauthenticated", "message": "You have logged out.",
    }), "logged_out")
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    return web.json_response({"user": {
        "username": staff.username, "display_name": staff.display_name, "role": staff.role.value,
    }, "time_zone": request.app[SETTINGS].time_zone})
