"""Checking a complaint's log offline, as a bundle carries it (see `server.bundle`): the
log's own hash chain and signed checkpoints, that it is the log the export's signed event pinned, that the
case's log was linked to it at acceptance, and on which working day it was accepted,
counted again on the calendar the bundle carries."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evidence import custody
from evidence.discrepancy import Discrepancy, Kind
from evidence.workdays import Calendar

MAX_DAYS = 3660  # a complaint decided ten years after it arrived is not counted


def read_calendar(document: dict[str, Any]) -> tuple[Calendar, tzinfo]:
    """The calendar and time zone of a bundle's calendar file; ValueError names what is wrong."""
    days = document.get("days")
    if not isinstance(days, dict) or not all(isinstance(v, bool) for v in days.values()):
        raise ValueError('"days" is not an object of date: working (true or false)')
    try:
        exceptions = {date.fromisoformat(str(k)): v for k, v in days.items()}
    except ValueError:
        raise ValueError('"days" names something that is not a date (YYYY-MM-DD)') from None
    name = document.get("time_zone")
    try:
        zone: tzinfo = ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        if name != "Asia/Shanghai":
            raise ValueError(f'"time_zone" {name!r} is not a time zone this check knows') from None
        zone = timezone(timedelta(hours=8), "CST")  # no tz database here
    return Calendar(exceptions), zone


def check(complaint_id: str, events: list[Any], *, points: list[dict[str, Any]], key: Any,
          pinned: dict[str, Any] | None, linked: dict[str, Any] | None,
          calendar: tuple[Calendar, tzinfo] | None) -> tuple[list[Discrepancy], str]:
    """Problems with one complaint's log (its chain, its own signed checkpoints, the pin
    of the export event, the link made at acceptance), and a line saying what it proves
    ('' if nothing)."""
    problems = custody.check_log(complaint_id, events, points, key)
    last = max((p["seq"] for p in points if custody.is_seq(p.get("seq"))), default=0)
    if len(events) > last:
        problems.append(Discrepancy(Kind.UNSEALED, "", f"events {last + 1}–{len(events)} come after "
                                                       "its last signed checkpoint"))
    hashes = [e.get("hash") if isinstance(e, dict) else None for e in events]
    if pinned is None:
        problems.append(Discrepancy(Kind.UNSEALED, "", "the export event does not name this log's head, "
                                                       "so no signature covers it"))
    elif pinned.get("seq") != len(events) or pinned.get("head") != (hashes[-1] if hashes else None):
        problems.append(Discrepancy(Kind.CHAIN, "", f"not the log the export pinned (it named "
                                    f"{pinned.get('seq')} events ending {str(pinned.get('head'))[:16]}…; "
                                    f"the bundle has {len(events)})"))
    if linked is not None:
        seq = linked.get("log_seq")
        if not custody.is_seq(seq) or seq > len(events) or hashes[seq - 1] != linked.get("log_head"):
            problems.append(Discrepancy(Kind.CHAIN, "", f"event {seq} is not the one the case's log "
                                                        "was linked to at acceptance"))
    if problems:
        return problems, ""
    return problems, _accepted_on(events, calendar)


def _accepted_on(events: list[dict[str, Any]], calendar: tuple[Calendar, tzinfo] | None) -> str:
    received = next((e for e in events if e.get("action") == "complaint_received"), None)
    accepted = next((e for e in events if e.get("action") == "complaint_accepted"), None)
    if received is None or accepted is None or calendar is None:
        return ""
    cal, zone = calendar
    try:
        first = datetime.fromisoformat(str(received["at"])).astimezone(zone).date()
        then = datetime.fromisoformat(str(accepted["at"])).astimezone(zone).date()
    except ValueError:
        return ""
    if not 0 <= (then - first).days <= MAX_DAYS:
        return ""
    day = cal.between(first, then)
    limits = [e["detail"] for e in events if e.get("action") == "deadline_set"
              and isinstance(e.get("detail"), dict) and e["detail"].get("kind") == "accept"
              and str(e.get("at")) <= str(accepted["at"])]
    stated = (accepted.get("detail") or {}).get("working_day")
    line = f"received {first}, accepted {then}: working day {day}"
    if limits:
        limit = limits[-1]
        line += f" (due by {limit.get('due')}, {limit.get('working_days')} working days from {limit.get('counted_from')})"
    if stated is not None and stated != day:
        line += f"; the log says working day {stated}, which this calendar does not give"
    return line
