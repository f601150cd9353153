"""Live captions of an interview, for staff: what live listening heard so far in this
process, or, once that is gone (a restart, another node), the machine draft's turns."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.appkeys import LIVE
from server.errors import NotFound
from server.identity import require_staff
from server.services import cases, records
from server.views.common import transaction
from server.views.parse import path_id

routes = web.RouteTableDef()


@routes.get("/api/interviews/{interview_id}/captions")
async def captions(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        live = request.app[LIVE]
        heard = live.captions(interview.id) if live is not None else None
        if heard is None:
            try:
                draft = records.content_of(await records.version_row(session, interview.id, 1))
            except NotFound:
                draft = {"turns": []}
            heard = [_from_turn(turn) for turn in draft["turns"]]
    return web.json_response(heard)


def _from_turn(turn: dict[str, Any]) -> dict[str, Any]:
    return {"participant": turn.get("participant_id"), "speaker": turn["speaker"],
            "role": turn["role"], "start": turn["start"], "end": turn["end"],
            "text": turn["text"]}
