"""The interview WebSocket: authenticate, join the room, relay negotiation (docs/signalling.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from media.errors import NegotiationError, RoomClosed, RoomFull
from media.peer import Participant, Peer
from media.room import Room
from media.rooms import Rooms
from media.signals import Signal
from server import ice, wire
from server.appkeys import CHAT, ROOMS, SETTINGS
from server.chat import ChatLogs
from server.auth import INVITATION_PREFIX, STAFF_PREFIX, Party, Staff
from server.db.models import Interview, InterviewState, Role
from server.errors import ServerError
from server.identity import SESSION_COOKIE
from server.services import presence
from server.services.accounts import resolve_session
from server.services.cases import interview_case
from server.services.chat import ChatRefused
from server.services.interviews import resolve_invitation
from server.views.common import transaction
from server.views.parse import path_id

log = logging.getLogger("zeromeet.signalling")
routes = web.RouteTableDef()

HELLO_TIMEOUT = 10.0
OFFER_TIMEOUT = 30.0
# Seats: connections that send media, inspectors and parties together; each costs the
# server a decode and encodes. Parties never take the last STAFF_SEATS: an inquiry needs
# its inspectors (two, as a rule), however many parties are on the line.
MAX_PEERS = 8
STAFF_SEATS = 2
MAX_MESSAGE = 64 * 1024
RATE_WINDOW, RATE_MAX = 10.0, 50
FATAL = {"unauthenticated", "account_disabled", "invitation_invalid", "invitation_expired",
         "invitation_revoked", "not_found", "interview_ended", "bad_origin", "hello_timeout", "forbidden", "rate_limited",
         "room_full", "offer_timeout"}

# 401s whose code tells the client more than "log in": kept in the refusal.
_OWN_CODES = {"invitation_invalid", "account_disabled"}


class Refused(Exception):
    """A refusal: an `error` message; `fatal` ones close the connection (the client may
    reconnect unless the code says there is no point)."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.fatal = code, message, fatal


@dataclass(frozen=True)
class Admission:
    participant: Participant
    title: str


@routes.get("/api/interviews/{interview_id}/ws")
async def interview_socket(request: web.Request) -> web.WebSocketResponse:
    interview_id = path_id(request, "interview_id")
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=4 * MAX_MESSAGE)
    await ws.prepare(request)
    try:
        admission = await _hello(request, ws, interview_id)
        rooms = request.app[ROOMS]
        room = rooms.find(interview_id)
        participant = admission.participant
        if room is not None and not room.seat_free(participant.id, participant.kind,
                                                   seats=MAX_PEERS, staff_seats=STAFF_SEATS):
            raise Refused("room_full", "This interview already has as many participants as it may.")
    except Refused as refused:
        await _refuse(ws, refused)
        return ws
    await _serve(request, ws, interview_id, admission)
    return ws


async def _serve(request: web.Request, ws: web.WebSocketResponse, interview_id: str,
                 admission: Admission) -> None:
    settings, rooms = request.app[SETTINGS], request.app[ROOMS]
    participant = admission.participant
    async def send(signal: Signal) -> None:
        await ws.send_json(wire.message(signal))

    peer = Peer(participant, send=send, ice_servers=ice.for_server(settings.ice),
                transcode=settings.forwarding == "transcode")
    async with transaction(request) as session:
        connection_id = await presence.open_connection(
            session, interview_id=interview_id, participant_id=participant.id, kind=participant.kind,
            name=participant.name, role=participant.role, node=settings.node_name,
            address=request.remote or "",
        )
    reason, room, watcher, deadline = "network", None, None, None
    try:
        existing = rooms.find(interview_id)
        await ws.send_json({
            "type": "welcome", "you": participant.id,
            "ice_servers": ice.for_browser(settings.ice, participant.id),
            "participants": wire.attendees(existing.roster()) if existing else [],
            "interview": {"id": interview_id, "state": "live", "title": admission.title},
        })
        room = rooms.get(interview_id)
        await room.join(peer)  # no await between get() and join()
        await request.app[CHAT].history(interview_id, participant.id, participant.kind, ws.send_json)
        watcher = asyncio.create_task(_close_when_done(peer, ws))
        deadline = asyncio.get_running_loop().call_later(OFFER_TIMEOUT, _offer_overdue, peer, ws, rooms)
        reason = await _loop(ws, room, peer, request.app[CHAT])
    except RoomClosed:
        await _refuse(ws, Refused("interview_ended", "This interview has ended."))
        reason = "ended"
    except (ConnectionError, RuntimeError):
        reason = "network"  # the socket went away while we were talking
    finally:
        if watcher is not None:
            watcher.cancel()
        if deadline is not None:
            deadline.cancel()
        # aiohttp cancels a handler whose client vanished: the leaving must still happen,
        # so it runs as its own task, kept by the rooms until it is done.
        leaving = asyncio.ensure_future(_leave(request, room, peer, connection_id, reason))
        rooms.keep(leaving)
        await asyncio.shield(leaving)
        await ws.close()


async def _leave(request: web.Request, room: Room | None, peer: Peer, connection_id: str,
                 reason: str) -> None:
    try:
        if room is not None:
            await room.leave(peer, reason)
            request.app[ROOMS].forget_if_empty(room.interview_id)
        await peer.close()
    finally:
        async with transaction(request) as session:
            await presence.close_connection(session, connection_id, peer.end_reason or reason)


async def _close_when_done(peer: Peer, ws: web.WebSocketResponse) -> None:
    await peer.done.wait()
    await ws.close()


def _offer_overdue(peer: Peer, ws: web.WebSocketResponse, rooms: Rooms) -> None:
    # A connection that never sends its media holds a room seat for nothing.
    if not peer.ready and not ws.closed:
        peer.end_reason = "offer_timeout"
        rooms.keep(asyncio.ensure_future(_refuse(ws, Refused("offer_timeout", "No offer came; reconnect."))))


async def _loop(ws: web.WebSocketResponse, room: Room, peer: Peer, chat: ChatLogs) -> str:
    """Handle messages until the socket closes; returns why the participant left."""
    recent: deque[float] = deque()
    async for message in ws:
        if message.type == WSMsgType.ERROR:
            return "network"
        now = time.monotonic()
        recent.append(now)
        while recent and recent[0] < now - RATE_WINDOW:
            recent.popleft()
        if len(recent) > RATE_MAX:
            await _refuse(ws, Refused("rate_limited", "Too many messages; reconnect more slowly."))
            return "rate_limited"
        if message.type != WSMsgType.TEXT:
            await _error(ws, "bad_message", "Send JSON text messages.")
            continue
        if len(message.data) > MAX_MESSAGE:
            await _error(ws, "too_large", "That message is too large.")
            continue
        try:
            await _handle(ws, room, peer, _parse(message.data), chat)
        except Refused as refused:
            if refused.fatal:
                await _refuse(ws, refused)
                return refused.code
            await _error(ws, refused.code, refused.message)
        except NegotiationError as exc:
            await _error(ws, "bad_sdp", str(exc))
    return "left"


def _parse(data: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        raise Refused("bad_message", "That message is not JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise Refused("bad_message", "A message is a JSON object with a 'type'.")
    return body


async def _handle(ws: web.WebSocketResponse, room: Room, peer: Peer, body: dict[str, Any],
                  chat: ChatLogs) -> None:
    kind = body["type"]
    if kind == "offer":
        answer = await _accept_offer(room, peer, body.get("sdp"))
        await ws.send_json({"type": "answer", "sdp": answer})
        await room.ready(peer)
    elif kind == "answer":
        if not peer.awaiting_answer:
            raise Refused("bad_sdp", "No offer of ours is waiting for an answer.")
        try:
            await peer.accept_answer(body.get("sdp"))
        except NegotiationError as exc:
            # Our offer stays unanswered for good: start over on a new connection.
            raise Refused("bad_sdp", str(exc), fatal=True) from None
    elif kind == "mute":
        if peer.participant.kind != "staff":
            raise Refused("forbidden", "Only an inspector can mute a participant.")
        target, muted = body.get("participant"), body.get("muted")
        if not isinstance(target, str) or not isinstance(muted, bool):
            raise Refused("bad_message", "mute needs 'participant' (an id) and 'muted' (true/false).")
        await room.set_muted(target, muted)
    elif kind == "chat":
        try:
            await chat.post(room, peer, body.get("text"))
        except ChatRefused as refused:
            raise Refused(refused.code, refused.message, fatal=refused.fatal) from None
    elif kind == "ping":
        await ws.send_json({"type": "pong"})
    else:
        raise Refused("unknown_type", f"Unknown message type {kind[:40]!r}.")


async def _accept_offer(room: Room, peer: Peer, sdp: object) -> str:
    """The participant's offer → our answer; it takes a seat first (a second offer is
    refused by the peer and leaves the seat alone)."""
    first = not peer.ready
    if first:
        try:
            room.take_seat(peer, seats=MAX_PEERS, staff_seats=STAFF_SEATS)
        except RoomFull as full:
            raise Refused("room_full", str(full), fatal=True) from None
    try:
        return await peer.accept_offer(sdp)
    except NegotiationError:
        if first:
            room.free_seat(peer)
        raise


async def _hello(request: web.Request, ws: web.WebSocketResponse, interview_id: str) -> Admission:
    try:
        message = await ws.receive(timeout=HELLO_TIMEOUT)
    except TimeoutError:
        raise Refused("hello_timeout", "Send hello first.") from None
    if message.type != WSMsgType.TEXT or len(message.data) > MAX_MESSAGE:
        raise Refused("unauthenticated", "Send hello first.")
    body = _parse(message.data)
    if body["type"] != "hello":
        raise Refused("unauthenticated", "Send hello first.")
    token = body.get("token")
    try:
        async with transaction(request) as session:
            if isinstance(token, str) and token.startswith(INVITATION_PREFIX):
                return await _party(session, await resolve_invitation(session, token), interview_id)
            if isinstance(token, str) and token.startswith(STAFF_PREFIX):
                staff = await resolve_session(session, token, via_cookie=False)
            elif token is None and request.cookies.get(SESSION_COOKIE):
                _check_origin(request)
                staff = await resolve_session(session, request.cookies[SESSION_COOKIE], via_cookie=True)
            else:
                raise Refused("unauthenticated", "Log in, or open the link you were sent.")
            return await _staff(session, staff, interview_id)
    except ServerError as exc:
        code = ("unauthenticated" if exc.status == 401 and exc.code not in _OWN_CODES
                else exc.code)
        raise Refused(code, exc.message) from None


async def _party(session: Any, party: Party, interview_id: str) -> Admission:
    if party.interview_id != interview_id:
        raise Refused("not_found", "This link is for another interview.")
    interview = await session.get(Interview, interview_id)
    if interview.state is InterviewState.ENDED:
        raise Refused("interview_ended", "This interview has ended.")
    participant = Participant(id=party.invitation_id, name=party.name, role=party.role.value,
                              kind="party", credential=party.invitation_id)
    return Admission(participant, interview.title)


async def _staff(session: Any, staff: Staff, interview_id: str) -> Admission:
    interview = await interview_case(session, staff, interview_id)
    if staff.role is not Role.INSPECTOR:
        raise Refused("forbidden", "Only inspectors take part in interviews.")
    if interview.state is InterviewState.ENDED:
        raise Refused("interview_ended", "This interview has ended.")
    participant = Participant(id=staff.user_id, name=staff.display_name, role="inspector",
                              kind="staff", credential=staff.session_id)
    return Admission(participant, interview.title)


def _check_origin(request: web.Request) -> None:
    """A cookie rides along on any site's WebSocket: only our own pages may use it."""
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser
        return
    allowed = {request.host}
    public_url = request.app[SETTINGS].public_url
    if public_url:
        allowed.add(urlsplit(public_url).netloc)
    if urlsplit(origin).netloc not in allowed:
        raise Refused("bad_origin", "This page may not use your login.")


async def _error(ws: web.WebSocketResponse, code: str, message: str) -> None:
    if not ws.closed:
        await ws.send_json({"type": "error", "error": code, "message": message})


async def _refuse(ws: web.WebSocketResponse, refused: Refused) -> None:
    log.info("signalling refused", extra={"code": refused.code})
    await _error(ws, refused.code, refused.message)
    await ws.close(code=4000 if refused.code in FATAL else 1000)
