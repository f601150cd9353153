"""The record after the machine draft: versions, differences, sending to a party, the
party's confirmation with a drawn signature or refusal, the PDF, and tamper checks.
The machine draft is written as the transcription job writes it: the call and the
pipeline that make it are tests/test_records_pipeline.py's."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import cv2
import numpy as np
import pypdf
import pytest
from sqlalchemy import select, update

from server.appkeys import SESSIONS
from server.db.record_models import RecordConfirmation, RecordVersion
from tests.support.api import bearer
from tests.support.records import Drafted, drafted
from tests.support.rooms import Interview

pytestmark = [pytest.mark.api,
              pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)]

LINES = [
    ("inspector", "How long have you worked for this company?"),
    ("worker", "I have worked here for two years."),
]


def signature_png(blank: bool = False) -> str:
    image = np.full((200, 600, 4), 0, np.uint8)
    if not blank:
        cv2.polylines(image, [np.array([[30, 150], [120, 40], [200, 160], [320, 50],
                                        [450, 140], [560, 60]], np.int32)],
                      False, (0, 0, 0, 255), 6)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return "data:image/png;base64," + base64.b64encode(data.tobytes()).decode()


def edited(record: dict, **changes: str) -> list[dict]:
    turns = [{k: v for k, v in t.items() if k not in ("low_confidence", "audio_url")}
             for t in record["turns"]]
    for index, text in changes.items():
        turns[int(index[1:])]["text"] = text
    return turns


async def draft(room: Interview) -> Drafted:
    conv = await drafted(room, LINES)
    assert conv.record["status"] == "draft" and len(conv.record["turns"]) == 2, conv.record
    return conv


async def test_edit_send_confirm_correct_and_refuse(room: Interview) -> None:
    conv = await draft(room)
    api, staff, path = room.api, room.staff, f"/api/interviews/{room.id}/record"
    machine = conv.record
    worker = bearer(conv.tokens["worker"])

    # Every save is a new version built on the latest; the machine draft stays.
    v2 = await api.ok("POST", f"{path}/versions", 201, headers=staff, json={
        "based_on": 1, "turns": edited(machine, t1="I have worked here for two years, since 2024.")})
    assert v2["version"] == 2 and v2["status"] == "draft" and v2["author"]["username"] == "wang"
    assert v2["turns"][1]["text"].endswith("since 2024.") and v2["sha256"] != machine["sha256"]
    again = await api.ok("GET", f"{path}?version=1", headers=staff)
    assert again["turns"] == machine["turns"] and again["sha256"] == machine["sha256"]
    stale = await api.call("POST", f"{path}/versions", headers=staff,
                           json={"based_on": 1, "turns": edited(machine)})
    assert stale[0] == 409 and stale[1]["error"] == "stale_version"
    bad = edited(machine)
    bad[0]["role"] = "boss"
    status, body = await api.call("POST", f"{path}/versions", headers=staff,
                                  json={"based_on": 2, "turns": bad})
    assert status == 400 and "turn 1" in body["message"].lower(), body
    bad = edited(machine)
    bad[1]["flags"] = ["loud"]  # "echo" is the only mark there is
    status, body = await api.call("POST", f"{path}/versions", headers=staff,
                                  json={"based_on": 2, "turns": bad})
    assert status == 400 and "flags" in body["message"], body
    changes = (await api.ok("GET", f"{path}/diff?from=1&to=2", headers=staff))["changes"]
    replaced = [c for c in changes if c["op"] == "replace"]
    assert replaced and replaced[0]["after"][0]["text"].endswith("since 2024.")

    # Nothing was sent to the worker yet; then it reads exactly version 2.
    status, body = await api.call("GET", "/api/invitation/record", headers=worker)
    assert status == 404 and body["error"] == "no_record"
    sent = await api.ok("POST", f"{path}/send", 201, headers=staff,
                        json={"invitation_id": conv.invitations["worker"]["id"]})
    assert sent["version"] == 2 and sent["state"] == "awaiting"
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    assert shown["version"] == 2 and shown["state"] == "awaiting"
    assert hashlib.sha256(shown["text"].encode()).hexdigest() == shown["text_sha256"]
    assert "since 2024." in shown["text"] and "recording_id" not in json.dumps(shown)

    # Refusals of a bad answer, each with a clear 4xx.
    for body, code in (
            ({"version": 2, "text_sha256": "0" * 64, "signature": signature_png()}, "text_changed"),
            ({"version": 2, "text_sha256": shown["text_sha256"], "signature": "data:image/png;base64,AAAA"},
             "invalid_signature"),
            ({"version": 2, "text_sha256": shown["text_sha256"], "signature": signature_png(blank=True)},
             "empty_signature")):
        status, answer = await api.call("POST", "/api/invitation/record/confirm", headers=worker, json=body)
        assert 400 <= status < 500 and answer["error"] == code, (status, answer)
    huge = "data:image/png;base64," + "A" * (1 << 20)
    status, _ = await api.call("POST", "/api/invitation/record/confirm", headers=worker,
                               json={"version": 2, "text_sha256": shown["text_sha256"], "signature": huge})
    assert status in (400, 413)

    confirmed = await api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 2, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    assert confirmed["decision"] == "confirmed" and confirmed["signature_sha256"]
    twice = await api.call("POST", "/api/invitation/record/confirm", headers=worker, json={
        "version": 2, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    assert twice[0] == 409 and twice[1]["error"] == "already_answered"
    record = await api.ok("GET", path, headers=staff)
    assert record["status"] == "confirmed" and record["version"] == 2
    assert (await api.ok("GET", "/api/invitation/record", headers=worker))["state"] == "confirmed"

    # A party's token reaches nothing of the staff's.
    assert (await api.call("GET", path, headers=worker))[0] == 403

    # The confirmed PDF is stored as evidence; its text comes back, hash on every page.
    async with api.client.get(f"{path}.pdf", headers=staff) as resp:
        assert resp.status == 200 and resp.content_type == "application/pdf"
        pdf = await resp.read()
    items = await api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=staff)
    kinds = sorted(i["kind"] for i in items if i["kind"] != "recording")
    assert kinds == ["confirmation", "record", "record", "record-pdf", "record-text", "record-text",
                     "signature"], kinds
    stored_pdf = next(i for i in items if i["kind"] == "record-pdf")
    assert stored_pdf["sha256"] == hashlib.sha256(pdf).hexdigest()
    events = (await api.ok("GET", f"/api/cases/{room.case['id']}/custody", headers=staff))["events"]
    assert ("downloaded", stored_pdf["id"]) in [(e["action"], e["item_id"]) for e in events]
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert all(record["sha256"] in "".join(p.split()) for p in pages)
    assert "李工人" in "".join(pages[0].split()) and "since2024" in "".join("".join(pages).split())

    # A confirmed version is not edited: a correction needs a reason, then a new answer.
    status, body = await api.call("POST", f"{path}/versions", headers=staff,
                                  json={"based_on": 2, "turns": edited(record)})
    assert status == 409 and body["error"] == "record_confirmed"
    v3 = await api.ok("POST", f"{path}/versions", 201, headers=staff, json={
        "based_on": 2, "turns": edited(record, t0="How long have you worked for this firm?"),
        "correction_reason": "The worker said 'firm'."})
    assert v3["status"] == "draft" and v3["correction_reason"]
    await api.ok("POST", f"{path}/send", 201, headers=staff,
                 json={"invitation_id": conv.invitations["worker"]["id"]})
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    assert shown["version"] == 3 and shown["state"] == "awaiting"
    refused = await api.ok("POST", "/api/invitation/record/refuse", 201, headers=worker, json={
        "version": 3, "text_sha256": shown["text_sha256"], "reason": "我没有说过这句话"})
    assert refused["decision"] == "refused"
    record = await api.ok("GET", path, headers=staff)
    assert record["status"] == "refused"  # the badge says so
    assert [c["decision"] for c in record["confirmations"]] == ["confirmed", "refused"]

    # A version sent and then replaced before the party answered: the phone is told so.
    await api.ok("POST", f"{path}/versions", 201, headers=staff,
                 json={"based_on": 3, "turns": edited(record, t1="Two years.")})
    await api.ok("POST", f"{path}/send", 201, headers=staff,
                 json={"invitation_id": conv.invitations["worker"]["id"]})
    await api.ok("POST", f"{path}/versions", 201, headers=staff,
                 json={"based_on": 4, "turns": edited(record, t1="Two full years.")})
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    assert shown["version"] == 4 and shown["state"] == "superseded"
    late = await api.call("POST", "/api/invitation/record/confirm", headers=worker, json={
        "version": 4, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    assert late[0] == 409 and late[1]["error"] == "already_answered"

    verdict = await api.ok("POST", f"{path}/verify", headers=staff)
    assert verdict == {"ok": True, "problems": [], "discrepancies": [], "versions": 5, "confirmations": 2}


async def test_tampered_records_and_confirmations_are_named(room: Interview) -> None:
    conv = await draft(room)
    api, staff, path = room.api, room.staff, f"/api/interviews/{room.id}/record"
    worker = bearer(conv.tokens["worker"])
    await api.ok("POST", f"{path}/send", 201, headers=staff,
                 json={"invitation_id": conv.invitations["worker"]["id"]})
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    await api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 1, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    assert (await api.ok("POST", f"{path}/verify", headers=staff))["ok"] is True

    # Someone with database access rewrites what the worker said, and what was signed.
    async with api.app[SESSIONS]() as session, session.begin():
        row = await session.scalar(select(RecordVersion).where(RecordVersion.interview_id == room.id))
        content = json.loads(row.content)
        content["turns"][1]["text"] = "I have never worked here."
        await session.execute(update(RecordVersion).where(RecordVersion.id == row.id)
                              .values(content=json.dumps(content)))
        answer = await session.scalar(select(RecordConfirmation))
        stated = json.loads(answer.statement)
        stated["decision"] = "refused"
        await session.execute(update(RecordConfirmation).where(RecordConfirmation.id == answer.id)
                              .values(statement=json.dumps(stated), decision="refused"))
    verdict = await api.ok("POST", f"{path}/verify", headers=staff)
    problems = "\n".join(verdict["problems"])
    assert verdict["ok"] is False
    assert "version 1: its content does not match its SHA-256" in problems
    assert "the stored JSON differs" in problems
    assert "statement differs from the stored one" in problems
    assert "signature over the statement does not verify" in problems
