"""A scripted interview through real aiortc peers: an inspector and a worker take turns
speaking espeak-ng lines (a worker without lines stays silent), the inspector ends the
interview, and the test waits for the machine draft of the record.

Two peers only: every peer and the server share this process and its two cores, and a
third peer costs the recordings frames (measured: ~40% of audio frames lost with three
in-process peers, none with two), which is a test artefact, not what phones see.

Even two peers are held up now and then when the machine is busy; the senders then send
what they owe at once (`ScriptedAudio`), the server places it by RTP time, and the call
carries the whole script: one conversation a test, never run again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.support.clock import now
from tests.support.rooms import Interview
from tests.support.rtc import RtcClient
from tests.support.speech import Line, ScriptedAudio, script

WHO = {"inspector": ("Wang", "inspector"), "worker": ("李工人", "worker")}


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
                   language: str, wait: float = 300.0,
                   stay_until: Callable[[RtcClient], bool] | None = None) -> Conversation:
    """`stay_until`: after the last line, both parties stay in the call until it holds of
    each (at most a minute), as people who wait for the captions before hanging up."""
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
    t0 = now() + 0.3
    for track in voices.values():
        track.start(t0)
    await asyncio.sleep(max(0.0, t0 + said[-1].end + 1.5 - now()))
    if stay_until is not None:
        await asyncio.gather(inspector.wait_for(stay_until, 60), worker.wait_for(stay_until, 60))
    ended = time.monotonic()
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    await room.close()
    record = await wait_for_record(room, wait)
    ready = time.monotonic()
    behind = {who: round(track.most_behind, 2) for who, track in voices.items()}
    print(f"conversation: the senders were at most {behind} s behind their clocks")
    return Conversation(said, t0, record, {"worker": worker_invite["token"]},
                        {"worker": worker_invite},
                        {"inspector": inspector.messages, "worker": worker.messages},
                        ended, ready)


async def wait_for_record(room: Interview, wait: float) -> dict[str, Any]:
    return await wait_for_draft(room.api, room.staff, room.id, wait)


async def wait_for_draft(api: Any, staff: dict, interview_id: str,  # noqa: ANN401 - an Api
                         wait: float = 120) -> dict[str, Any]:
    """The record once the machine draft's job is done (or failed), with the progress
    figures seen on the way in `seen_progress`. Done, not only drafted: the draft is
    saved a moment before its job is marked done."""
    deadline = time.monotonic() + wait
    seen_progress = []
    while True:
        record = await api.ok("GET", f"/api/interviews/{interview_id}/record", headers=staff)
        job = record["job"]
        assert job is not None, "ending the interview queued no transcription job"
        seen_progress.append(job["progress"])
        if job["state"] in ("done", "failed"):
            record["seen_progress"] = seen_progress
            return record
        assert time.monotonic() < deadline, f"no draft after {wait} s: {job}"
        await asyncio.sleep(0.5)
