"""Runs transcription jobs: claims one from the database, reads every party's stored audio,
lets a worker process decode, find speech and transcribe it, merges the turns and stores
the machine draft as version 1 of the record.

What live listening (live.py) already heard of a party is taken over when its segments
are exactly the stored ones (seq and SHA-256, re-read from the store): the job hears only
the rest, and when live listening kept up, nothing at all — no worker is even started.

The event loop only does I/O here. Decoding, the VAD and Whisper run in one spawned worker
process that loads the model once; it is started on the first job, so a server that never
ends an interview never pays for it. A crashed worker is replaced and the job retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence.errors import StoreError
from evidence.store import ObjectStore
from server.db.models import EvidenceItem, Interview, Recording, RecordingState
from server.db.record_models import JobState, TranscriptionJob
from server.db.types import utcnow
from server.errors import Conflict
from server.records import write_version
from server.services import recordings, records
from server.settings import Settings
from server.transcribe import worker
from server.transcribe.live import LiveTranscription
from server.transcribe.stored import PartyAudio, read_audio
from server.supervisor import Supervisor
from transcription import pipeline
from transcription.echo import flag_echoes
from transcription.errors import ModelError, TranscriptionError
from transcription.listen import Listening
from transcription.models import resolve_model
from transcription.record import build_draft
from transcription.turns import merge_turns

RUNNER_TASK = "transcription-runner"
log = logging.getLogger("zeromeet.transcription")

POLL_S = 2.0
MAX_ATTEMPTS = 3
SEAL_WAIT = timedelta(minutes=2)  # how long a job waits for recordings still being sealed
LIVE_WAIT_S = 10.0  # how long a job waits for live listening to hear the last segments
_BACKOFF_S = (5, 30, 120)


class _NotYet(Exception):
    """The job cannot start yet (recordings still sealing); try again shortly, no attempt used."""


class _Permanent(Exception):
    """Retrying cannot help (wrong model for the language, missing model); fail at once."""


class _LeaseLost(Exception):
    """The job is no longer this worker's: another took it when its lease lapsed."""


class TranscriptionRunner:
    def __init__(self, *, settings: Settings, sessions: async_sessionmaker,
                 store: ObjectStore, live: LiveTranscription | None = None,
                 supervisor: Supervisor | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.store = store
        self.live = live
        self.owner = f"{settings.node_name}/{os.getpid()}"
        self._wake = asyncio.Event()
        self._supervisor = supervisor or Supervisor()
        self.renew_every_s = records.LEASE.total_seconds() / 3
        self._pool: ProcessPoolExecutor | None = None
        self._model_dir: Path | None = None
        self._current: str | None = None

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._supervisor.start(RUNNER_TASK, self._loop)

    def wake(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    async def shutdown(self) -> None:
        await self._supervisor.stop(RUNNER_TASK)
        self._stop_pool()
        if self._current is not None:  # give it back now, so a restart need not wait the lease
            with contextlib.suppress(Exception):
                async with self.sessions() as session, session.begin():
                    await session.execute(
                        update(TranscriptionJob)
                        .where(TranscriptionJob.id == self._current,
                               TranscriptionJob.owner == self.owner,
                               TranscriptionJob.state == JobState.RUNNING)
                        .values(state=JobState.QUEUED, owner="", lease_until=None,
                                attempts=TranscriptionJob.attempts - 1, stage="queued",
                                message="interrupted by a shutdown; it starts again",
                                next_attempt_at=utcnow()))

    def _stop_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            worker.stop_pool(pool)

    async def _loop(self) -> None:
        await self._reclaim_orphans()
        while True:
            try:
                async with self.sessions() as session, session.begin():
                    job = await records.claim_job(session, self.owner)
            except Exception:
                log.exception("cannot claim a transcription job; trying again")
                job = None
            if job is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_S)
                continue
            self._current = job.id
            try:
                await self._run(job)
            finally:
                self._current = None

    async def _reclaim_orphans(self) -> None:
        """Jobs a dead process of this node left running go back to the queue at once
        (another node's stay leased until their lease lapses)."""
        prefix = f"{self.settings.node_name}/"
        async with self.sessions() as session, session.begin():
            running = await session.scalars(select(TranscriptionJob).where(
                TranscriptionJob.state == JobState.RUNNING))
            for job in running:
                pid = job.owner[len(prefix):] if job.owner.startswith(prefix) else ""
                if pid.isdigit() and not _alive(int(pid)):
                    job.state, job.owner, job.lease_until = JobState.QUEUED, "", None
                    job.stage, job.next_attempt_at = "queued", utcnow()
                    job.message = "the process running it stopped; it starts again"
                    log.info("transcription job taken back from a stopped process",
                             extra={"job": job.id, "interview": job.interview_id})

    # --- one job ----------------------------------------------------------------------

    async def _run(self, job: TranscriptionJob) -> None:
        log.info("transcription started", extra={"job": job.id, "interview": job.interview_id,
                                                 "attempt": job.attempts})
        renew = asyncio.create_task(self._renew(job.id), name=f"transcription-lease-{job.id}")
        work = asyncio.create_task(self._transcribe(job), name=f"transcription-{job.id}")
        try:
            await asyncio.wait((work, renew), return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                raise _LeaseLost()
            await work
        except _LeaseLost:
            log.warning("transcription lease lost: the job is no longer this worker's, and "
                        "its work here stops", extra={"job": job.id, "interview": job.interview_id})
        except _NotYet as exc:
            await self._finish(job, state=JobState.QUEUED, stage="waiting", message=str(exc),
                               attempts=max(0, job.attempts - 1), delay=3)
        except (_Permanent, ModelError) as exc:
            await self._fail(job, str(exc))
        except Exception as exc:  # noqa: BLE001 - every other failure is retried, then reported
            reason = _describe(exc)
            if isinstance(exc, BrokenProcessPool):
                self._stop_pool()
            if job.attempts >= MAX_ATTEMPTS and not isinstance(exc, StoreError):
                await self._fail(job, reason)
            else:
                delay = _BACKOFF_S[min(job.attempts, len(_BACKOFF_S)) - 1]
                log.warning("transcription failed; retrying", extra={
                    "job": job.id, "reason": reason, "retry_in_s": delay})
                await self._finish(job, state=JobState.QUEUED, stage="retrying",
                                   message=f"{reason} (retrying in {delay} s)", delay=delay)
        finally:
            for task in (renew, work):
                task.cancel()
            await asyncio.gather(renew, work, return_exceptions=True)

    async def _renew(self, job_id: str) -> None:
        """Keep the job's lease; return once the job is no longer ours (the lease lapsed
        while the database was away, and another worker took the job)."""
        while True:
            await asyncio.sleep(self.renew_every_s)
            try:
                async with self.sessions() as session, session.begin():
                    ours = await records.update_job(session, job_id, self.owner)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("renewing a transcription lease failed; trying again",
                            extra={"job": job_id, "reason": _describe(exc)})
                continue
            if not ours:
                return

    async def _progress(self, job: TranscriptionJob, progress: float, stage: str) -> None:
        async with self.sessions() as session, session.begin():
            ours = await records.update_job(session, job.id, self.owner,
                                            progress=round(min(progress, 0.99), 3), stage=stage[:64])
        if not ours:
            raise _LeaseLost()

    async def _finish(self, job: TranscriptionJob, *, state: JobState, stage: str,
                      message: str = "", delay: float = 0, **values: Any) -> None:
        extra = {"finished_at": utcnow()} if state in (JobState.DONE, JobState.FAILED) else {
            "next_attempt_at": utcnow() + timedelta(seconds=delay), "owner": "",
            "lease_until": None}
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(TranscriptionJob)
                .where(TranscriptionJob.id == job.id, TranscriptionJob.owner == self.owner)
                .values(state=state, stage=stage, message=message[:2000], **extra, **values)
                .execution_options(synchronize_session=False))

    async def _fail(self, job: TranscriptionJob, reason: str) -> None:
        log.error("transcription failed", extra={"job": job.id, "interview": job.interview_id,
                                                 "reason": reason})
        await self._finish(job, state=JobState.FAILED, stage="failed", message=reason)

    async def _transcribe(self, job: TranscriptionJob) -> None:
        interview, audio_rows = await self._inputs(job)
        origin_ms = _origin_ms(interview)
        await self._progress(job, 0.01, "reading audio")
        parties, excluded = await read_audio(self.sessions, self.store, audio_rows)
        await self._check_model(interview.language)  # before anything is taken over
        if self.live is not None:
            await self._progress(job, 0.02, "taking over live listening")
            await self.live.settle([p.party.recording_id for p in parties], LIVE_WAIT_S)
        loop = asyncio.get_running_loop()
        prepared: list[tuple[pipeline.Speaker, list[pipeline.Heard], list[pipeline.Speech]]] = []
        live_parties = 0
        for index, party in enumerate(parties):
            state, heard, rest = self._from_live(party)
            live_parties += state != Listening()
            speeches: list[pipeline.Speech] = []
            if rest or not state.ended:
                await self._progress(job, 0.02 + 0.08 * index / max(len(parties), 1),
                                     f"finding speech ({party.party.speaker})")
                pool = await self._ensure_pool(interview.language)
                speeches = await loop.run_in_executor(
                    pool, pipeline.worker_prepare_from, state, rest, origin_ms)
            prepared.append((party.party, heard, speeches))
        total = sum(len(s) for _, _, s in prepared) or 1
        done, utterances, filtered, last = 0, [], [], 0.0
        for party, heard, speeches in prepared:
            for speech in speeches:
                heard.append(await loop.run_in_executor(
                    self._pool, pipeline.worker_transcribe, speech, interview.language))
                done += 1
                if time.monotonic() - last > 0.5:
                    last = time.monotonic()
                    await self._progress(job, 0.1 + 0.85 * done / total,
                                         f"transcribing {done}/{total}")
            result = pipeline.party_result(party, heard)
            utterances.extend(result.utterances)
            for piece in result.filtered:  # the worker logged each, without its words
                filtered.append({"speaker": party.speaker, "start": piece.start,
                                 "end": piece.end, "reason": piece.reason, "text": piece.text})
        await self._progress(job, 0.97, "saving the draft")
        utterances = flag_echoes(utterances, interview.language)
        turns = [t.as_dict() for t in merge_turns(utterances, interview.language)]
        heard_segments = [entry for party in parties for entry in party.heard()]
        await self._save_draft(interview, turns, audio_rows, filtered, excluded, heard_segments,
                               live_parties)
        await self._finish(job, state=JobState.DONE, stage="done", progress=1.0,
                           message=f"{len(turns)} turns; {len(filtered)} pieces filtered")
        log.info("transcription done", extra={
            "job": job.id, "interview": interview.id, "turns": len(turns),
            "live_parties": live_parties, "parties": len(parties),
            "filtered": dict(Counter(piece["reason"] for piece in filtered))})

    def _from_live(self, party: PartyAudio) -> tuple[Listening, list[pipeline.Heard],
                                                     list[tuple[int, bytes]]]:
        """Where to go on from for one party: live listening's state and what it heard,
        with the stored segments it did not hear; or the start, with all of them."""
        stored = list(zip(party.seqs, party.segments))
        taken = self.live.take(party.party.recording_id) if self.live is not None else None
        if taken is None:
            return Listening(), [], stored
        consumed = list(taken.consumed)
        rest = stored[len(consumed):]
        if list(zip(party.seqs, party.hashes))[:len(consumed)] != consumed or (
                rest and taken.state.ended):
            log.warning("live listening heard other audio than is stored; hearing it again",
                        extra={"recording": party.party.recording_id})
            return Listening(), [], stored
        return taken.state, list(taken.heard), rest

    async def _inputs(self, job: TranscriptionJob) -> tuple[Interview, list[Recording]]:
        async with self.sessions() as session:
            interview = await session.get(Interview, job.interview_id)
            rows = [r for r in await recordings.for_interview(session, interview.id)
                    if r.kind == "audio"]
        unsealed = [r for r in rows if r.state is RecordingState.RECORDING]
        ended = interview.ended_at or utcnow()
        if unsealed and utcnow() - ended < SEAL_WAIT:
            raise _NotYet(f"waiting for {len(unsealed)} recording(s) to be sealed")
        return interview, rows

    async def _ensure_pool(self, language: str) -> ProcessPoolExecutor:
        await self._check_model(language)
        if self._pool is None:
            self._pool = worker.new_pool(self._model_dir, self.settings.whisper_device,
                                         self.settings.whisper_threads, self.settings.log_level)
        return self._pool

    async def _check_model(self, language: str) -> None:
        """Refuse at once a model that cannot hear the language: retrying cannot help."""
        if self._model_dir is None:
            self._model_dir = await asyncio.to_thread(
                resolve_model, self.settings.whisper_model, self.settings.data_dir)
        if language != "en" and worker.english_only(self._model_dir):
            raise _Permanent(f"The Whisper model {self.settings.whisper_model!r} is English-only "
                             f"and cannot transcribe {language!r}: set ZEROMEET_WHISPER_MODEL "
                             "to 'base' or another multilingual model.")

    async def _save_draft(self, interview: Interview, turns: list[dict], rows: list[Recording],
                          filtered: list[dict], excluded: list[dict],
                          heard_segments: list[dict], live_parties: int) -> None:
        async with self.sessions() as session:
            facts = await records.header_facts(session, interview)
            sources = list(await session.scalars(select(EvidenceItem.id).where(
                EvidenceItem.recording_id.in_([r.id for r in rows]))))
        started = interview.started_at or interview.ended_at or utcnow()
        content = build_draft(
            interview_id=interview.id, case_id=interview.case_id, language=interview.language,
            case_number=facts["case_number"], case_title=facts["case_title"],
            employer=facts["employer"], started_at=started,
            ended_at=interview.ended_at or utcnow(), inspectors=facts["inspectors"],
            interviewees=facts["interviewees"], turns=turns, time_zone=self.settings.time_zone)
        observed = {"machine": {"model": self.settings.whisper_model,
                                "device": self.settings.whisper_device},
                    "sources": sources, "filtered": filtered, "excluded_segments": excluded,
                    "heard_segments": heard_segments,
                    "live": {"parties": live_parties, "of": len({r.id for r in rows})},
                    "echoes": sum(1 for t in turns if "echo" in t.get("flags", ()))}
        try:
            await write_version(self.sessions, self.store, interview, content, number=1,
                                based_on=None, author_id=None, observed=observed,
                                derived_from=sources[0] if sources else None)
        except Conflict:
            log.info("the machine draft was already saved", extra={"interview": interview.id})


def _origin_ms(interview: Interview) -> int:
    moment = interview.started_at or interview.ended_at or utcnow()
    return int(moment.timestamp() * 1000)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BrokenProcessPool):
        return "the transcription worker process stopped unexpectedly"
    if isinstance(exc, StoreError):
        return f"the object store cannot be read: {exc}"
    if isinstance(exc, TranscriptionError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
