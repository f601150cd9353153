"""Transcription jobs: durable across restarts, taken by `zeromeet worker` in another
process, taken back from a process that died, leaving out (and naming) segments altered
in the store, and failing with a clear reason."""

from __future__ import annotations

import asyncio
import fractions
import io
import subprocess
import time
from datetime import datetime, timedelta

import av
import numpy as np
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from evidence.hashing import sha256_bytes
from evidence.s3client import minio_client
from evidence.webm import SegmentWriter, TrackInfo
from server.app import create_app
from server.appkeys import SESSIONS, STORE
from server.db.models import Interview as InterviewRow, Recording, RecordingState, Segment, new_id
from server.db.record_models import JobState, TranscriptionJob
from server.db.types import utcnow
from server.settings import Settings
from tests.support.api import Api
from tests.support.conversation import converse, wait_for_record
from tests.support.proc import ZEROMEET, env_for
from tests.support.rooms import Interview
from tests.support.speech import RATE, SAMPLES, espeak

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


async def test_a_segment_altered_in_the_store_is_left_out_and_named(
        settings: Settings, whisper_models: dict) -> None:
    """A worker's recording of four stored segments, its rows pointed at what was forged
    over two of them — bytes claiming the original's SHA-256, which the store's own check
    refuses, and bytes with their own, which the row's refuses — and one never stored.
    The job transcribes the intact one and names the other three in the draft."""
    running = settings.with_(transcribe=True, whisper_model=str(whisper_models["tiny.en"]))
    async with TestClient(TestServer(create_app(running))) as client:
        api = Api(client)
        staff, case, _ = await api.setup_case()
        interview = await api.interview(staff, case["id"], language="en")
        invitation = await api.invite(staff, interview["id"], name="Li Ming")
        started = utcnow() - timedelta(seconds=30)
        speech = espeak("My name is Li Ming.")
        audio = np.concatenate([speech, np.zeros(8 * RATE - len(speech), np.int16)])
        origin_ms = int(started.timestamp() * 1000)
        recording_id = await store_recording(api, interview["id"], invitation, started,
                                             webm_segments(audio, origin_ms + 500), stored=3)
        async with api.app[SESSIONS]() as session:
            rows = {s.seq: s for s in await session.scalars(select(Segment))}
        s3 = running.s3
        raw = minio_client(s3.endpoint, s3.access_key, s3.secret_key)
        forged = b"forged audio"
        for seq, claimed in ((2, rows[2].sha256), (3, sha256_bytes(forged))):
            forgery = raw.put_object(s3.bucket, rows[seq].object_key, io.BytesIO(forged),
                                     len(forged), metadata={"sha256": claimed})
            async with api.app[SESSIONS]() as session, session.begin():
                await session.execute(update(Segment).where(Segment.id == rows[seq].id)
                                      .values(version_id=forgery.version_id))
        await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=staff)
        record = await poll_record(api, staff, interview["id"], until_retrying=True)
        evidence = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=staff)
    assert record["status"] == "draft" and record["job"]["state"] == "done", record["job"]
    assert [t["speaker"] for t in record["turns"]] == ["Li Ming"], record["turns"]
    turn = record["turns"][0]
    assert "name is" in turn["text"].lower(), turn
    audio = turn["audio"]
    assert (audio["recording_id"], audio["from"], audio["to"]) == (recording_id, 1, 1), turn
    draft = next(i for i in evidence if i["kind"] == "record")
    altered = "its bytes do not match its SHA-256"
    assert draft["observed"]["excluded_segments"] == [
        {"recording_id": recording_id, "seq": 2, "why": altered},
        {"recording_id": recording_id, "seq": 3, "why": altered},
        {"recording_id": recording_id, "seq": 4, "why": "missing from the object store"}]


def webm_segments(pcm: np.ndarray, start_ms: int, segment_ms: int = 2000) -> list[bytes]:
    """`pcm` (48 kHz mono int16) as the server stores audio: 20 ms Opus packets in WebM
    segments, block times in epoch ms from `start_ms`."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = RATE, "mono", "s16"
    codec.time_base = fractions.Fraction(1, RATE)
    packets = []
    for i in range(0, len(pcm) - SAMPLES + 1, SAMPLES):
        frame = av.AudioFrame.from_ndarray(pcm[None, i:i + SAMPLES], format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, i
        packets += [bytes(p) for p in codec.encode(frame)]
    per_segment = segment_ms // 20
    out = []
    for first in range(0, len(packets), per_segment):
        writer = SegmentWriter(TrackInfo(kind="audio", codec="opus"))
        out.append(writer.start() + b"".join(
            writer.block(start_ms + 20 * n, p, keyframe=True)
            for n, p in enumerate(packets[first:first + per_segment], start=first)))
    return out


async def store_recording(api: Api, interview_id: str, invitation: dict, started: datetime,
                          segments: list[bytes], *, stored: int) -> str:
    """A sealed audio recording of `segments`, its rows written as the recorder writes
    them; only the first `stored` are put in the object store. Returns its id."""
    recording_id = new_id()
    rows = []
    for seq, data in enumerate(segments, start=1):  # the recorder counts from 1
        key, sha256 = f"recordings/{recording_id}/{seq:06d}.webm", sha256_bytes(data)
        version_id = None
        if seq <= stored:
            version_id = (await api.app[STORE].put(key, data, sha256=sha256)).version_id
        rows.append(Segment(recording_id=recording_id, seq=seq, object_key=key,
                            version_id=version_id, sha256=sha256, size=len(data), frames=100,
                            first_arrival_us=0, last_arrival_us=0, rtp_first=0, rtp_last=0,
                            start_ms=(seq - 1) * 2000, end_ms=seq * 2000, link="0" * 64))
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(InterviewRow).where(InterviewRow.id == interview_id)
                              .values(started_at=started))
        session.add(Recording(
            id=recording_id, interview_id=interview_id, participant_id=invitation["id"],
            participant_kind="party", participant_name=invitation["name"],
            participant_role="worker", kind="audio", codec="opus", node="test",
            state=RecordingState.SEALED, started_at=started, segment_count=len(segments)))
        await session.flush()
        session.add_all(rows)
    return recording_id


async def poll_record(api: Api, staff: dict, interview_id: str, wait: float = 120, *,
                      until_retrying: bool = False) -> dict:
    """The record once its job is done or failed (or, `until_retrying`, has to retry).
    Done, not only drafted: the draft is saved a moment before its job is marked done."""
    deadline = time.monotonic() + wait
    while True:
        record = await api.ok("GET", f"/api/interviews/{interview_id}/record", headers=staff)
        job = record["job"]
        if (job["state"] in ("done", "failed")
                or (until_retrying and job["stage"] == "retrying")):
            return record
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.3)
