"""Live listening: each party's audio transcribed while the interview runs, as captions,
and kept for the draft.

It hears exactly what is recorded: every audio segment once it is stored (its bytes, its
SHA-256), one party at a time, in `pipeline.worker_listen` — the steps the durable job
runs afterwards (transcription/listen.py). When the interview ends, the job takes what
was heard (`take`) and only hears what is left, so the draft is ready seconds after the
end; what live listening could not do (a backlog, a restart, a worker crash) the job
does, the same way.

Whisper runs in one spawned worker process of its own, at a lower priority than the
server (`NICE`), so a busy machine delays captions, never calls or recordings. A party
that falls behind is caught up in one step with all it missed; its captions carry their
delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from media.clock import clock_us
from media.rooms import Rooms
from media.signals import Notice
from server.db.models import Interview
from server.services.recordings import RecordingMeta
from server.settings import Settings
from server.supervisor import Supervisor
from server.transcribe import worker
from transcription import pipeline
from transcription.listen import Listening
from transcription.models import resolve_model

LIVE_TASK = "live-transcription"
log = logging.getLogger("zeromeet.transcription")

NICE = 10  # the live worker's niceness: the server and its calls come first
DELAYED_S = 6.0  # a caption this long after its speech ended is shown as delayed
KEEP_INTERVIEWS = 200  # captions kept in memory; older ones come from their drafts
FORGET_AFTER_S = 3600.0  # a sealed party nobody took (its job ran elsewhere) is let go
_RETRIES = 1  # a worker that died mid-step is replaced and the step tried once more


@dataclass(frozen=True)
class Snapshot:
    """What live listening heard of one recording, for the job to go on from."""

    consumed: tuple[tuple[int, str], ...]  # (seq, sha256) of each segment heard, in order
    state: Listening
    heard: tuple[pipeline.Heard, ...]


@dataclass
class _Party:
    meta: RecordingMeta
    state: Listening = field(default_factory=Listening)
    consumed: list[tuple[int, str]] = field(default_factory=list)
    heard: list[pipeline.Heard] = field(default_factory=list)
    pending: list[tuple[int, str, bytes]] = field(default_factory=list)
    sealed: bool = False
    stopped: bool = False  # failed, or taken by the job: hear no more
    sealed_at: float = 0.0
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def busy(self) -> bool:
        return not self.stopped and (bool(self.pending) or (self.sealed and not self.state.ended))


class LiveTranscription:
    def __init__(self, *, settings: Settings, sessions: async_sessionmaker,
                 supervisor: Supervisor | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.rooms: Rooms | None = None
        self._parties: dict[str, _Party] = {}  # by recording id
        self._ready: deque[str] = deque()
        self._wake = asyncio.Event()
        self._interviews: dict[str, tuple[int, str]] = {}  # id -> (origin ms, language)
        self._captions: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._pool: ProcessPoolExecutor | None = None
        self._model_dir: Path | None = None
        self._english_only = False
        self._supervisor = supervisor or Supervisor()
        self.steps = 0  # worker calls made, for tests and the bench

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._supervisor.start(LIVE_TASK, self._loop)

    async def shutdown(self) -> None:
        await self._supervisor.stop(LIVE_TASK)
        self._stop_pool()

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            worker.stop_pool(pool)

    # --- from the recordings (event loop) -------------------------------------------

    def segment_stored(self, meta: RecordingMeta, seq: int, sha256: str, data: bytes) -> None:
        """An audio segment is in the object store: hear it."""
        party = self._parties.get(meta.id)
        if party is None:
            self._forget_old()
            party = self._parties[meta.id] = _Party(meta)
        if party.stopped:
            return
        party.pending.append((seq, sha256, data))
        self._mark(party)

    def recording_sealed(self, meta: RecordingMeta) -> None:
        """No more audio will come for this recording: hear the rest."""
        party = self._parties.get(meta.id)
        if party is None:
            return
        party.sealed, party.sealed_at = True, time.monotonic()
        self._mark(party)

    def _mark(self, party: _Party) -> None:
        if party.busy:
            party.settled.clear()
            if party.meta.id not in self._ready:
                self._ready.append(party.meta.id)
            self._wake.set()
        else:
            party.settled.set()

    def _forget_old(self) -> None:
        now = time.monotonic()
        for rid, party in list(self._parties.items()):
            if party.sealed and now - party.sealed_at > FORGET_AFTER_S:
                del self._parties[rid]

    # --- for the job and the API ----------------------------------------------------

    async def settle(self, recording_ids: list[str], timeout: float) -> None:
        """Wait, at most `timeout` s, until these recordings are heard to their end."""
        waits = [self._parties[rid].settled.wait() for rid in recording_ids
                 if rid in self._parties and self._parties[rid].busy]
        if waits:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waits), timeout)

    def take(self, recording_id: str) -> Snapshot | None:
        """What was heard of a recording; live listening hears no more of it (the job goes
        on from here). None when nothing was heard here."""
        party = self._parties.pop(recording_id, None)
        if party is None or not party.consumed:
            return None
        party.stopped = True
        party.settled.set()
        return Snapshot(tuple(party.consumed), party.state, tuple(party.heard))

    def captions(self, interview_id: str) -> list[dict[str, Any]] | None:
        """Captions heard in this process, in order of their start; None when there are none."""
        kept = self._captions.get(interview_id)
        return sorted(kept, key=lambda c: (c["start"], c["participant"])) if kept else None

    # --- the worker -----------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            if not self._ready:
                self._wake.clear()
                await self._wake.wait()
                continue
            party = self._parties.get(self._ready.popleft())
            if party is None or not party.busy:
                continue
            try:
                await self._hear(party)
            except Exception:  # noqa: BLE001 - one party's trouble must not stop the others
                log.exception("live transcription of a party failed; the job will hear it",
                              extra={"recording": party.meta.id})
                party.stopped = True
            self._mark(party)

    async def _hear(self, party: _Party) -> None:
        interview = await self._interview(party.meta.interview_id)
        if interview is None:
            party.stopped = True  # not started: nothing is on its clock yet; the job hears it
            return
        origin_ms, language = interview
        batch, party.pending = party.pending, []
        final = party.sealed
        for attempt in range(_RETRIES + 1):
            pool = await self._ensure_pool(language)
            if pool is None:
                party.stopped = True
                return
            try:
                state, heard = await asyncio.get_running_loop().run_in_executor(
                    pool, pipeline.worker_listen, party.state,
                    [(seq, data) for seq, _, data in batch], origin_ms, language, final)
                break
            except BrokenProcessPool:
                self._stop_pool()
                if attempt == _RETRIES:
                    raise
                log.warning("the live transcription worker stopped; starting another")
        self.steps += 1
        if party.stopped:  # taken by the job meanwhile: what it took is what it has
            return
        party.state = state
        party.consumed += [(seq, sha) for seq, sha, _ in batch]
        party.heard += heard
        for piece in heard:
            if piece.reason is None:
                await self._caption(party.meta, piece, origin_ms)

    async def _caption(self, meta: RecordingMeta, piece: pipeline.Heard, origin_ms: int) -> None:
        delay = max(0.0, clock_us() / 1e6 - (origin_ms / 1000 + piece.end))
        role = "inspector" if meta.participant_kind == "staff" else meta.participant_role
        caption = {"participant": meta.participant_id, "speaker": meta.participant_name,
                   "role": role, "start": round(piece.start, 2), "end": round(piece.end, 2),
                   "text": piece.text, "delay": round(delay, 1), "delayed": delay > DELAYED_S}
        kept = self._captions.setdefault(meta.interview_id, [])
        self._captions.move_to_end(meta.interview_id)
        while len(self._captions) > KEEP_INTERVIEWS:
            self._captions.popitem(last=False)
        kept.append(caption)
        room = self.rooms.find(meta.interview_id) if self.rooms is not None else None
        if room is not None:
            await room.broadcast(Notice({"type": "caption", **caption}))

    async def _interview(self, interview_id: str) -> tuple[int, str] | None:
        known = self._interviews.get(interview_id)
        if known is None:
            async with self.sessions() as session:
                row = await session.get(Interview, interview_id)
            if row is None or row.started_at is None:
                return None
            if len(self._interviews) >= KEEP_INTERVIEWS:
                self._interviews.clear()  # a cache: looked up again when needed
            known = self._interviews[interview_id] = (
                int(row.started_at.timestamp() * 1000), row.language)
        return known

    async def _ensure_pool(self, language: str) -> ProcessPoolExecutor | None:
        if self._model_dir is None:
            self._model_dir = await asyncio.to_thread(
                resolve_model, self.settings.whisper_model, self.settings.data_dir)
            self._english_only = worker.english_only(self._model_dir)
        if language != "en" and self._english_only:
            return None  # the job says why, once
        if self._pool is None:
            self._pool = worker.new_pool(self._model_dir, self.settings.whisper_device,
                                         self.settings.whisper_threads, self.settings.log_level,
                                         NICE)
        return self._pool
