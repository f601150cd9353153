"""The signalling socket's messages for what the live path says (`media.signals`): the one
place their JSON is written. The pages and CONTRACT.md read exactly these fields."""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from media.signals import (
    Attendee,
    Ended,
    Muted,
    Notice,
    Offer,
    Presence,
    Replaced,
    Roster,
    Signal,
    TrackMap,
)


@singledispatch
def message(signal: Signal) -> dict[str, Any]:
    raise TypeError(f"no wire message for {type(signal).__name__}")


@message.register
def _offer(signal: Offer) -> dict[str, Any]:
    return {"type": "offer", "sdp": signal.sdp}


@message.register
def _tracks(signal: TrackMap) -> dict[str, Any]:
    return {"type": "tracks", "tracks": [
        {"mid": place.mid, "participant": place.participant, "kind": place.kind}
        for place in signal.places]}


@message.register
def _roster(signal: Roster) -> dict[str, Any]:
    return {"type": "participants", "participants": attendees(signal)}


@message.register
def _presence(signal: Presence) -> dict[str, Any]:
    return {"type": "event", "event": signal.event, "participant": signal.participant,
            "name": signal.name, "role": signal.role, "reason": signal.reason or None,
            "at": signal.at.isoformat()}


@message.register
def _muted(signal: Muted) -> dict[str, Any]:
    return {"type": "muted", "muted": signal.muted}


@message.register
def _replaced(signal: Replaced) -> dict[str, Any]:
    return {"type": "replaced"}


@message.register
def _ended(signal: Ended) -> dict[str, Any]:
    return {"type": "ended"}


@message.register
def _notice(signal: Notice) -> dict[str, Any]:
    return dict(signal.message)


def attendees(roster: Roster) -> list[dict[str, Any]]:
    return [_attendee(a) for a in roster.attendees]


def _attendee(attendee: Attendee) -> dict[str, Any]:
    return {"id": attendee.id, "name": attendee.name, "role": attendee.role,
            "kind": attendee.kind, "connected": True,
            "since": attendee.since.isoformat() if attendee.since else None,
            "muted": attendee.muted}
