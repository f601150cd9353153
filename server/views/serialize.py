"""Models to JSON-ready dicts. The only place that decides field names on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.db.models import Case, Interview, Invitation, User
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


def interview_detail(i: Interview) -> dict[str, Any]:
    out = interview(i)
    out["case_number"] = i.case.number
    # Live connection state arrives with the rooms; until then a participant is an
    # invited party who has not connected.
    out["participants"] = [
        {"invitation_id": inv.id, "name": inv.name, "role": inv.role.value,
         "connected": False, "since": None}
        for inv in i.invitations if invitation_state(inv) == "active"
    ]
    out["recordings"] = []
    return out


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
