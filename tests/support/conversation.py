"""A scripted interview through real aiortc peers: an inspector and a worker take turns
speaking espeak-ng lines (a worker without lines stays silent), the inspector ends the
interview, and the test waits for the machine draft of the record.

Two peers only: every peer and the server share this process and its two cores, and a
third peer costs the recordings frames (measured: ~40% of audio frames lost with three
in-process peers, none with two), which is a test artefact, not what phones see.

Even two peers are starved now and then when the machine is busy: the sending track then
skips samples, as a real microphone would, and the script was not what the call carried.
The senders record what they skipped; a conversation that lost part of a line is run
again (at most `ATTEMPTS` times, each reported, in a new case), so that the tests judge
the pipeline on the audio the script describes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.support.rooms import Interview
from tests.support.speech import Line, ScriptedAudio, lost_speech, script

WHO = {"inspector": ("Wang", "inspector"), "worker": ("李工人", "worker")}
ATTEMPTS = 3


@dataclass
class Conversation:
    lines: list[Line]
    t0: float  # epoch seconds of the script's 0
    record: dict[str, Any]
    tokens: dict[str, str]  # party role -> invitation token
    invitations: dict[str, dict]
    messages: dict[str, list[dict[str, Any]]]  # who -> what their socket received
    ended: float  # time.monotonic() when the end was asked for
    ready: float  # ... and when the draft was first seen

    def line_epoch(self, line: Line) -> float:
        return self.t0 + line.at

    @property
    def record_started(self) -> float:
        """Epoch seconds of the interview clock's 0."""
        return datetime.fromisoformat(self.record["header"]["started_at"]).timestamp()

    @property
    def origin_ms(self) -> int:
        return int(self.record_started * 1000)

    def turn_epoch(self, turn: dict[str, Any]) -> float:
        return self.record_started + turn["start"]


async def converse(room: Interview, lines: list[tuple[str, str]], *, voice: str,
                   language: str, wait: float = 300.0) -> Conversation:
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:  # a case of its own, so that the case holds one conversation's evidence
            room.case = await room.api.case(room.staff)
        conv, lost = await _converse(room, lines, voice=voice, language=language, wait=wait)
        if not lost:
            return conv
        print(f"conversation attempt {attempt}: the test's own senders were starved and "
              f"skipped part of {lost}; running it again")
    raise AssertionError(f"the machine is too busy: {ATTEMPTS} conversations each lost speech "
                         "in the test's own senders")


async def _converse(room: Interview, lines: list[tuple[str, str]], *, voice: str,
                    language: str, wait: float) -> tuple[Conversation, list[str]]:
    interview = await room.api.interview(room.staff, room.case["id"], language=language)
    room.interview, room.id = interview, interview["id"]
    said = script(lines, voice)
    worker_invite = await room.invite("李工人", "worker")
    voices = {who: ScriptedAudio([l for l in said if l.who == who]) for who in WHO}
    # Small video: what is measured here is speech.
    small = {"width": 160, "height": 120}
    inspector = await room.join(room.staff["Authorization"].split()[1], label=1,
                                audio=voices["inspector"], **small)
    worker = await room.join(worker_invite["token"], label=2, audio=voices["worker"], **small)
    await worker.wait_for(lambda c: c.received.get(inspector.you, {}).get("audio") is not None)
    await inspector.wait_for(lambda c: c.received.get(worker.you, {}).get("audio") is not None)
    t0 = time.time() + 0.3
    for track in voices.values():
        track.start(t0)
    await asyncio.sleep(max(0.0, t0 + said[-1].end + 1.5 - time.time()))
    ended = time.monotonic()
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    await room.close()
    record = await wait_for_record(room, wait)  # also when retrying: no job left running
    ready = time.monotonic()
    lost = [text for track in voices.values() for text in lost_speech(track)]
    return Conversation(said, t0, record, {"worker": worker_invite["token"]},
                        {"worker": worker_invite},
                        {"inspector": inspector.messages, "worker": worker.messages},
                        ended, ready), lost


async def wait_for_record(room: Interview, wait: float) -> dict[str, Any]:
    return await wait_for_draft(room.api, room.staff, room.id, wait)


async def wait_for_draft(api: Any, staff: dict, interview_id: str,  # noqa: ANN401 - an Api
                         wait: float = 120) -> dict[str, Any]:
    """The record once the machine draft exists (or its job failed), with the progress
    figures seen on the way in `seen_progress`."""
    deadline = time.monotonic() + wait
    seen_progress = []
    while True:
        record = await api.ok("GET", f"/api/interviews/{interview_id}/record", headers=staff)
        job = record["job"]
        assert job is not None, "ending the interview queued no transcription job"
        seen_progress.append(job["progress"])
        if record["status"] != "pending" or job["state"] == "failed":
            record["seen_progress"] = seen_progress
            return record
        assert time.monotonic() < deadline, f"no draft after {wait} s: {job}"
        await asyncio.sleep(0.5)
