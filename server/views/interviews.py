"""Interviews and invitations, for staff; the invitation itself, for its party."""

from __future__ import annotations

from aiohttp import web

from media.signals import Notice
from server.appkeys import CHAT, NOTIFICATIONS, RECORDINGS, ROOMS, SETTINGS, TRANSCRIPTION
from server.db.models import PartyRole
from server.errors import InvalidInput
from server.identity import require_party, require_staff
from server.notify.phone import mobile_number
from server.services import cases, interviews, presence, recordings, records
from server import serialize
from server.views.common import transaction
from server.views.parse import choice, json_object, only, path_id, text, timestamp

routes = web.RouteTableDef()
LANGUAGES = {"zh", "en"}
PARTY_ROLES = {r.value for r in PartyRole}


@routes.post("/api/cases/{case_id}/interviews")
async def create_interview(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    body = await json_object(request)
    only(body, {"title", "language", "scheduled_for", "purpose"})
    fields = {
        "title": text(body, "title"),
        "language": choice(body, "language", LANGUAGES, default="zh"),
        "scheduled_for": timestamp(body, "scheduled_for"),
        "purpose": text(body, "purpose", max_length=500),
    }
    async with transaction(request) as session:
        interview = await interviews.create_interview(
            session, staff, path_id(request, "case_id"), **fields
        )
        return web.json_response(serialize.interview(interview), status=201)


@routes.get("/api/cases/{case_id}/interviews")
async def list_interviews(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        case = await cases.get_case(session, staff, path_id(request, "case_id"), with_interviews=True)
        return web.json_response([serialize.interview(i) for i in case.interviews])


@routes.get("/api/interviews/{interview_id}")
async def get_interview(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        connections = await presence.history(session, interview.id)
        rows = await recordings.for_interview(session, interview.id)
        health = request.app[RECORDINGS].health(interview.id)
        return web.json_response(serialize.interview_detail(interview, connections, rows, health))


@routes.post("/api/interviews/{interview_id}/end")
async def end_interview(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await interviews.end_interview(session, staff, path_id(request, "interview_id"))
        await records.queue_transcription(session, interview.id)  # durable with the end
        answer = serialize.interview(interview)
    await request.app[ROOMS].end(interview.id)
    await request.app[RECORDINGS].end_interview(interview.id)
    await request.app[CHAT].interview_ended(interview.id)  # the chat log, as evidence
    request.app[TRANSCRIPTION].wake()
    return web.json_response(answer)


@routes.post("/api/interviews/{interview_id}/reschedule")
async def reschedule_interview(request: web.Request) -> web.Response:
    """A new time (null for none) or new words for the parties, before anyone joined."""
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"scheduled_for", "purpose"})
    changes: dict[str, object] = {}
    if "scheduled_for" in body:
        changes["scheduled_for"] = timestamp(body, "scheduled_for")
    if "purpose" in body:
        changes["purpose"] = text(body, "purpose", max_length=500)
    async with transaction(request) as session:
        interview = await interviews.reschedule(session, staff, path_id(request, "interview_id"),
                                                changes=changes)
        return web.json_response(serialize.interview(interview))


@routes.post("/api/interviews/{interview_id}/cancel")
async def cancel_interview(request: web.Request) -> web.Response:
    """Call off an interview nobody joined, with a reason; its links then say so."""
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"reason"})
    reason = text(body, "reason", required=True, max_length=500)
    async with transaction(request) as session:
        interview = await interviews.cancel_interview(session, staff, path_id(request, "interview_id"),
                                                      reason)
        answer = serialize.interview(interview)
    await request.app[ROOMS].end(interview.id)  # no room has held anyone; refuse any now
    return web.json_response(answer)


@routes.post("/api/interviews/{interview_id}/invites")
async def create_invitation(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"name", "role", "phone"})
    name = text(body, "name", required=True, max_length=128)
    role = PartyRole(choice(body, "role", PARTY_ROLES, required=True))
    phone = _phone(body)
    settings = request.app[SETTINGS]
    notes = request.app[NOTIFICATIONS]
    async with transaction(request) as session:
        invitation, token = await interviews.create_invitation(
            session, staff, path_id(request, "interview_id"),
            name=name, role=role, ttl=settings.invitation_ttl, phone=phone,
        )
        url = invitation_url(request, token)
        notes.keep_link(invitation, url)
        answer = serialize.invitation(invitation)
    answer.update(url=url, token=token, notified=await notes.invited(invitation.id, url, staff))
    return web.json_response(answer, status=201)


def invitation_url(request: web.Request, token: str) -> str:
    """The link a party opens: ZEROMEET_PUBLIC_URL, else the host this request came to."""
    base = request.app[SETTINGS].public_url or f"{request.scheme}://{request.host}"
    return f"{base.rstrip('/')}/j/{token}"


def _phone(body: dict) -> str | None:
    """The party's mobile number for the messages about the invitation, or None."""
    raw = body.get("phone")
    if raw is None or raw == "":
        return None
    try:
        if not isinstance(raw, str) or len(raw) > 32:
            raise ValueError(raw)
        return mobile_number(raw)
    except ValueError:
        raise InvalidInput("'phone' must be a mainland China mobile number such as 13812345678.",
                           code="invalid_phone", field="phone") from None


@routes.get("/api/interviews/{interview_id}/invites")
async def list_invitations(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        return web.json_response([serialize.invitation(i) for i in interview.invitations])


@routes.post("/api/invites/{invitation_id}/revoke")
async def revoke_invitation(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        invitation = await interviews.revoke_invitation(
            session, staff, path_id(request, "invitation_id")
        )
        answer = serialize.invitation(invitation)
    room = request.app[ROOMS].find(invitation.interview_id)
    if room is not None:  # a withdrawn link also ends the connection it holds now
        await room.expel(invitation.id, Notice({
            "type": "error", "error": "invitation_revoked",
            "message": "This link has been withdrawn. Ask the inspector for a new one.",
        }), "revoked")
    return web.json_response(answer)


@routes.get("/api/invitation")
async def own_invitation(request: web.Request) -> web.Response:
    """What the join page shows a party: who is calling (the bureau, the inspectors, a
    number to check with), when, and what about in words meant for the parties; never
    the case's title, which is an internal note and which the employer would read too."""
    party = await require_party(request)
    settings = request.app[SETTINGS]
    async with transaction(request) as session:
        invitation, interview = await interviews.party_view(session, party)
        calling = await interviews.callers(session, interview, settings.bureau_name)
        return web.json_response({
            "name": invitation.name,
            "role": invitation.role.value,
            "expires_at": serialize.when(invitation.expires_at),
            "interview": {"id": interview.id, "state": interview.state.value,
                          "language": interview.language, "purpose": interview.purpose or None,
                          "scheduled_for": serialize.when(interview.scheduled_for),
                          "cancelled": interview.cancelled_at is not None,
                          "cancel_reason": interview.cancel_reason or None},
            "case": {"id": interview.case.id, "number": interview.case.number},
            "bureau": {"name": calling["bureau"], "phone": settings.bureau_phone},
            "time_zone": settings.time_zone,
            "inspectors": calling["inspectors"],
        })
