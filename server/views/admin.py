"""Staff accounts, for administrators: the same actions as `zeromeet user …`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from server.appkeys import ROOMS, SESSIONS, SETTINGS
from server.auth import Staff
from server.db.models import Role
from server.errors import Forbidden, InvalidInput, NotFound
from server.identity import require_staff
from server.live_logins import end_ended_logins
from server.services import staff_admin
from server import serialize
from server.views.common import transaction
from server.views.parse import json_object, only

routes = web.RouteTableDef()
Change = Callable[[AsyncSession, str, str], Awaitable[object]]


async def require_admin(request: web.Request) -> Staff:
    staff = await require_staff(request)
    if staff.role is not Role.ADMIN:
        raise Forbidden("Only administrators manage staff accounts.", code="admins_only")
    return staff


def _limits(request: web.Request) -> staff_admin.Limits:
    settings = request.app[SETTINGS]
    return staff_admin.Limits(settings.login_max_failures, settings.login_window)


def _username(request: web.Request) -> str:
    username = request.match_info["username"]
    if len(username) > 64:
        raise NotFound("There is no such account.", code="unknown_user")
    return username


@routes.get("/api/admin/users")
async def list_users(request: web.Request) -> web.Response:
    await require_admin(request)
    async with transaction(request) as session:
        accounts = await staff_admin.list_accounts(session, _limits(request))
    return web.json_response([serialize.account(a) for a in accounts])


async def _change(request: web.Request, change: Change) -> web.Response:
    """Apply one change, then end the live connections of logins it ended."""
    admin = await require_admin(request)
    username = _username(request)
    async with transaction(request) as session:
        await change(session, username, admin.username)
    await end_ended_logins(request.app[ROOMS], request.app[SESSIONS])
    async with transaction(request) as session:
        account = await staff_admin.get_account(session, username, _limits(request))
    return web.json_response(serialize.account(account))


@routes.post("/api/admin/users/{username}/disable")
async def disable(request: web.Request) -> web.Response:
    return await _change(request, lambda s, u, by: staff_admin.disable(s, u, actor=by))


@routes.post("/api/admin/users/{username}/enable")
async def enable(request: web.Request) -> web.Response:
    return await _change(request, lambda s, u, by: staff_admin.enable(s, u, actor=by))


@routes.post("/api/admin/users/{username}/unlock")
async def unlock(request: web.Request) -> web.Response:
    return await _change(request, lambda s, u, by: staff_admin.unlock(s, u, actor=by))


@routes.post("/api/admin/users/{username}/password")
async def reset_password(request: web.Request) -> web.Response:
    await require_admin(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"password"})
    password = body.get("password")
    if not isinstance(password, str) or not password or len(password) > 1024:
        raise InvalidInput("'password' is required (at most 1024 characters).", code="missing_field")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in password):
        raise InvalidInput("'password' is not valid Unicode.")
    hashed = await staff_admin.new_password_hash(password)
    return await _change(request, lambda s, u, by: staff_admin.reset_password(s, u, hashed, actor=by))


@routes.post("/api/admin/users/{username}/badge")
async def set_badge(request: web.Request) -> web.Response:
    """The account's enforcement certificate number (执法证号); "" removes it."""
    await require_admin(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"badge_number"})
    badge = body.get("badge_number")
    if not isinstance(badge, str):
        raise InvalidInput("'badge_number' is required (\"\" removes it).", code="missing_field")
    return await _change(request, lambda s, u, by: staff_admin.set_badge(s, u, badge, actor=by))
