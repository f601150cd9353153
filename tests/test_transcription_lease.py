"""A transcription job's lease, on PostgreSQL: a worker whose lease lapsed (its database was
away) and whose job another worker took stops its work and never writes over the other's
job; a renewal that fails is logged and tried again."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server.appkeys import SESSIONS, STORE
from server.db.record_models import JobState, TranscriptionJob
from server.db.types import utcnow
from server.services import records
from server.settings import Settings
from server.transcribe.runner import TranscriptionRunner
from tests.support.api import Api

pytestmark = [pytest.mark.api,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

OTHER = "node-b/4242"


async def _claimed(api: Api, settings: Settings) -> tuple[TranscriptionRunner, TranscriptionJob]:
    staff, case, _ = await api.setup_case()
    interview = await api.interview(staff, case["id"])
    await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=staff)
    runner = TranscriptionRunner(settings=settings, sessions=api.app[SESSIONS], store=api.app[STORE])
    async with api.app[SESSIONS]() as session, session.begin():
        job = await records.claim_job(session, runner.owner)
    assert job is not None and job.owner == runner.owner
    return runner, job


async def _taken_by_another(api: Api, job: TranscriptionJob) -> None:
    """What a second worker's claim does once the first one's lease has lapsed."""
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(TranscriptionJob).where(TranscriptionJob.id == job.id).values(
            owner=OTHER, lease_until=utcnow() + timedelta(minutes=1), stage="starting",
            attempts=TranscriptionJob.attempts + 1))


async def _row(api: Api, job: TranscriptionJob) -> TranscriptionJob:
    async with api.app[SESSIONS]() as session:
        return await session.scalar(select(TranscriptionJob).where(TranscriptionJob.id == job.id))


async def test_a_worker_that_lost_its_lease_stops_and_leaves_the_job_to_its_new_owner(
        api: Api, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    runner, job = await _claimed(api, settings)
    runner.renew_every_s = 0.05
    working = asyncio.Event()
    stopped = asyncio.Event()

    async def transcribe(_job: TranscriptionJob) -> None:  # hours of audio
        working.set()
        try:
            await asyncio.sleep(3600)
        finally:
            stopped.set()

    runner._transcribe = transcribe
    with caplog.at_level(logging.WARNING, logger="zeromeet.transcription"):
        run = asyncio.create_task(runner._run(job))
        await asyncio.wait_for(working.wait(), 5)
        await asyncio.sleep(0.2)  # renewals go through meanwhile
        assert (await _row(api, job)).owner == runner.owner
        await _taken_by_another(api, job)
        await asyncio.wait_for(run, 5)
    assert stopped.is_set()
    row = await _row(api, job)
    assert (row.owner, row.state, row.stage, row.attempts) == (OTHER, JobState.RUNNING, "starting", 2)
    assert any(r.getMessage().startswith("transcription lease lost") for r in caplog.records)


async def test_a_worker_that_finishes_after_losing_its_lease_writes_nothing(
        api: Api, settings: Settings) -> None:
    runner, job = await _claimed(api, settings)
    runner.renew_every_s = 3600  # the loss is found only when the work ends

    async def transcribe(_job: TranscriptionJob) -> None:
        await _taken_by_another(api, job)
        raise RuntimeError("the model crashed")  # would be retried: queued again

    runner._transcribe = transcribe
    await asyncio.wait_for(runner._run(job), 5)
    row = await _row(api, job)
    assert (row.owner, row.state, row.stage, row.message) == (OTHER, JobState.RUNNING, "starting", "")


async def test_a_renewal_that_fails_is_logged_and_tried_again(
        api: Api, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    runner, job = await _claimed(api, settings)
    runner.renew_every_s = 0.05
    real, calls = runner.sessions, []

    def sessions():  # noqa: ANN202 - the database is away for the first two renewals
        calls.append(1)
        if len(calls) <= 2:
            raise OSError("connection refused")
        return real()

    runner.sessions = sessions
    with caplog.at_level(logging.WARNING, logger="zeromeet.transcription"):
        renew = asyncio.create_task(runner._renew(job.id))
        async with asyncio.timeout(5):
            while len(calls) < 4:
                await asyncio.sleep(0.01)
    assert not renew.done()  # the job is still ours: renewing goes on
    renew.cancel()
    failed = [r for r in caplog.records if r.getMessage().startswith("renewing a transcription lease failed")]
    assert len(failed) == 2 and failed[0].reason == "OSError: connection refused"
    assert (await _row(api, job)).lease_until > utcnow() + records.LEASE - timedelta(seconds=5)
