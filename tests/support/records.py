"""Records without a call: a machine draft written as the transcription job writes it,
and one sent to a party and confirmed with a drawn signature."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import cv2
import numpy as np

from server.appkeys import SESSIONS, STORE
from server.db.models import Interview
from server.records import write_version
from tests.support.api import Api, bearer
from transcription.record import build_draft

if TYPE_CHECKING:
    from tests.support.rooms import Interview as Room


def signature_png() -> str:
    image = np.zeros((200, 600, 4), np.uint8)
    cv2.polylines(image, [np.array([[30, 150], [200, 40], [450, 160]], np.int32)], False, (0, 0, 0, 255), 6)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return "data:image/png;base64," + base64.b64encode(data.tobytes()).decode()


async def write_machine_draft(api: Api, interview_id: str, case: dict, *,
                              interviewee: tuple[str, str], turns: list[dict],
                              language: str = "en") -> dict:
    """Version 1 of the interview's record, written as the transcription job writes it
    after a call (no call here: tests/test_records_pipeline.py proves that path); returns
    the draft's content."""
    sessions = api.app[SESSIONS]
    async with sessions() as session:
        row = await session.get(Interview, interview_id)
    now = datetime.now(UTC)
    draft = build_draft(
        interview_id=row.id, case_id=row.case_id, language=language, case_number=case["number"],
        case_title=case["title"], employer=case["employer"], started_at=now - timedelta(minutes=5),
        ended_at=now, inspectors=["Wang"], interviewees=[interviewee], turns=turns)
    await write_version(sessions, api.app[STORE], row, draft, number=1, based_on=None, author_id=None)
    return draft


@dataclass
class Drafted:
    """An interview whose machine draft is written, and its worker's invitation: what the
    record's tests need of a call (the names are `Conversation`'s)."""
    record: dict
    tokens: dict[str, str]  # party role -> invitation token
    invitations: dict[str, dict]


async def drafted(room: Room, lines: list[tuple[str, str]], language: str = "en") -> Drafted:
    """A new interview in `room`'s case, in `language`, with a worker (李工人) invited and
    the machine draft of `lines` (("inspector" | "worker", text), two seconds each)
    written; `room` then stands for that interview."""
    api = room.api
    room.interview = await api.interview(room.staff, room.case["id"], language=language)
    room.id = room.interview["id"]
    invitation = await room.invite("李工人", "worker")
    names = {"inspector": "Wang", "worker": "李工人"}
    await write_machine_draft(api, room.id, room.case, interviewee=("李工人", "worker"), turns=[
        {"speaker": names[who], "role": who, "start": 2 * n, "end": 2 * n + 2, "text": text}
        for n, (who, text) in enumerate(lines)], language=language)
    record = await api.ok("GET", f"/api/interviews/{room.id}/record", headers=room.staff)
    return Drafted(record, {"worker": invitation["token"]}, {"worker": invitation})


async def confirmed_record(api: Api) -> tuple[dict[str, str], dict, str, dict, dict[str, str]]:
    """A machine draft, written as the transcription job writes it (no call needed here),
    sent to Zhang San and confirmed with a drawn signature, and checked intact. Returns
    the staff's headers, the case, the record's API path, the draft and the party's
    headers."""
    wang, case, interview = await api.setup_case()
    invitation = await api.invite(wang, interview["id"], name="Zhang San")
    draft = await write_machine_draft(api, interview["id"], case, interviewee=("Zhang San", "worker"), turns=[
        {"speaker": "Wang", "role": "inspector", "start": 0, "end": 2,
         "text": "How long have you worked here?"},
        {"speaker": "Zhang San", "role": "worker", "start": 2, "end": 4, "text": "Two years."}])
    path = f"/api/interviews/{interview['id']}/record"
    await api.ok("POST", f"{path}/send", 201, headers=wang, json={"invitation_id": invitation["id"]})
    worker = bearer(invitation["token"])
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    await api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 1, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    assert (await api.ok("POST", f"{path}/verify", headers=wang))["ok"] is True
    return wang, case, path, draft, worker
