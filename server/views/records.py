"""The inquiry record for staff: read, edit (a new version per save), compare, send to a
party, and the PDF. The check of everything stored is `server.views.record_verify`;
the party's answer is in `server.views.party_record`. See docs/records.md."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import web

from evidence.errors import IntegrityError, StoreError
from server.appkeys import NOTIFICATIONS, SESSIONS, SETTINGS, STORE, TRANSCRIPTION
from server.db.models import EvidenceItem
from server.db.record_models import ConfirmationRequest, RecordConfirmation, RecordVersion
from server.errors import Conflict, InvalidInput, NotFound
from server.identity import require_staff
from server.records import officer_signatures, pdf_bytes, version_text, write_version
from server.services import cases, custody, interviews, records
from server.services.cases import require_inspector
from server.views.common import transaction
from server.views.parse import json_object, only, path_id, whole_number
from server.serialize import when
from transcription import record as text_of
from transcription.record_header import edited_header, officers_with_badges

routes = web.RouteTableDef()
RECORD_BODY = 4 * 1024 * 1024  # a long interview's whole record
SIGNATURE_BYTES = 512 * 1024
SIGNATURE_BODY = SIGNATURE_BYTES * 4 // 3 + 16 * 1024


# --- staff ------------------------------------------------------------------------------

@routes.get("/api/interviews/{interview_id}/record")
async def get_record(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    number = _version_query(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
        text = await _shown_text(request, session, state, number)
        signed = await _officers_signed(session, interview.id)
    return web.json_response({**_answer(state, number, text), "officer_signatures": signed})


@routes.post("/api/interviews/{interview_id}/record/versions")
async def save_version(request: web.Request) -> web.Response:
    """A new version from the editor. It must build on the latest version; a confirmed
    version is corrected only with a stated reason, and the correction needs a new
    confirmation."""
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False, max_size=RECORD_BODY)
    only(body, {"based_on", "turns", "header", "notice", "closing", "correction_reason"})
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
        if "header" in body:
            content["header"] = edited_header(content["header"], body["header"])
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
        text = await _shown_text(request, session, state, None)
        signed = await _officers_signed(session, interview.id)
    return web.json_response({**_answer(state, None, text), "officer_signatures": signed}, status=201)


@routes.get("/api/interviews/{interview_id}/record/diff")
async def diff(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        state = await records.load(session, interview)
    numbers = _int_query(request, "from"), _int_query(request, "to")  # both checked first
    before, after = (_version(state, n) for n in numbers)
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
        _enough_officers(request, version)
        for old in state.requests:  # one open request per party
            if old.invitation_id == invitation.id and old.state == "awaiting":
                old.state = "superseded"
        request_row = ConfirmationRequest(interview_id=interview.id, invitation_id=invitation.id,
                                          version=version.version, sent_by=staff.user_id)
        session.add(request_row)
        await session.flush()
        answer = _request(request_row, state)
    answer["notified"] = await request.app[NOTIFICATIONS].sign_requested(invitation.id, staff)
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
        item, officers = None, []
        if confirmed is not None and confirmed.pdf_item_id:
            # The latest stored PDF: an officer who signed after the party made a new one.
            pdfs = [i for i in await records.items_of(session, interview.id) if i.kind == "record-pdf"
                    and json.loads(i.observed).get("version") == version.version]
            item = max(pdfs, key=lambda i: i.created_at, default=None) or await session.get(
                EvidenceItem, confirmed.pdf_item_id)
        else:
            officers = await _officers(request, session, interview.id, version.version)
    if item is not None:  # the confirmed PDF is evidence: reading it is a custody event
        data = await _read(request, item)
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise Conflict("The stored PDF no longer matches its SHA-256.", code="integrity_error")
        async with transaction(request) as session:
            await custody.record(session, case_id=item.case_id, action="downloaded",
                                 actor=custody.staff_actor(staff), item_id=item.id,
                                 detail={"sha256": item.sha256})
    else:
        data = await _render(request, state, version, draft=True, officers=officers)
    name = f"record-{interview.id[:8]}-v{version.version}.pdf"
    return web.Response(body=data, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"',
        "X-Record-SHA256": version.sha256, "Cache-Control": "private, no-store"})


# --- helpers ----------------------------------------------------------------------------


def _enough_officers(request: web.Request, version: RecordVersion) -> None:
    """Where the bureau requires it (ZEROMEET_RECORD_OFFICERS), a record names that many
    officers, each with an enforcement certificate number, before anyone signs it."""
    needed = request.app[SETTINGS].record_officers
    if needed > 1 and officers_with_badges(records.content_of(version)["header"]) < needed:
        raise Conflict(f"The record must name at least {needed} officers, each with an enforcement "
                       "certificate number (执法证号), before it is sent to be signed.",
                       code="officers_missing")


async def _officers_signed(session: Any, interview_id: str) -> list[dict[str, Any]]:
    """Who of the officers signed which version, and when (server/views/officer_sign.py)."""
    out = []
    for item in sorted(await records.items_of(session, interview_id), key=lambda i: i.created_at):
        if item.kind == "officer-signature":
            observed = json.loads(item.observed)
            officer = observed.get("officer", {})
            out.append({"version": observed.get("version"), "at": observed.get("at"),
                        "username": officer.get("username"), "name": officer.get("name"),
                        "badge": officer.get("badge") or None, "item_id": item.id})
    return out


async def _shown_text(request: web.Request, session: Any, state: records.RecordState,
                      number: int | None) -> str | None:
    """The stored text of the version shown (what a party reads); None while the store
    cannot give it (the editor still works; the party's page never goes without it)."""
    version = state.version(number)
    if version is None:
        return None
    item = await records.text_item(session, version)
    try:
        return await version_text(request.app[STORE], version, item)
    except (StoreError, IntegrityError, Conflict):
        return None


def _answer(state: records.RecordState, number: int | None, text: str | None = None) -> dict[str, Any]:
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
        status=_status(state, version.version),
        version=version.version, sha256=version.sha256, text_sha256=version.text_sha256,
        based_on=version.based_on, created_at=when(version.created_at),
        author=_author(version), correction_reason=version.correction_reason,
        language=content.get("language"), header=content["header"], notice=content["notice"],
        turns=turns, closing=content["closing"], text=text)
    return out


def _status(state: records.RecordState, number: int) -> str:
    """confirmed; refused (a party refused this version and none confirmed it); draft."""
    if state.confirmed(number):
        return "confirmed"
    refused = any(c.version == number and c.decision == "refused" for c in state.confirmations)
    return "refused" if refused else "draft"


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
    return whole_number(request.query.get(name, ""), name, "a version number")


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if value is None:
        return ""
    try:
        return text_of.validate_text(value, name, limit)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


async def _render(request: web.Request, state: records.RecordState, version: RecordVersion,
                  *, draft: bool, officers: list[dict]) -> bytes:
    content = records.content_of(version)
    answers = [json.loads(c.statement) for c in state.confirmations if c.version == version.version]
    return await pdf_bytes(content, version, answers, None, draft=draft, officers=officers)


async def _officers(request: web.Request, session: Any, interview_id: str, version: int) -> list[dict]:
    """The officers' signatures of a version for its PDF (409 when the store cannot give
    their images)."""
    try:
        return await officer_signatures(session, request.app[STORE], interview_id, version)
    except IntegrityError:
        raise Conflict("A stored officer's signature no longer matches its SHA-256.",
                       code="integrity_error") from None
    except StoreError as exc:
        raise Conflict(f"An officer's signature cannot be read: {exc}", code="store") from None


async def _read(request: web.Request, item: EvidenceItem) -> bytes:
    try:
        return await request.app[STORE].get(item.object_key, item.version_id)
    except IntegrityError:  # the store's own SHA-256 check: altered where it is stored
        raise Conflict("The stored PDF no longer matches its SHA-256.",
                       code="integrity_error") from None
    except StoreError as exc:
        raise Conflict(f"The stored PDF cannot be read: {exc}", code="store") from None
