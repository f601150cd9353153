"""An officer signs the record (询问人签名) beside the interviewee, on the same pad: the
drawn signature is stored as evidence, and the server signs a statement binding it to the
version, its stored text and the officer as the record names them (with the 执法证号).
A version the interviewee already confirmed gets a new PDF, derived from the one before
it, with the officer's signature on it; the earlier PDF stays."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from sqlalchemy import select

from evidence import confirmation
from evidence.chain import canonical_json
from server.appkeys import SIGNING_KEY, STORE
from server.db.models import EvidenceItem, Interview, User, new_id
from server.db.record_models import RecordVersion
from server.db.types import utcnow
from server.errors import Conflict, InvalidInput
from server.identity import Staff, require_staff
from server.records import officer_signatures, pdf_bytes, record_key
from server.services import cases, custody, evidence, records
from server.services.cases import require_inspector
from server.views.common import transaction
from server.views.parse import json_object, only, path_id
from server.views.party_record import _signature_png
from server.views.records import SIGNATURE_BODY
from server.serialize import when

routes = web.RouteTableDef()


@routes.post("/api/interviews/{interview_id}/record/sign")
async def sign(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False, max_size=SIGNATURE_BODY)
    only(body, {"version", "text_sha256", "signature"})
    png = await _signature_png(body.get("signature"))
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        require_inspector(staff)
        state = await records.load(session, interview)
        version = state.version(body.get("version") if isinstance(body.get("version"), int) else None)
        if version is None or body.get("version") != version.version:
            raise InvalidInput("'version' names the version you read and sign.", code="missing_field")
        if body.get("text_sha256") != version.text_sha256:
            raise Conflict("The record changed since it was shown; please read it again.",
                           code="text_changed")
        officer = await _named_officer(session, staff, version)
        signed = await officer_signatures(session, request.app[STORE], interview.id, version.version)
        if any(s["item"].observed and json.loads(s["item"].observed).get("officer", {}).get("username")
               == staff.username for s in signed):
            raise Conflict(f"You have already signed version {version.version}.", code="already_signed")
        confirmed = state.confirmed(version.version)
        answers = [json.loads(c.statement) for c in state.confirmations if c.version == version.version]
        party_png = None
        if confirmed is not None and confirmed.signature_item_id:
            image = await session.get(EvidenceItem, confirmed.signature_item_id)
            party_png = await request.app[STORE].get(image.object_key, image.version_id)
        last_pdf = await _latest_pdf(session, interview.id, version.version) if confirmed else None
    items, done = await _store(request, staff, interview, version, officer, png)
    pdf_item = None
    if confirmed is not None:  # the stored PDF of a confirmed version, again, with this signature
        officers = [*signed, {"name": officer["name"], "badge": officer["badge"], "at": done["at"], "png": png}]
        data = await pdf_bytes(records.content_of(version), version, answers, party_png, draft=False,
                                officers=officers)
        key = record_key(interview.id, f"v{version.version:04d}-signed-{done['id']}.pdf")
        sha, size, version_id = await evidence.store_bytes(request.app[STORE], key, data, "application/pdf")
        pdf_item = evidence.item(
            case_id=interview.case_id, interview_id=interview.id, kind="record-pdf", key=key,
            content_type="application/pdf", sha256=sha, size=size, version_id=version_id,
            derived_from=last_pdf.id if last_pdf else version.item_id,
            observed={"version": version.version, "record_sha256": version.sha256,
                      "confirmation": confirmed.id, "officer_signature": done["id"]})
    async with transaction(request) as session:
        for item in (*items, pdf_item):
            if item is not None:
                session.add(item)
        await session.flush()
        await custody.record(session, case_id=interview.case_id, action="record_signed",
                             actor=custody.staff_actor(staff), item_id=items[1].id,
                             detail={"interview": interview.id, "version": version.version,
                                     "text_sha256": version.text_sha256, "badge": officer["badge"]})
    return web.json_response(done, status=201)


async def _named_officer(session: Any, staff: Staff, version: RecordVersion) -> dict[str, str]:
    """The officer as the version's header names them: an inspector signs only a record
    that names them (the header is edited first), with the number it gives."""
    header = records.content_of(version)["header"]
    user = await session.scalar(select(User).where(User.username == staff.username))
    for person in header.get("inspectors", ()):
        if person.get("name") in (staff.display_name, staff.username):
            return {"name": person["name"], "badge": person.get("badge") or user.badge_number}
    raise Conflict("The record does not name you among its officers: add yourself in its "
                   "header, save, then sign.", code="not_named")


async def _latest_pdf(session: Any, interview_id: str, version: int) -> EvidenceItem | None:
    pdfs = [i for i in await records.items_of(session, interview_id)
            if i.kind == "record-pdf" and json.loads(i.observed).get("version") == version]
    return max(pdfs, key=lambda i: i.created_at, default=None)


async def _store(request: web.Request, staff: Staff, interview: Interview, version: RecordVersion,
                 officer: dict[str, str], png: bytes) -> tuple[list[EvidenceItem], dict[str, Any]]:
    """The image and the signed statement in the store; their rows (not yet added)."""
    store, key = request.app[STORE], request.app[SIGNING_KEY]
    signature_id, at = new_id(), when(utcnow())
    image_key = record_key(interview.id, f"officer-signature-{signature_id}.png")
    png_sha, png_size, png_version = await evidence.store_bytes(store, image_key, png, "image/png")
    image = evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="signature", key=image_key,
        content_type="image/png", sha256=png_sha, size=png_size, version_id=png_version,
        observed={"officer_signature": signature_id, "officer": staff.username, "received_at": at})
    image.id = new_id()
    stated = confirmation.officer_statement(
        signature_id=signature_id, interview_id=interview.id, version=version.version,
        record_sha256=version.sha256, text_sha256=version.text_sha256, username=staff.username,
        name=officer["name"], badge=officer["badge"], signature_sha256=png_sha, at=at)
    document = canonical_json({"statement": stated,
                               "server_signature": confirmation.sign_officer(key, stated)})
    doc_key = record_key(interview.id, f"officer-signature-{signature_id}.json")
    doc_sha, doc_size, doc_version = await evidence.store_bytes(store, doc_key, document, "application/json")
    doc = evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="officer-signature", key=doc_key,
        content_type="application/json", sha256=doc_sha, size=doc_size, version_id=doc_version,
        derived_from=version.item_id,
        observed={"version": version.version, "at": at, "image": image.id,
                  "officer": {"username": staff.username, **officer}})
    return [image, doc], {"id": signature_id, "version": version.version, "at": at, **officer,
                          "signature_sha256": png_sha}
