"""Models to the JSON-ready dicts the API answers with and the bundle's index lists."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from server.db.models import (
    Case, Connection, EvidenceItem, Interview, Invitation, Recording, Segment, User,
)
from server.notify.phone import masked
from server.services.interviews import invitation_state
from server.services.recordings import manifest_entry
from server.services.staff_admin import Account


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user(u: User) -> dict[str, Any]:
    return {"username": u.username, "display_name": u.display_name, "role": u.role.value}


def account(a: Account) -> dict[str, Any]:
    return {"username": a.username, "display_name": a.display_name, "role": a.role.value,
            "state": a.state, "disabled_at": when(a.disabled_at),
            "last_login_at": when(a.last_login_at), "failed_logins": a.failures,
            "badge_number": a.badge_number}


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
        "purpose": i.purpose,
        "created_at": when(i.created_at),
        "started_at": when(i.started_at),
        "ended_at": when(i.ended_at),
        "cancelled_at": when(i.cancelled_at),
        "cancel_reason": i.cancel_reason or None,
    }


def interview_detail(i: Interview, connections: list[Connection], rows: list[Recording],
                     health: list[dict[str, Any]]) -> dict[str, Any]:
    """With recordings: stored ones from the database, with this process's live health;
    a live one that has stored nothing yet appears from its health alone."""
    out = interview(i)
    out["case_number"] = i.case.number
    out["participants"] = participants(i, connections)
    live = {h["id"]: h for h in health}
    out["recordings"] = [recording(r, i, live.pop(r.id, None)) for r in rows]
    names = {p["id"]: p for p in out["participants"]}
    for h in live.values():
        person = names.get(h["participant"], {})
        out["recordings"].append({
            "id": h["id"], "participant": {"id": h["participant"], "name": person.get("name"),
                                           "role": person.get("role")},
            "kind": h["kind"], "codec": None, "state": h["state"], "segments": 0,
            "duration": 0.0, "bytes": 0, "head": None, "start": None, "end": None,
            "health": h,
        })
    return out


def _clock(ms: int | None, i: Interview) -> float | None:
    """Epoch milliseconds as seconds on the interview clock (0 = the interview went live)."""
    if ms is None or i.started_at is None:
        return None
    return round(ms / 1000 - i.started_at.timestamp(), 3)


def recording(r: Recording, i: Interview, health: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": r.id,
        "participant": {"id": r.participant_id, "name": r.participant_name,
                        "role": r.participant_role, "kind": r.participant_kind},
        "kind": r.kind,
        "codec": r.codec,
        "state": r.state.value,
        "segments": r.segment_count,
        "duration": round(r.duration, 3),
        "bytes": r.media_bytes,
        "head": r.head or None,
        "start": _clock(r.first_ms, i),
        "end": _clock(r.last_ms, i),
        "started_at": when(r.started_at),
        "sealed_at": when(r.sealed_at),
        "interrupted_at": when(r.interrupted_at),
        "manifest": {"key": r.manifest_key, "sha256": r.manifest_sha256, "size": r.manifest_size}
        if r.manifest_key else None,
        "seal": {"signature": r.seal_signature, "sealed_at_us": r.seal_sealed_at_us}
        if r.seal_signature else None,
        "health": health,
    }


def segment(s: Segment, i: Interview) -> dict[str, Any]:
    out = manifest_entry(s)
    out.update(start=_clock(s.start_ms, i), end=_clock(s.end_ms, i), stored_at=when(s.stored_at))
    return out


SPAN_BREAK_MS = 1000


def spans(rows: list[Segment], i: Interview) -> list[dict[str, Any]]:
    """Runs of segments that play without a break; gaps lie between them."""
    out: list[dict[str, Any]] = []
    previous: Segment | None = None
    for s in rows:
        if previous is None or s.gap or s.start_ms - previous.end_ms > SPAN_BREAK_MS:
            out.append({"from": s.seq, "to": s.seq, "start": _clock(s.start_ms, i),
                        "end": _clock(s.end_ms, i), "start_ms": s.start_ms})
        else:
            out[-1].update(to=s.seq, end=_clock(s.end_ms, i))
        previous = s
    return out


def evidence_item(e: EvidenceItem) -> dict[str, Any]:
    return {
        "id": e.id, "kind": e.kind, "sha256": e.sha256, "size": e.size,
        "created_at": when(e.created_at), "case_id": e.case_id, "interview_id": e.interview_id,
        "recording_id": e.recording_id, "object_key": e.object_key,
        "content_type": e.content_type, "observed": json.loads(e.observed),
        "claimed": json.loads(e.claimed), "derived_from": e.derived_from,
    }


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
        "phone_masked": masked(inv.phone) if inv.phone else None,  # never the whole number
    }
