"""Working days, as a complaint's deadlines count them: Monday to Friday, except the
holidays a calendar names, plus the make-up working days (调休) it names on weekends.
Here, apart from the server, so that `zeromeet verify` can count them offline from the
calendar a bundle carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

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
