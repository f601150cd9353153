"""Working days: Monday to Friday, except the holidays the calendar names, plus the
make-up working days (调休) it names on weekends. Deadlines count whole working days
after the day something happened, in the bureau's time zone: a complaint received on a
Friday evening has its 5th working day on the next Friday."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from transcription.record import china_time

ACCEPT_DAYS = 5  # accept or refuse a complaint (受理) within 5 working days of receipt
CLOSE_DAYS = 60  # close an accepted one within 60 working days
EXTEND_DAYS = 30  # at most 30 more, with a supervisor's approval
TRANSFER_DAYS = 1  # the receiving unit takes a transfer within 1 working day
MAX_SPAN = 800  # calendar days searched for a due date: far beyond any deadline here


@dataclass(frozen=True)
class Calendar:
    """The days that break the week's rule: {day: working?}."""

    exceptions: Mapping[date, bool]

    def working(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (not counting `start` itself)."""
        day, left = start, days
        for _ in range(MAX_SPAN):
            if left <= 0:
                return day
            day += timedelta(days=1)
            if self.working(day):
                left -= 1
        raise ValueError(f"no {days} working days within {MAX_SPAN} days of {start}")

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if `end` ≤ `start`)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.working(day)
        return count


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
