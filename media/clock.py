"""The interview clock: server UTC time that advances with the monotonic clock.

Wall-clock time can jump (NTP, an operator); the monotonic clock cannot. Reading UTC once
at start and adding monotonic time gives timestamps that are UTC and never go back, so
every track and every party of an interview is placed on one line.
"""

from __future__ import annotations

import time

_WALL0_US = time.time_ns() // 1000
_MONO0_NS = time.monotonic_ns()


def clock_us() -> int:
    """Now on the interview clock, in µs since the Unix epoch."""
    return _WALL0_US + (time.monotonic_ns() - _MONO0_NS) // 1000
