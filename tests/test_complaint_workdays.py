"""Working days for complaint deadlines: weekends, holidays, make-up working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.complaints.workdays import Calendar, CalendarFileError, local_day, parse_calendar

# 2026: National Day week off 1–7 October (Thu–Wed), with Saturday 10 October worked.
NATIONAL_DAY = parse_calendar("""# 2026 国庆
2026-10-01,holiday,国庆节
2026-10-02,holiday
2026-10-05,holiday
2026-10-06,holiday
2026-10-07,holiday
2026-10-10,workday,调休
""")


def test_five_working_days_skip_a_weekend() -> None:
    assert Calendar({}).add(date(2026, 11, 27), 5) == date(2026, 12, 4)  # Friday to Friday
    assert Calendar({}).add(date(2026, 11, 28), 5) == date(2026, 12, 4)  # received on a Saturday


def test_holidays_are_skipped_and_a_make_up_saturday_counts() -> None:
    cal = Calendar({d: working for d, (working, _) in NATIONAL_DAY.items()})
    # Received Wednesday 30 September: 8, 9 (Thu, Fri), 10 (make-up Saturday), 12, 13.
    assert cal.add(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert cal.between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert not cal.working(date(2026, 10, 1)) and cal.working(date(2026, 10, 10))


def test_sixty_working_days_and_the_bureaus_day() -> None:
    assert Calendar({}).add(date(2026, 12, 1), 60) == date(2027, 2, 23)
    # 17:00 UTC on the 1st is already the 2nd in Jinan.
    assert local_day(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == date(2026, 12, 2)


@pytest.mark.parametrize(("text", "message"), [
    ("2026-10-01", "line 1: expected"),
    ("2026-13-01,holiday", "is not a date"),
    ("2026-10-01,vacation", "must be holiday or workday"),
    ("2026-10-01,holiday\n2026-10-01,workday", "listed twice"),
])
def test_a_bad_calendar_line_is_named(text: str, message: str) -> None:
    with pytest.raises(CalendarFileError, match=message):
        parse_calendar(text)
