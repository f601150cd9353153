"""An interview's text chat, for staff: every message kept so far, in order, with its
chain link (the console after a reload, the case page, a reviewer)."""

from __future__ import annotations

from aiohttp import web

from server.identity import require_staff
from server.services import cases
from server.services import chat as chat_service
from server.views.common import transaction
from server.views.parse import path_id

routes = web.RouteTableDef()


@routes.get("/api/interviews/{interview_id}/chat")
async def chat_messages(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        rows = await chat_service.messages(session, interview.id)
        return web.json_response([chat_service.public(row) for row in rows])
