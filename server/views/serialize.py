"""Models to JSON-ready dicts. The only place that decides field names on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.db.models import Case, Connection, Interview, Invitation, User
from server.services.interviews import invitation_state


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user(u: User) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "role": u.role.value}


def case(c: Case, *, interviews: bool = False) -> dict[str, Any]:
    out = {
        "id": c.id,
        "number": c.number,
        "title": c.title,
        "employer": c.employer,
        "description": c.description,
        "status": c.status.value,
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
        "members": [user(m.user) for m in c.members],
    }
    if interviews:
        out["interviews"] = [interview(i) for i in c.interviews]
    return out


def interview(i: Interview) -> dict[str, Any]:
    return {
        "id": i.id,
        "case_id": i.case_id,
        "title": i.title,
        "language": i.language,
        "state": i.state.value,
        "scheduled_for": when(i.scheduled_for),
        "created_at": when(i.created_at),
        "started_at": when(i.started_at),
        "ended_at": when(i.ended_at),
    }


def interview_detail(i: Interview, connections: list[Connection]) -> dict[str, Any]:
    out = interview(i)
    out["case_number"] = i.case.number
    out["participants"] = participants(i, connections)
    out["recordings"] = []
    return out


def participants(interview: Interview, connections: list[Connection]) -> list[dict[str, Any]]:
    """Every invited party and every staff member who connected, with their history."""
    people: dict[str, dict[str, Any]] = {}
    for invitation in interview.invitations:
        people[invitation.id] = {
            "id": invitation.id, "name": invitation.name, "role": invitation.role.value,
            "kind": "party", "connected": False, "since": None, "connections": [],
        }
    for row in connections:
        person = people.setdefault(row.participant_id, {
            "id": row.participant_id, "name": row.name, "role": row.role,
            "kind": "party" if row.invitation_id else "staff", "connected": False,
            "since": None, "connections": [],
        })
        person["connections"].append({
            "connected_at": when(row.connected_at), "disconnected_at": when(row.disconnected_at),
            "end_reason": row.end_reason or None,
        })
        open_now = row.disconnected_at is None
        person["connected"] = open_now
        person["since"] = when(row.connected_at if open_now else row.disconnected_at)
    return list(people.values())


def invitation(inv: Invitation) -> dict[str, Any]:
    return {
        "id": inv.id,
        "interview_id": inv.interview_id,
        "name": inv.name,
        "role": inv.role.value,
        "created_at": when(inv.created_at),
        "expires_at": when(inv.expires_at),
        "revoked_at": when(inv.revoked_at),
        "used_at": when(inv.used_at),
        "state": invitation_state(inv),
    }
