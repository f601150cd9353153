"""The interview clock: UTC that advances with the monotonic clock and never jumps.

Wall-clock time can jump (NTP stepping it, a VM resumed, an operator); the monotonic clock
cannot. The interview clock advances as the monotonic clock does and is steered towards
the wall clock by at most `SLEW_PPM` (0.5 ms a second), so a step of the wall clock
moves no timestamp at once: a recording is not torn, and a party's audio is not placed
20 s away from the moment its interview started. The clock never goes back, and it
reaches the wall clock again after a step in about 2,000 times the step (20 s: 11 hours).
A wall clock more than `STEP_US` (a minute) ahead is followed at once, and logged: the
clock was wrong (a server started before its time was synchronised), and its times must
not stay wrong for days.

One clock for the whole server: the recorder's frames, the database's times (an
interview's start, custody events, leases) and the live captions all read it, so that
they agree with one another whatever the wall clock did.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

SLEW_PPM = 500  # below the recorder's DRIFT_US per segment (1,000 ppm), so tracks follow
STEP_US = 60_000_000

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InterviewClock:
    """`wall` and `monotonic` in nanoseconds, injectable for tests."""

    def __init__(self, wall: Callable[[], int] = time.time_ns,
                 monotonic: Callable[[], int] = time.monotonic_ns) -> None:
        self._wall, self._monotonic = wall, monotonic
        self._lock = threading.Lock()
        self._mono0 = monotonic()
        self._base_us = wall() // 1000  # the clock at _mono0, steered as the wall drifts
        self._steered_at = self._mono0
        self._last_us = self._base_us

    def now_us(self) -> int:
        """Now, in µs since the Unix epoch."""
        with self._lock:
            mono = self._monotonic()
            now = self._base_us + (mono - self._mono0) // 1000
            error = self._wall() // 1000 - now
            if error > STEP_US:
                log.warning("the wall clock is %.1f s ahead of the interview clock: "
                            "following it at once", error / 1e6)
                self._base_us += error
                self._steered_at = mono
                now += error
            elif error:
                room = (mono - self._steered_at) * SLEW_PPM // 1_000_000_000
                step = max(-room, min(room, error))
                if step:
                    self._base_us += step
                    self._steered_at = mono
                    now += step
            else:
                self._steered_at = mono
            self._last_us = now = max(now, self._last_us)
            return now


CLOCK = InterviewClock()


def clock_us() -> int:
    """Now on the interview clock, in µs since the Unix epoch."""
    return CLOCK.now_us()


def utc_now() -> datetime:
    """Now on the interview clock, as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=clock_us())
