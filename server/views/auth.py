"""Login, logout, and who am I."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import SETTINGS
from server.auth import csrf_for
from server.errors import InvalidInput, Unauthenticated
from server.identity import CSRF_COOKIE, SESSION_COOKIE, require_staff
from server.services import accounts
from server.views import serialize
from server.views.common import transaction
from server.views.parse import json_object, text

routes = web.RouteTableDef()


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    body = await json_object(request, allow_empty=False)
    username = text(body, "username", required=True, max_length=64)
    password = body.get("password")
    if not isinstance(password, str) or not password or len(password) > 1024:
        raise InvalidInput("'password' is required.", code="missing_field")
    settings = request.app[SETTINGS]
    async with transaction(request) as session:
        found = await accounts.login(
            session, username=username, password=password, address=request.remote or "?",
            ttl=settings.session_ttl, max_failures=settings.login_max_failures,
            window=settings.login_window,
        )
    if found is None:
        raise Unauthenticated("Wrong username or password.", code="bad_credentials")
    user, token = found
    csrf = csrf_for(token)
    response = web.json_response({"token": token, "csrf": csrf, "user": serialize.user(user)})
    max_age = int(settings.session_ttl.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict",
                        secure=request.secure, max_age=max_age, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="Strict",
                        secure=request.secure, max_age=max_age, path="/")
    return response


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        await accounts.logout(session, staff)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    return web.json_response({"user": {
        "username": staff.username, "display_name": staff.display_name, "role": staff.role.value,
    }})
