"""The bureau's time: its zone (China time unless a record names another) and how a time
is written for a Chinese reader (2026年11月23日 17时00分) or an English one. Pure
functions: the record's text, its PDF, notifications and the complaint deadlines all
write times through here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"


def china_time() -> timezone | ZoneInfo:
    """Asia/Shanghai; without a tz database, its fixed UTC+8 (no DST since 1991)."""
    return zone(DEFAULT_ZONE)


def zone(name: str | None) -> timezone | ZoneInfo:
    """The named time zone (a record from before zones were named: Asia/Shanghai). Asia/
    Shanghai without a tz database is its fixed UTC+8."""
    name = name or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_ZONE:
            return timezone(timedelta(hours=8), "CST")
        raise


def known_zone(name: str) -> bool:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def format_time(iso: str, language: str, *, date: bool = True, time_zone: str | None = None) -> str:
    """An ISO time as a Chinese reader expects it: 2026年11月23日 17时00分, in the record's
    time zone (China time unless it names another). Anything but English is Chinese."""
    local = datetime.fromisoformat(iso).astimezone(zone(time_zone))
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M" if date else "%H:%M")
    clock = f"{local.hour:02d}时{local.minute:02d}分"
    return f"{local.year}年{local.month}月{local.day}日 {clock}" if date else clock


def time_span(header: dict[str, Any], language: str) -> str:
    """Start to end; the end without its date when the interview ends the same day."""
    start, end = header["started_at"], header["ended_at"]
    name = header.get("time_zone")
    tz = zone(name)
    same_day = (datetime.fromisoformat(start).astimezone(tz).date()
                == datetime.fromisoformat(end).astimezone(tz).date())
    first = format_time(start, language, time_zone=name)
    last = format_time(end, language, date=not same_day, time_zone=name)
    if language == "en":
        if (name or DEFAULT_ZONE) == DEFAULT_ZONE:
            return f"{first} – {last} (China time, UTC+8)"
        return f"{first} – {last} ({name})"
    if (name or DEFAULT_ZONE) == DEFAULT_ZONE:
        return f"{first}至{last}"
    return f"{first}至{last}（{name}时间）"
