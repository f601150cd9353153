"""Working days: Monday to Friday, except the holidays the calendar names, plus the
make-up working days (调休) it names on weekends. Deadlines count whole working days
after the day something happened, in the bureau's time zone: a complaint received on a
Friday evening has its 5th working day on the next Friday."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from evidence.workdays import Calendar
from transcription.bureau_time import china_time

__all__ = ["Calendar", "CalendarFileError", "local_day", "parse_calendar"]

ACCEPT_DAYS = 5  # accept or refuse a complaint (受理) within 5 working days of receipt
CLOSE_DAYS = 60  # close an accepted one within 60 working days
EXTEND_DAYS = 30  # at most 30 more, with a supervisor's approval
TRANSFER_DAYS = 1  # the receiving unit takes a transfer within 1 working day


def local_day(moment: datetime) -> date:
    """The bureau's calendar day of a moment."""
    return moment.astimezone(china_time()).date()


class CalendarFileError(ValueError):
    """A calendar file line that cannot be read; the message names the line."""


KINDS = {"holiday": False, "假日": False, "休": False, "workday": True, "调休": True, "班": True}


def parse_calendar(text: str) -> dict[date, tuple[bool, str]]:
    """A calendar file: CSV lines `date,kind[,note]`, `kind` one of holiday (假日, 休) or
    workday (调休, 班); blank lines and lines starting with # are skipped."""
    out: dict[date, tuple[bool, str]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 2:
            raise CalendarFileError(f"line {number}: expected 'date,kind[,note]'")
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise CalendarFileError(f"line {number}: {row[0].strip()!r} is not a date "
                                    "(YYYY-MM-DD)") from None
        kind = row[1].strip().lower()
        if kind not in KINDS:
            raise CalendarFileError(f"line {number}: the kind must be holiday or workday, "
                                    f"not {row[1].strip()!r}")
        if day in out:
            raise CalendarFileError(f"line {number}: {day} is listed twice")
        out[day] = (KINDS[kind], ",".join(row[2:]).strip()[:128])
    return out
