"""Stalls of this process's event loop, which the test's peers share with the server.

A recorder marks a gap when frames arrive more than a second apart. When the whole loop
stopped for that long (a collection of a large heap late in a long session, a descheduled
process), the frames were held in the socket, not lost: the gap is honest, and the test
must tell it apart from the server pausing a recording by itself. The watcher keeps where
the loop was when it stopped, so that a stall in the server's own code shows in the
failure.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from media.recorder import GAP_US

TICK_S = 0.05
LATE_S = 0.01  # a tick this late counts as lag (a timer's own slack is a millisecond)


@dataclass
class Stall:
    seconds: float
    where: str  # the loop thread's innermost frames when it was seen stopped


@dataclass
class LoopWatch:
    """Ticks on the loop; a thread notes every tick that comes `threshold_s` late."""

    threshold_s: float
    stalls: list[Stall] = field(default_factory=list)
    lags: list[tuple[float, float]] = field(default_factory=list)  # (tick began, s late)
    _last: float = field(default_factory=time.monotonic)
    _where: str = ""
    _running: bool = True

    def longest(self) -> float:
        return max((s.seconds for s in self.stalls), default=0.0)

    def lag(self, since: float, until: float | None = None) -> float:
        """Seconds the loop ran behind its ticks between two `time.monotonic()` times:
        time this process's peers and server were not given, on a loaded machine."""
        until = time.monotonic() if until is None else until
        return sum(late for began, late in self.lags  # every late tick overlapping them
                   if began <= until and began + TICK_S + late >= since)

    def describe(self) -> str:
        return "\n".join(f"loop stopped {s.seconds:.2f} s in:\n{s.where}" for s in self.stalls)

    async def tick(self) -> None:
        while self._running:
            before = time.monotonic()
            self._last = before
            await asyncio.sleep(TICK_S)
            late = time.monotonic() - before - TICK_S
            if late > LATE_S:
                self.lags.append((before, late))
            if late > self.threshold_s:
                self.stalls.append(Stall(round(late, 2), self._where))
            self._where = ""

    def watch(self, loop_thread: int) -> None:
        while self._running:
            time.sleep(TICK_S)
            if not self._where and time.monotonic() - self._last > self.threshold_s / 2:
                frame = sys._current_frames().get(loop_thread)
                self._where = "".join(traceback.format_stack(frame)[-6:]) if frame else "?"

    def stop(self) -> None:
        self._running = False


@pytest.fixture
async def loop_watch() -> AsyncIterator[LoopWatch]:
    """Stalls of the loop longer than the recorder's gap, for the test's whole call."""
    watch = LoopWatch(threshold_s=GAP_US / 1e6 * 0.9)
    thread = threading.Thread(target=watch.watch, args=(threading.get_ident(),), daemon=True)
    thread.start()
    ticking = asyncio.ensure_future(watch.tick())
    yield watch
    watch.stop()
    ticking.cancel()
    thread.join()
