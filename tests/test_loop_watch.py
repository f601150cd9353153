"""The tests' own watch on the event loop (tests/support/stalls.py) sees what it says."""

from __future__ import annotations

import asyncio
import time

from tests.support.stalls import LoopWatch


async def test_the_loop_watch_sees_a_stall_and_where(loop_watch: LoopWatch) -> None:
    await asyncio.sleep(0.3)
    assert loop_watch.stalls == []
    time.sleep(1.2)  # what a blocking call in a handler would do
    await asyncio.sleep(0.2)
    assert len(loop_watch.stalls) == 1 and loop_watch.longest() >= 1.1
    assert "time.sleep(1.2)" in loop_watch.stalls[0].where


async def test_the_loop_watch_counts_the_time_the_loop_ran_behind(loop_watch: LoopWatch) -> None:
    await asyncio.sleep(0.3)
    start = time.monotonic()
    assert loop_watch.lag(start) < 0.05
    for _ in range(4):
        time.sleep(0.2)  # four short holds, none a stall
        await asyncio.sleep(0.06)
    assert loop_watch.stalls == []
    assert 0.55 <= loop_watch.lag(start) <= 1.5, loop_watch.lags  # each hold, less a tick
    await asyncio.sleep(0.2)
    assert loop_watch.lag(time.monotonic()) == 0.0
