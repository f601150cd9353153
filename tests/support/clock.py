"""The test's peers keep time on the server's own clock (they run in its process), so a
sent frame and the server's record of it can be compared even if the wall clock jumps."""

from __future__ import annotations

from media.clock import clock_us


def now() -> float:
    """Seconds since the Unix epoch on the interview clock."""
    return clock_us() / 1e6
