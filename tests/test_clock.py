"""The interview clock: a wall clock that jumps moves no timestamp at once (a CI machine's
clock stepped 20 s during a run, and every interview after it placed its parties' audio
20 s before the interview had started, so their drafts came out empty)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from media import clock
from media.clock import SLEW_PPM, InterviewClock
from server.db import types

SECOND = 1_000_000_000  # ns


class Machine:
    """A wall clock and a monotonic clock that the test moves by hand."""

    def __init__(self) -> None:
        self.wall = 1_800_000_000 * SECOND
        self.monotonic = 5 * SECOND

    def run(self, seconds: float) -> None:
        self.wall += int(seconds * SECOND)
        self.monotonic += int(seconds * SECOND)

    def clock(self) -> InterviewClock:
        return InterviewClock(wall=lambda: self.wall, monotonic=lambda: self.monotonic)


def test_it_reads_the_wall_clock_while_the_wall_clock_runs_steadily() -> None:
    machine = Machine()
    c = machine.clock()
    for _ in range(100):
        machine.run(0.37)
        assert c.now_us() == machine.wall // 1000


def test_a_wall_clock_that_jumps_ahead_is_followed_slowly_and_never_at_once() -> None:
    machine = Machine()
    c = machine.clock()
    machine.run(1)
    before = c.now_us()
    machine.wall += 20 * SECOND  # NTP steps the clock; a VM resumes
    machine.run(0.02)
    assert c.now_us() - before == pytest.approx(20_000, abs=20)  # one frame later, not 20 s
    readings = []
    for _ in range(600):  # ten minutes, read once a second
        machine.run(1)
        readings.append(c.now_us())
    steps = [b - a for a, b in zip(readings, readings[1:])]
    assert all(1_000_000 <= s <= 1_000_000 + SLEW_PPM for s in steps)
    caught_up = readings[-1] - (before + 600_020_000)
    assert caught_up == pytest.approx(600 * SLEW_PPM, rel=0.01)  # 0.3 s of the 20 s


def test_a_wall_clock_set_back_never_takes_the_clock_back() -> None:
    machine = Machine()
    c = machine.clock()
    machine.run(1)
    last = c.now_us()
    machine.wall -= 60 * SECOND
    for _ in range(10_000):
        machine.run(0.001)
        now = c.now_us()
        assert now >= last
        assert now - last >= 1000 - 1  # slowed by at most SLEW_PPM, never stopped
        last = now


def test_the_clock_reaches_the_wall_clock_again_after_a_step() -> None:
    machine = Machine()
    c = machine.clock()
    machine.wall += 2 * SECOND
    hours = 2 * 1_000_000 // SLEW_PPM / 3600 + 0.1  # 2 s at 0.5 ms/s: about 67 minutes
    for _ in range(int(hours * 60)):
        machine.run(60)
        c.now_us()
    assert c.now_us() == machine.wall // 1000


def test_the_database_and_the_recorder_read_one_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """An interview's start (a database time) and its frames' arrival (the recorder's
    clock) stay on one line when the wall clock jumps between them."""
    machine = Machine()
    monkeypatch.setattr(clock, "CLOCK", machine.clock())
    started = types.utcnow()
    machine.run(3)
    machine.wall += 20 * SECOND
    arrival_us = clock.clock_us()
    assert arrival_us - int(started.timestamp() * 1_000_000) == pytest.approx(3_000_000, abs=2000)
    assert types.utcnow() - started < timedelta(seconds=4)


def test_a_wall_clock_far_ahead_is_followed_at_once(caplog: pytest.LogCaptureFixture) -> None:
    """A server started before its time was synchronised: its times must not stay an hour
    wrong for months. A step back is never followed at once (times would go back)."""
    machine = Machine()
    c = machine.clock()
    machine.wall += 3600 * SECOND
    machine.run(0.02)
    assert c.now_us() == machine.wall // 1000
    assert "ahead of the interview clock" in caplog.text
    machine.wall -= 3600 * SECOND
    before = c.now_us()
    machine.run(1)
    assert 0 < c.now_us() - before <= 1_000_000
