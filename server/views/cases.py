"""Cases and who has them."""

from __future__ import annotations

from aiohttp import web

from server.db.models import CaseStatus
from server.errors import InvalidInput
from server.identity import require_staff
from server.services import cases
from server import serialize
from server.views.common import transaction
from server.views.parse import choice, json_object, only, path_id, text

routes = web.RouteTableDef()
_STATUSES = {s.value for s in CaseStatus}


@routes.post("/api/cases")
async def create_case(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"title", "employer", "description"})
    fields = {
        "title": text(body, "title", required=True),
        "employer": text(body, "employer"),
        "description": text(body, "description", max_length=10_000),
    }
    async with transaction(request) as session:
        case = await cases.create_case(session, staff, **fields)
        return web.json_response(serialize.case(case, interviews=False), status=201)


@routes.get("/api/cases")
async def list_cases(request: web.Request) -> web.Response:
    """The caller's cases, most recently active first; ?q= words in the number, title or
    employer, ?status=, ?member=USERNAME, ?awaiting_signature=1."""
    staff = await require_staff(request)
    query = request.query
    status = query.get("status") or None
    if status is not None and status not in _STATUSES:
        raise InvalidInput(f"'status' must be one of {', '.join(sorted(_STATUSES))}.")
    narrowed = cases.CaseFilter(words=query.get("q", "").strip()[:100],
                                status=CaseStatus(status) if status else None,
                                member=query.get("member", "").strip()[:64],
                                awaiting_signature=query.get("awaiting_signature") in ("1", "true"))
    async with transaction(request) as session:
        found = await cases.list_cases(session, staff, narrowed)
        return web.json_response([{**serialize.case(c), "last_activity_at": serialize.when(at)}
                                  for c, at in found])


@routes.get("/api/cases/{case_id}")
async def get_case(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        case = await cases.get_case(session, staff, path_id(request, "case_id"), with_interviews=True)
        return web.json_response(serialize.case(case, interviews=True))


@routes.patch("/api/cases/{case_id}")
async def update_case(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"title", "employer", "description", "status"})
    changes: dict[str, str] = {}
    if "title" in body:
        changes["title"] = text(body, "title", required=True)
    for name, limit in (("employer", 200), ("description", 10_000)):
        if name in body:
            changes[name] = text(body, name, max_length=limit)
    if "status" in body:
        changes["status"] = choice(body, "status", _STATUSES, required=True)
    if not changes:
        raise InvalidInput("Nothing to change.", code="missing_field")
    async with transaction(request) as session:
        case = await cases.update_case(session, staff, path_id(request, "case_id"), changes)
        return web.json_response(serialize.case(case, interviews=True))


@routes.post("/api/cases/{case_id}/members")
async def grant_access(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"username"})
    username = text(body, "username", required=True, max_length=64)
    async with transaction(request) as session:
        user = await cases.grant_access(session, staff, path_id(request, "case_id"), username)
        return web.json_response(serialize.user(user), status=201)
