"""Transcription jobs: durable across restarts, taken by `zeromeet worker` in another
process, taken back from a process that died, and failing with a clear reason."""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from server.app import create_app
from server.appkeys import SESSIONS
from server.db.models import JobState, TranscriptionJob
from server.db.types import utcnow
from server.settings import Settings
from tests.support.api import Api
from tests.support.conversation import converse, wait_for_record
from tests.support.proc import ZEROMEET, env_for
from tests.support.rooms import Interview

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def ended_interview(api: Api, language: str = "en") -> tuple[dict, str]:
    """An interview that nobody joined, ended: its job has no audio to read."""
    staff, case, _ = await api.setup_case()
    interview = await api.interview(staff, case["id"], language=language)
    await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=staff)
    return staff, interview["id"]


async def job_of(api: Api, interview_id: str) -> TranscriptionJob:
    async with api.app[SESSIONS]() as session:
        return await session.scalar(
            select(TranscriptionJob).where(TranscriptionJob.interview_id == interview_id))


async def test_a_worker_process_transcribes_what_a_server_queued(
        room: Interview, settings: Settings, whisper_models: dict) -> None:
    """The server here runs no transcription (ZEROMEET_TRANSCRIBE=0): the job waits in the
    database until `zeromeet worker`, another process, claims and finishes it."""
    lines = [("inspector", "Please tell me your name."), ("worker", "My name is Li Ming.")]
    task = asyncio.create_task(converse(room, lines, voice="en", language="en", wait=5))
    with pytest.raises(AssertionError, match="no draft after"):
        await task
    job = await job_of(room.api, room.id)
    assert job.state is JobState.QUEUED and job.attempts == 0
    s3 = settings.s3
    env = env_for(settings.data_dir, ZEROMEET_DATABASE_URL=settings.database_url,
                  ZEROMEET_S3_ENDPOINT=s3.endpoint, ZEROMEET_S3_ACCESS_KEY=s3.access_key,
                  ZEROMEET_S3_SECRET_KEY=s3.secret_key, ZEROMEET_S3_BUCKET=s3.bucket,
                  ZEROMEET_WHISPER_MODEL=str(whisper_models["tiny.en"]),
                  ZEROMEET_WHISPER_THREADS="2", ZEROMEET_NODE_NAME="transcriber-1")
    worker = subprocess.Popen([ZEROMEET, "worker"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        record = await wait_for_record(room, 240)
    finally:
        worker.terminate()
        out, err = worker.communicate(timeout=30)
    assert record["status"] == "draft", (record["job"], err[-2000:])
    assert [t["role"] for t in record["turns"]] == ["inspector", "worker"], err[-3000:]
    assert "my name is" in record["turns"][1]["text"].lower()
    assert worker.returncode == 0 and "taking transcription jobs" in out
    assert (await job_of(room.api, room.id)).owner.startswith("transcriber-1/")


async def test_a_queued_job_survives_a_restart(settings: Settings, whisper_models: dict) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:  # transcribe=False
        api = Api(client)
        staff, interview_id = await ended_interview(api)
        assert (await api.ok("GET", f"/api/interviews/{interview_id}/record",
                             headers=staff))["job"]["state"] == "queued"
    running = settings.with_(transcribe=True, whisper_model=str(whisper_models["tiny.en"]))
    async with TestClient(TestServer(create_app(running))) as client:
        api = Api(client)
        staff = await api.login("wang")
        record = await poll_record(api, staff, interview_id)
    assert record["status"] == "draft" and record["turns"] == []  # nobody spoke
    assert record["header"]["inspectors"] == [] and record["version"] == 1


async def test_a_job_left_running_by_a_dead_process_is_taken_back(
        settings: Settings, whisper_models: dict) -> None:
    async with TestClient(TestServer(create_app(settings))) as client:
        api = Api(client)
        staff, interview_id = await ended_interview(api)
        async with api.app[SESSIONS]() as session, session.begin():
            job = await session.scalar(select(TranscriptionJob))
            # A process of this node that died (no such pid) mid-job, lease still valid.
            job.state, job.owner, job.attempts = JobState.RUNNING, f"{settings.node_name}/999999999", 1
            job.lease_until = utcnow() + timedelta(minutes=10)
    running = settings.with_(transcribe=True, whisper_model=str(whisper_models["tiny.en"]))
    async with TestClient(TestServer(create_app(running))) as client:
        api = Api(client)
        record = await poll_record(api, await api.login("wang"), interview_id)
    assert record["status"] == "draft"


async def test_a_job_that_cannot_succeed_fails_with_its_reason_and_can_be_retried(
        settings: Settings, whisper_models: dict) -> None:
    english_only = settings.with_(transcribe=True, whisper_model=str(whisper_models["tiny.en"]))
    async with TestClient(TestServer(create_app(english_only))) as client:
        api = Api(client)
        staff, interview_id = await ended_interview(api, language="zh")
        record = await poll_record(api, staff, interview_id)
        assert record["status"] == "pending" and record["job"]["state"] == "failed"
        assert "English-only" in record["job"]["message"], record["job"]
        assert record["job"]["attempts"] == 1  # not retried: retrying cannot help
        path = f"/api/interviews/{interview_id}/record/retry"
        assert (await api.ok("POST", path, 202, headers=staff))["state"] == "queued"
        again = await poll_record(api, staff, interview_id)
        assert again["job"]["state"] == "failed"
        status, body = await api.call("POST", path, headers=await api.staff("li", "legal"))
        assert status == 404  # legal staff without the case see nothing


async def poll_record(api: Api, staff: dict, interview_id: str, wait: float = 120) -> dict:
    deadline = time.monotonic() + wait
    while True:
        record = await api.ok("GET", f"/api/interviews/{interview_id}/record", headers=staff)
        if record["status"] != "pending" or record["job"]["state"] == "failed":
            return record
        assert time.monotonic() < deadline, record["job"]
        await asyncio.sleep(0.3)
