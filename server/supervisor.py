"""The server's long-lived background tasks, each started through one `Supervisor`.

A task is named. When it ends with an error, that is logged with its name and traceback,
and the task is started again after a pause that grows with each death in a row (up to
`MAX_PAUSE_S`) where restarting is safe; a one-shot task is only logged. A task that
returns has finished its work and is not restarted. `stop()` cancels them all and waits.

Tasks that live with one object (a recording's upload worker, a peer's keyframe
requests) stay with their objects; this is for the loops that live as long as the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("zeromeet.supervisor")

FIRST_PAUSE_S = 1.0
MAX_PAUSE_S = 30.0
STEADY_S = 60.0  # a run this long resets the pause


@dataclass
class Supervised:
    name: str
    run: Callable[[], Awaitable[None]]
    restart: bool
    task: asyncio.Task[None] | None = None
    deaths: int = 0  # in a row
    died: int = 0  # in all
    started_at: float = 0.0
    pending: asyncio.TimerHandle | None = field(default=None, repr=False)


class Supervisor:
    def __init__(self, *, first_pause_s: float = FIRST_PAUSE_S,
                 max_pause_s: float = MAX_PAUSE_S) -> None:
        self._tasks: dict[str, Supervised] = {}
        self._first_pause_s, self._max_pause_s = first_pause_s, max_pause_s
        self._stopping = False

    def start(self, name: str, run: Callable[[], Awaitable[None]], *, restart: bool = True) -> None:
        """Run `run()` as the task `name`; `restart`: start it again when it dies."""
        if name in self._tasks:
            raise ValueError(f"a background task named {name!r} is already supervised")
        entry = self._tasks[name] = Supervised(name, run, restart)
        self._launch(entry)

    def _launch(self, entry: Supervised) -> None:
        entry.pending = None
        if self._stopping:
            return
        entry.started_at = time.monotonic()
        entry.task = asyncio.create_task(entry.run(), name=entry.name)
        entry.task.add_done_callback(lambda task: self._ended(entry, task))

    def _ended(self, entry: Supervised, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            log.info("background task finished", extra={"task": entry.name})
            return
        entry.died += 1
        entry.deaths = 1 if time.monotonic() - entry.started_at >= STEADY_S else entry.deaths + 1
        if not entry.restart or self._stopping:
            log.error("background task died", exc_info=exc,
                      extra={"task": entry.name, "restart": False})
            return
        pause = min(self._max_pause_s, self._first_pause_s * 2 ** (entry.deaths - 1))
        log.error("background task died; restarting it in %g s", pause, exc_info=exc,
                  extra={"task": entry.name, "restart": True, "deaths": entry.deaths})
        entry.pending = asyncio.get_running_loop().call_later(pause, self._launch, entry)

    def running(self, name: str) -> bool:
        entry = self._tasks.get(name)
        return entry is not None and entry.task is not None and not entry.task.done()

    async def stop(self, name: str | None = None) -> None:
        """Cancel `name` (or, with no name, every task, for good) and wait for it."""
        if name is None:
            self._stopping = True
        entries = ([self._tasks.pop(name)] if name in self._tasks else []) if name is not None \
            else list(self._tasks.values())
        if name is None:
            self._tasks.clear()
        for entry in entries:
            if entry.pending is not None:
                entry.pending.cancel()
            if entry.task is not None:
                entry.task.cancel()
        await asyncio.gather(*(e.task for e in entries if e.task is not None),
                             return_exceptions=True)
