"""One recording while it lives: the sink its track recorders write into, and the worker
that carries each closed segment from the spool to the object store and the database,
in order, retrying until it gets there.

A closed segment joins the chain at once (its link is computed on the event loop, in
order); the worker then makes it durable in the spool, stores it write-once under a
hash check, records its row, and only then removes the local copy. A store that is away
only makes the queue longer: the console shows how much is waiting, and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence import chain, manifest
from evidence.errors import EvidenceError
from evidence.hashing import sha256_bytes
from evidence.segment import SegmentClosed, SegmentStored
from evidence.store import ObjectStore
from media.clock import clock_us
from media.recorder import TrackRecorder
from server.recording import spool
from server.recording.ledger import Ledger, LedgerUnavailable, SealWritten
from server.services.recordings import RecordingMeta

log = logging.getLogger("zeromeet.recording")

BACKOFF = (0.5, 1, 2, 4, 8, 15)


def object_prefix(meta: RecordingMeta) -> str:
    return f"interviews/{meta.interview_id}/recordings/{meta.id}"


@dataclass
class Alarm:
    code: str
    message: str
    since: float  # time.time()


@dataclass(frozen=True)
class SegmentJob:
    record: SegmentStored
    opened: Path | None  # the open-… file still to commit; None if already committed


@dataclass(frozen=True)
class _SealJob:
    status: str  # "ended" or "interrupted"


class LiveRecording:
    def __init__(self, meta: RecordingMeta, directory: Path, *, store: ObjectStore,
                 ledger: Ledger, key: Ed25519PrivateKey,
                 on_change: Callable[[LiveRecording], None] = lambda _: None,
                 on_stored: Callable[[LiveRecording, SegmentStored, Path], Awaitable[None]] | None = None,
                 next_seq: int = 1, head: str | None = None, counter: int = 0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.meta = meta
        self.directory = directory
        self._store, self._ledger, self._key = store, ledger, key
        self._sleep = sleep
        self._on_change = on_change
        self._on_stored = on_stored
        self.next_seq = next_seq
        self.head = head or chain.genesis(meta.id, meta.interview_id, meta.participant_id, meta.kind)
        self._counter = counter
        self._jobs: asyncio.Queue[SegmentJob | _SealJob] = asyncio.Queue()
        self.waiting = 0
        self.waiting_bytes = 0
        self.stored = next_seq - 1
        self.last_end_us = 0
        self.alarms: dict[str, Alarm] = {}
        self.recorder: TrackRecorder | None = None  # the connection's track recording now
        self.connections = 0
        self.sealing = False
        self.sealed = asyncio.Event()
        self.state = "recording"
        self.started_at = time.monotonic()  # of the current connection's track
        self._case_id = ""
        self._worker: asyncio.Task[None] | None = None

    # --- the sink, on the event loop thread -----------------------------------------

    def open_segment(self) -> Path:
        self._counter += 1
        return spool.open_path(self.directory, self._counter)

    def segment_closed(self, segment: SegmentClosed, *, recovered: bool = False) -> None:
        """Chain a closed segment now, in order; the worker stores it. `recovered`: a torn
        segment finished after a crash."""
        record = segment.chained(self.next_seq, self.head, recovered=recovered)
        self.head = record.link
        self.next_seq += 1
        self.enqueue(SegmentJob(record, segment.path))

    def alarm(self, code: str, message: str | None) -> None:
        if message is None:
            if self.alarms.pop(code, None) is not None:
                log.info("recording alarm cleared", extra=self._log_extra(alarm=code))
                self._on_change(self)
        elif code not in self.alarms:
            self.alarms[code] = Alarm(code, message, time.time())
            log.warning("recording alarm: %s", message, extra=self._log_extra(alarm=code))
            self._on_change(self)
        else:  # the same trouble, told afresh (a count, a delay): it began when it began
            self.alarms[code].message = message

    # --- queue and worker ---------------------------------------------------------

    def enqueue(self, job: SegmentJob | _SealJob) -> None:
        if isinstance(job, SegmentJob):
            self.waiting += 1
            self.waiting_bytes += job.record.size
        self._jobs.put_nowait(job)
        self.start()

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name=f"recording-{self.meta.id}")
            self._worker.add_done_callback(self._worker_done)

    def seal(self, status: str) -> None:
        if not self.sealing:
            self.sealing = True
            self.state = "sealing"
            self.enqueue(_SealJob(status))

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    def _worker_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:  # a bug: say so, and carry on with the queue
            log.error("recording worker died", exc_info=exc, extra=self._log_extra())
            self.alarm("worker", f"the upload worker failed ({type(exc).__name__}); restarted")
            asyncio.get_running_loop().call_later(1.0, self.start)

    async def _work(self) -> None:
        while True:
            job = await self._jobs.get()
            if isinstance(job, SegmentJob):
                await self._store_segment(job)
                self.waiting -= 1
                self.waiting_bytes -= job.record.size
                self.stored = max(self.stored, job.record.seq)
                self.last_end_us = max(self.last_end_us, job.record.last_arrival_us)
                self._on_change(self)
            else:
                await self._seal(job.status)
                self.state = "sealed" if job.status == "ended" else "interrupted"
                self.sealed.set()
                self._on_change(self)
                return

    async def _store_segment(self, job: SegmentJob) -> None:
        record = job.record
        path = spool.segment_path(self.directory, record.seq)
        if job.opened is not None:
            await self._retry("spool", lambda: asyncio.to_thread(
                spool.commit_segment, self.directory, job.opened, record))
        key = f"{object_prefix(self.meta)}/{record.seq:06d}.webm"
        stored = await self._retry("upload", lambda: self._store.put(
            key, path, sha256=record.sha256, content_type=f"{self.meta.kind}/webm"))
        await self._retry("database", lambda: self._ledger.segment_stored(
            self.meta, record, key, stored.version_id))
        if self._on_stored is not None:
            try:
                await self._on_stored(self, record, path)
            except Exception:  # noqa: BLE001 - a listener's trouble is never the recording's
                log.exception("a stored segment's listener failed", extra=self._log_extra())
        await asyncio.to_thread(spool.forget_segment, self.directory, record.seq)

    async def _seal(self, status: str) -> None:
        ledger = await self._retry("database", lambda: self._ledger.stored(self.meta))
        self._case_id, stored = ledger.case_id, ledger.entries
        if not stored:  # nothing was ever recorded: nothing to seal
            await asyncio.to_thread(spool.forget_recording, self.directory)
            return
        seal = await self._retry("spool", self._make_seal_once(status, stored))
        document = chain.canonical_json(self.manifest(stored, seal))
        digest = sha256_bytes(document)
        key = f"{object_prefix(self.meta)}/manifest.json"
        written = await self._retry("upload", lambda: self._store.put(
            key, document, sha256=digest, content_type="application/json"))
        where = SealWritten(key, digest, len(document), written.version_id)
        await self._retry("database", lambda: self._ledger.sealed(self.meta, seal, where))
        await asyncio.to_thread(spool.forget_recording, self.directory)
        log.info("recording sealed", extra=self._log_extra(status=status, segments=len(stored)))

    def _make_seal_once(self, status: str, stored: list[dict[str, Any]]) -> Callable[[], Awaitable[chain.Seal]]:
        """The seal is made once and kept in the spool: a retried upload sends the same one."""
        async def make() -> chain.Seal:
            kept = await asyncio.to_thread(spool.read_json, self.directory / spool.SEAL)
            if kept is not None:
                return chain.Seal(**kept)
            last = stored[-1]
            seal = chain.Seal(
                recording_id=self.meta.id, head=last["link"], segments=len(stored),
                sealed_at_us=clock_us(), status=status,
                interrupted_at_us=last["last_arrival_us"] if status == "interrupted" else -1,
            ).signed(self._key)
            await asyncio.to_thread(spool.write_json, self.directory / spool.SEAL, asdict(seal))
            return seal
        return make

    def manifest(self, stored: list[dict[str, Any]], seal: chain.Seal) -> dict[str, Any]:
        meta = self.meta
        return manifest.build({
            "id": meta.id, "interview_id": meta.interview_id, "case_id": self._case_id,
            "participant": {"id": meta.participant_id, "kind": meta.participant_kind,
                            "name": meta.participant_name, "role": meta.participant_role},
            "kind": meta.kind, "node": meta.node, "started_at_us": meta.started_at_us,
        }, stored, seal)

    async def _retry(self, what: str, attempt: Callable[[], Awaitable[Any]]) -> Any:
        """Try until it works: a store or database that is away comes back eventually,
        and the spool keeps everything meanwhile. Each failure is an alarm and a log line."""
        failures = 0
        while True:
            try:
                result = await attempt()
            except (EvidenceError, LedgerUnavailable, OSError) as exc:
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                self.alarm(what, f"{what} failing, retrying in {delay:g} s: {_short(exc)}")
                await self._sleep(delay)
                continue
            if failures:
                self.alarm(what, None)
            return result

    # --- what the console shows -----------------------------------------------------

    def health(self) -> dict[str, Any]:
        recorder = self.recorder
        age = None
        if recorder is not None and recorder.last_frame_at is not None:
            age = round(time.monotonic() - recorder.last_frame_at, 1)
        state = self.state
        if state == "recording" and (recorder is None or recorder.closed):
            state = "paused"  # the participant's connection has gone: nothing is being recorded now
        return {
            "id": self.meta.id,
            "participant": self.meta.participant_id,
            "kind": self.meta.kind,
            "state": state,
            "stored": self.stored,
            "waiting": self.waiting,
            "waiting_bytes": self.waiting_bytes,
            "last_frame_age": age,
            "alarms": [{"code": a.code, "message": a.message, "since": a.since}
                       for a in self.alarms.values()],
        }

    def _log_extra(self, **more: Any) -> dict[str, Any]:
        return {"recording": self.meta.id, "interview": self.meta.interview_id,
                "participant": self.meta.participant_id, "kind": self.meta.kind, **more}


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "…"
