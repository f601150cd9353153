"""The inquiry record: read, edit (a new version per save), compare, send to a party,
the party's answer, the PDF, and a check of everything stored. See docs/records.md."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
from typing import Any

import cv2
import numpy as np
from aiohttp import web

from evidence import confirmation
from evidence.chain import canonical_json
from evidence.errors import StoreError
from server.appkeys import SESSIONS, SIGNING_KEY, STORE, TRANSCRIPTION
from server.db.models import (
    ConfirmationRequest, EvidenceItem, Interview, RecordConfirmation, RecordVersion, new_id,
)
from server.db.types import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.identity import require_party, require_staff
from server.records import record_key, write_version
from server.services import cases, custody, evidence, interviews, records
from server.services.cases import require_inspector
from server.views.common import transaction
from server.views.parse import json_object, only, path_id
from server.views.serialize import when
from transcription import record as text_of
from transcription.pdf import FontMissing, render_pdf

routes = web.RouteTableDef()
RECORD_BODY = 4 * 1024 * 1024  # a long interview's whole record
SIGNATURE_BYTES = 512 * 1024
SIGNATURE_BODY = SIGNATURE_BYTES * 4 // 3 + 16 * 1024
_PNG = b"\x89PNG\r\n\x1a\n"


# --- staff ------------------------------------------------------------------------------

@routes.get("/api/interviews/{interview_id}/record")
async def get_record(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    number = _version_query(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
    return web.json_response(_answer(state, number))


@routes.post("/api/interviews/{interview_id}/record/versions")
async def save_version(request: web.Request) -> web.Response:
    """A new version from the editor. It must build on the latest version; a confirmed
    version is corrected only with a stated reason, and the correction needs a new
    confirmation."""
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False, max_size=RECORD_BODY)
    only(body, {"based_on", "turns", "notice", "closing", "correction_reason"})
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        require_inspector(staff)
        state = await records.load(session, interview)
    latest = state.latest
    if latest is None:
        raise Conflict("There is no draft yet: wait for the transcription to finish.",
                       code="no_record")
    based_on = body.get("based_on")
    if not isinstance(based_on, int) or isinstance(based_on, bool):
        raise InvalidInput("'based_on' must be the version number the edit started from.")
    if based_on != latest.version:
        raise Conflict(f"Version {latest.version} was saved since you opened version "
                       f"{based_on}; reload to see it.", code="stale_version")
    reason = _text(body, "correction_reason", 2000)
    if state.confirmed(latest.version) and not reason:
        raise Conflict(f"Version {latest.version} has been confirmed and cannot be edited; "
                       "a correction needs a reason and a new confirmation.",
                       code="record_confirmed")
    content = dict(records.content_of(latest))
    try:
        content["turns"] = text_of.validate_turns(body.get("turns"))
        for name in ("notice", "closing"):
            if name in body:
                content[name] = text_of.validate_text(body[name], name, 10_000)
    except ValueError as exc:
        raise InvalidInput(str(exc), code="invalid_record") from None
    await write_version(request.app[SESSIONS], request.app[STORE], interview, content,
                        number=latest.version + 1, based_on=latest.version,
                        author_id=staff.user_id, correction_reason=reason,
                        derived_from=latest.item_id)
    async with transaction(request) as session:
        state = await records.load(session, interview)
    return web.json_response(_answer(state, None), status=201)


@routes.get("/api/interviews/{interview_id}/record/diff")
async def diff(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
    before = _version(state, _int_query(request, "from"))
    after = _version(state, _int_query(request, "to"))
    changes = text_of.diff_versions(records.content_of(before), records.content_of(after))
    return web.json_response({"from": before.version, "to": after.version, "changes": changes})


@routes.post("/api/interviews/{interview_id}/record/send")
async def send(request: web.Request) -> web.Response:
    """Ask one party (by invitation) to read and confirm a version on the phone."""
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"invitation_id", "version"})
    invitation_id = body.get("invitation_id")
    if not isinstance(invitation_id, str):
        raise InvalidInput("'invitation_id' names the party's invitation.", code="missing_field")
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        require_inspector(staff)
        state = await records.load(session, interview)
        number = body.get("version", state.latest.version if state.latest else None)
        version = _version(state, number if isinstance(number, int) else None)
        invitation = state.invitations.get(invitation_id)
        if invitation is None:
            raise NotFound("That invitation is not one of this interview's.")
        if interviews.invitation_state(invitation) != "active":
            raise Conflict(f"{invitation.name}'s link is {interviews.invitation_state(invitation)}:"
                           " send a new invitation first.", code="invitation_inactive")
        if state.confirmed(version.version):
            raise Conflict(f"Version {version.version} is already confirmed.",
                           code="record_confirmed")
        if version.version != state.latest.version:
            raise Conflict("Only the latest version can be sent for confirmation.",
                           code="stale_version")
        for old in state.requests:  # one open request per party
            if old.invitation_id == invitation.id and old.state == "awaiting":
                old.state = "superseded"
        request_row = ConfirmationRequest(interview_id=interview.id, invitation_id=invitation.id,
                                          version=version.version, sent_by=staff.user_id)
        session.add(request_row)
        await session.flush()
        answer = _request(request_row, state)
    return web.json_response(answer, status=201)


@routes.post("/api/interviews/{interview_id}/record/retry")
async def retry(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        require_inspector(staff)
        job = await records.retry_job(session, interview.id)
        answer = _job(job)
    request.app[TRANSCRIPTION].wake()
    return web.json_response(answer, status=202)


@routes.get("/api/interviews/{interview_id}/record.pdf")
async def pdf(request: web.Request) -> web.Response:
    """The stored PDF of a confirmed version; a draft is rendered on the fly, marked draft."""
    staff = await require_staff(request)
    number = _version_query(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
        version = _version(state, number)
        confirmed = state.confirmed(version.version)
        stored_key = None
        if confirmed is not None and confirmed.pdf_item_id:
            item = await session.get(EvidenceItem, confirmed.pdf_item_id)
            stored_key = item.object_key if item else None
    if stored_key is not None:
        data = await _read(request, stored_key)
    else:
        data = await _render(request, state, version, draft=True)
    name = f"record-{interview.id[:8]}-v{version.version}.pdf"
    return web.Response(body=data, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"',
        "X-Record-SHA256": version.sha256, "Cache-Control": "private, no-store"})


@routes.post("/api/interviews/{interview_id}/record/verify")
async def verify(request: web.Request) -> web.Response:
    """Re-read every version, confirmation and signature from the object store and check
    hashes and the server's signatures. Names each problem."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
        items = {i.id: i for i in await records.items_of(session, interview.id)}
    problems = []
    texts: dict[int, tuple[str, str]] = {}
    for version in state.versions:
        problems.extend(await _check_version(request, version, items.get(version.item_id)))
        content = records.content_of(version)
        texts[version.version] = (text_of.content_sha256(content), text_of.text_sha256(content))
    public = request.app[SIGNING_KEY].public_key()
    for answer in state.confirmations:
        where = f"{answer.decision} by {answer.name} (version {answer.version})"
        stated, found = await _statement(request, answer, items)
        problems.extend(f"{where}: {p}" for p in found)
        png = None
        if answer.signature_item_id:
            png = await _stored(request, items.get(answer.signature_item_id), problems, where)
        record_sha, text_sha = texts.get(answer.version, ("", ""))
        problems.extend(f"{where}: {p}" for p in confirmation.check(
            stated, answer.server_signature, public, record_sha256=record_sha,
            text_sha256=text_sha, signature_png=png))
    return web.json_response({"ok": not problems, "problems": problems,
                              "versions": len(state.versions),
                              "confirmations": len(state.confirmations)})


# --- the party ------------------------------------------------------------------------

@routes.get("/api/invitation/record")
async def party_record(request: web.Request) -> web.Response:
    party = await require_party(request)
    async with transaction(request) as session:
        asked, version, answer = await _party_request(session, party.invitation_id)
    content = records.content_of(version)
    return web.json_response({
        "version": version.version, "sha256": version.sha256,
        "text": text_of.render_text(content), "text_sha256": version.text_sha256,
        "language": content.get("language"), "header": content["header"],
        "turns": [_public_turn(t) for t in content["turns"]],
        "state": asked.state if asked.state != "superseded" else "awaiting",
        "confirmation": _confirmation(answer) if answer else None,
    })


@routes.post("/api/invitation/record/confirm")
async def party_confirm(request: web.Request) -> web.Response:
    party = await require_party(request)
    body = await json_object(request, allow_empty=False, max_size=SIGNATURE_BODY)
    only(body, {"version", "text_sha256", "signature"})
    png = _signature_png(body.get("signature"))
    return await _answer_request(request, party, body, "confirmed", "", png)


@routes.post("/api/invitation/record/refuse")
async def party_refuse(request: web.Request) -> web.Response:
    party = await require_party(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"version", "text_sha256", "reason"})
    reason = _text(body, "reason", 2000)
    if not reason:
        raise InvalidInput("Please say why you do not confirm the record.", code="missing_field")
    return await _answer_request(request, party, body, "refused", reason, None)


async def _answer_request(request: web.Request, party: Any, body: dict[str, Any], decision: str,
                          reason: str, png: bytes | None) -> web.Response:
    async with transaction(request) as session:
        asked, version, answered = await _party_request(session, party.invitation_id)
        interview = await session.get(Interview, asked.interview_id)
    if answered is not None or asked.state != "awaiting":
        raise Conflict("This record has already been answered or replaced by a newer version.",
                       code="already_answered")
    if body.get("version") != version.version or body.get("text_sha256") != version.text_sha256:
        raise Conflict("The record changed since it was shown; please read it again.",
                       code="text_changed")
    store, key = request.app[STORE], request.app[SIGNING_KEY]
    answer_id = new_id()
    at = utcnow()
    signature_sha, signature_item = "", None
    if png is not None:
        signature_sha, size = await evidence.store_bytes(
            store, record_key(interview.id, f"signature-{answer_id}.png"), png, "image/png")
        signature_item = evidence.item(
            case_id=interview.case_id, interview_id=interview.id, kind="signature",
            key=record_key(interview.id, f"signature-{answer_id}.png"), content_type="image/png",
            sha256=signature_sha, size=size, derived_from=None,
            observed={"confirmation": answer_id, "invitation": party.invitation_id,
                      "received_at": when(at)})
    stated = confirmation.statement(
        confirmation_id=answer_id, interview_id=interview.id, invitation_id=party.invitation_id,
        name=party.name, role=party.role.value, version=version.version,
        record_sha256=version.sha256, text_sha256=version.text_sha256, decision=decision,
        reason=reason, signature_sha256=signature_sha, at=when(at))
    signed = confirmation.sign(key, stated)
    document = canonical_json({"statement": stated, "server_signature": signed})
    doc_key = record_key(interview.id, f"confirmation-{answer_id}.json")
    doc_sha, doc_size = await evidence.store_bytes(store, doc_key, document, "application/json")
    doc_item = evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="confirmation", key=doc_key,
        content_type="application/json", sha256=doc_sha, size=doc_size,
        derived_from=version.item_id,
        observed={"decision": decision, "version": version.version, "at": when(at),
                  "invitation": party.invitation_id,
                  "address": request.remote or ""},
        claimed={"user_agent": request.headers.get("User-Agent", "")[:300]})
    pdf_item = None
    if decision == "confirmed":
        pdf_item = await _store_confirmed_pdf(request, interview, version, stated, png)
    async with transaction(request) as session:
        if not await records.answer_request(session, asked.id, decision):
            raise Conflict("This record has already been answered or replaced by a newer "
                           "version.", code="already_answered")
        for item in (signature_item, doc_item, pdf_item):
            if item is not None:
                session.add(item)
        await session.flush()
        row = RecordConfirmation(
            id=answer_id, interview_id=interview.id, request_id=asked.id,
            invitation_id=party.invitation_id, version=version.version, name=party.name,
            role=party.role.value, decision=decision, reason=reason,
            record_sha256=version.sha256, text_sha256=version.text_sha256,
            signature_sha256=signature_sha,
            signature_item_id=signature_item.id if signature_item else None,
            statement=canonical_json(stated).decode(), server_signature=signed,
            item_id=doc_item.id, pdf_item_id=pdf_item.id if pdf_item else None, at=at)
        session.add(row)
        await session.flush()
        await custody.record(
            session, case_id=interview.case_id, action=f"record_{decision}",
            actor=custody.party_actor(party), item_id=doc_item.id,
            detail={"interview": interview.id, "version": version.version,
                    "text_sha256": version.text_sha256, "reason": reason})
        answer = _confirmation(row)
    return web.json_response(answer, status=201)


async def _store_confirmed_pdf(request: web.Request, interview: Interview,
                               version: RecordVersion, stated: dict[str, Any],
                               png: bytes | None) -> Any:
    content = records.content_of(version)
    data = await _pdf_bytes(content, version, [stated], png, draft=False)
    key = record_key(interview.id, f"v{version.version:04d}-confirmed-{stated['id']}.pdf")
    sha, size = await evidence.store_bytes(request.app[STORE], key, data, "application/pdf")
    return evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="record-pdf", key=key,
        content_type="application/pdf", sha256=sha, size=size, derived_from=version.item_id,
        observed={"version": version.version, "record_sha256": version.sha256,
                  "confirmation": stated["id"]})


# --- helpers ----------------------------------------------------------------------------

async def _party_request(session: Any, invitation_id: str) -> tuple[
        ConfirmationRequest, RecordVersion, RecordConfirmation | None]:
    asked = await records.request_for_party(session, invitation_id)
    if asked is None:
        raise NotFound("No record has been sent to you to read yet.", code="no_record")
    version = await records.version_row(session, asked.interview_id, asked.version)
    answer = await records.answer_for_request(session, asked.id)
    return asked, version, answer


def _answer(state: records.RecordState, number: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"interview_id": state.interview.id, "status": "pending",
                           "job": _job(state.job) if state.job else None,
                           "latest_version": state.latest.version if state.latest else None,
                           "versions": [_version_entry(v, state) for v in state.versions],
                           "requests": [_request(r, state) for r in state.requests],
                           "confirmations": [_confirmation(c) for c in state.confirmations],
                           "turns": []}
    if state.latest is None:
        if number is not None:
            raise NotFound(f"There is no version {number}.")
        return out
    version = _version(state, number)
    content = records.content_of(version)
    turns = text_of.annotate(content)
    for turn in turns:
        audio = turn.get("audio")
        if audio:
            turn["audio_url"] = (f"/api/recordings/{audio['recording_id']}/media"
                                 f"?from={audio['from']}&to={audio['to']}")
    out.update(
        status="confirmed" if state.confirmed(version.version) else "draft",
        version=version.version, sha256=version.sha256, text_sha256=version.text_sha256,
        based_on=version.based_on, created_at=when(version.created_at),
        author=_author(version), correction_reason=version.correction_reason,
        language=content.get("language"), header=content["header"], notice=content["notice"],
        turns=turns, closing=content["closing"], text=text_of.render_text(content))
    return out


def _version_entry(v: RecordVersion, state: records.RecordState) -> dict[str, Any]:
    return {"version": v.version, "sha256": v.sha256, "created_at": when(v.created_at),
            "author": _author(v), "based_on": v.based_on,
            "correction_reason": v.correction_reason,
            "confirmed": state.confirmed(v.version) is not None}


def _author(v: RecordVersion) -> dict[str, str] | None:
    if v.author is None:
        return None
    return {"username": v.author.username, "display_name": v.author.display_name}


def _job(job: Any) -> dict[str, Any]:
    return {"state": job.state.value, "progress": job.progress, "stage": job.stage,
            "message": job.message, "attempts": job.attempts,
            "created_at": when(job.created_at), "finished_at": when(job.finished_at)}


def _request(r: ConfirmationRequest, state: records.RecordState) -> dict[str, Any]:
    invitation = state.invitations.get(r.invitation_id)
    return {"id": r.id, "invitation_id": r.invitation_id, "version": r.version,
            "name": invitation.name if invitation else None,
            "role": invitation.role.value if invitation else None,
            "sent_at": when(r.sent_at), "state": r.state}


def _confirmation(c: RecordConfirmation) -> dict[str, Any]:
    return {"id": c.id, "version": c.version, "decision": c.decision, "name": c.name,
            "role": c.role, "reason": c.reason, "text_sha256": c.text_sha256,
            "record_sha256": c.record_sha256, "at": when(c.at),
            "signature_sha256": c.signature_sha256 or None}


def _public_turn(turn: dict[str, Any]) -> dict[str, Any]:
    """What the party's phone needs of a turn (no recording ids)."""
    return {k: turn[k] for k in ("speaker", "role", "kind", "start", "end", "text") if k in turn}


def _version(state: records.RecordState, number: int | None) -> RecordVersion:
    if state.latest is None:
        raise NotFound("There is no record yet: the transcription has not finished.",
                       code="no_record")
    version = state.version(number)
    if version is None:
        raise NotFound(f"There is no version {number}.")
    return version


def _version_query(request: web.Request) -> int | None:
    raw = request.query.get("version")
    return None if raw is None else _int_query(request, "version")


def _int_query(request: web.Request, name: str) -> int:
    raw = request.query.get(name, "")
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidInput(f"'{name}' must be a version number.")
    return int(raw)


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    try:
        return text_of.validate_text(value, name, limit)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _signature_png(value: object) -> bytes:
    """A drawn signature from the phone: a PNG data URL, checked to be a real image."""
    prefix = "data:image/png;base64,"
    if not isinstance(value, str) or not value.startswith(prefix):
        raise InvalidInput("'signature' must be a PNG image as a data: URL.",
                           code="invalid_signature")
    try:
        png = base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("The signature image is not valid base64.",
                           code="invalid_signature") from None
    if len(png) > SIGNATURE_BYTES:
        raise InvalidInput("The signature image is larger than 512 KiB.", code="invalid_signature")
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED) \
        if png.startswith(_PNG) else None
    if image is None or not (16 <= image.shape[0] <= 4096 and 16 <= image.shape[1] <= 4096):
        raise InvalidInput("The signature is not a readable PNG image of a sensible size.",
                           code="invalid_signature")
    if _blank(image):
        raise InvalidInput("The signature is empty: please sign in the box.",
                           code="empty_signature")
    return png


def _blank(image: np.ndarray) -> bool:
    """No strokes: every pixel alike in every channel (colour and transparency), or
    nothing visible at all."""
    flat = image.reshape(-1, image.shape[2] if image.ndim == 3 else 1)
    if flat.shape[1] == 4 and int(flat[:, 3].max()) == 0:
        return True
    return int((flat.max(axis=0).astype(int) - flat.min(axis=0)).max()) < 16


async def _render(request: web.Request, state: records.RecordState, version: RecordVersion,
                  *, draft: bool) -> bytes:
    content = records.content_of(version)
    answers = [json.loads(c.statement) for c in state.confirmations if c.version == version.version]
    return await _pdf_bytes(content, version, answers, None, draft=draft)


async def _pdf_bytes(content: dict[str, Any], version: RecordVersion, answers: list[dict],
                     png: bytes | None, *, draft: bool) -> bytes:
    try:
        return await asyncio.to_thread(
            render_pdf, content, sha256=version.sha256, version=version.version,
            confirmations=answers, signature_png=png, draft=draft)
    except FontMissing as exc:
        raise Conflict(str(exc), code="font_missing") from None


async def _read(request: web.Request, key: str) -> bytes:
    try:
        return await request.app[STORE].get(key)
    except StoreError as exc:
        raise Conflict(f"The stored PDF cannot be read: {exc}", code="store") from None


async def _check_version(request: web.Request, version: RecordVersion, item: Any) -> list[str]:
    where = f"version {version.version}"
    content = records.content_of(version)
    problems = []
    if text_of.content_sha256(content) != version.sha256:
        problems.append(f"{where}: its content does not match its SHA-256 (altered)")
    if text_of.text_sha256(content) != version.text_sha256:
        problems.append(f"{where}: its text does not match the text hash it was saved with")
    if item is None:
        problems.append(f"{where}: its evidence item is missing")
        return problems
    data = await _stored(request, item, problems, where)
    if data is not None and data != canonical_json(content):
        problems.append(f"{where}: the stored JSON differs from the database copy")
    return problems


async def _stored(request: web.Request, item: Any, problems: list[str], where: str) -> bytes | None:
    if item is None:
        problems.append(f"{where}: its evidence item is missing")
        return None
    try:
        data = await request.app[STORE].get(item.object_key)
    except StoreError as exc:
        problems.append(f"{where}: {item.object_key} cannot be read from the object store ({exc})")
        return None
    if hashlib.sha256(data).hexdigest() != item.sha256:
        problems.append(f"{where}: {item.object_key} does not match its SHA-256 (altered)")
    return data


async def _statement(request: web.Request, answer: RecordConfirmation,
                     items: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The statement as stored in the object store (what was signed), compared with the
    database row's copy."""
    problems: list[str] = []
    stated = json.loads(answer.statement)
    data = await _stored(request, items.get(answer.item_id), problems, "statement")
    if data is not None:
        stored = json.loads(data)
        if stored.get("statement") != stated:
            problems.append("the database copy of the statement differs from the stored one")
        if stored.get("server_signature") != answer.server_signature:
            problems.append("the database copy of the server's signature differs from the stored one")
    for field in ("decision", "reason", "version", "text_sha256", "record_sha256",
                  "signature_sha256", "name"):
        if stated.get(field) != getattr(answer, field):
            problems.append(f"its {field} differs from what the party signed")
    return stated, problems
