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
