"""The party's side of the inquiry record: reading the version sent to it, verbatim, and
confirming it with a drawn signature or refusing it with a reason. The server signs a
statement binding the answer to the exact text shown (see `evidence.confirmation`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import struct
from typing import Any

import cv2
import numpy as np
from aiohttp import web

from evidence import confirmation
from evidence.chain import canonical_json
from evidence.errors import IntegrityError, StoreError
from server.appkeys import SIGNING_KEY, STORE
from server.db.models import (
    ConfirmationRequest, EvidenceItem, Interview, RecordConfirmation, RecordVersion, new_id,
)
from server.db.types import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.identity import require_party
from server.records import officer_signatures, record_key, version_text
from server.services import custody, evidence, records
from server.views.common import transaction
from server.views.parse import json_object, only
from server.views.records import SIGNATURE_BODY, SIGNATURE_BYTES, _confirmation, _pdf_bytes, _read, _text
from server.serialize import when

routes = web.RouteTableDef()
_PNG = b"\x89PNG\r\n\x1a\n"
# A phone's signature pad is a few million pixels; 512 KiB of PNG can declare billions.
SIGNATURE_SIDES = (16, 4096)
SIGNATURE_PIXELS = 8 * 1024 * 1024


@routes.get("/api/invitation/record")
async def party_record(request: web.Request) -> web.Response:
    party = await require_party(request)
    async with transaction(request) as session:
        asked, version, answer = await _party_request(session, party.invitation_id)
        text_item = await records.text_item(session, version)
    content = records.content_of(version)
    try:
        text = await version_text(request.app[STORE], version, text_item)
    except IntegrityError:
        raise Conflict("The stored text of this record no longer matches its SHA-256.",
                       code="integrity_error") from None
    except StoreError as exc:
        raise Conflict(f"The record cannot be read just now: {exc}", code="store") from None
    return web.json_response({
        "version": version.version, "sha256": version.sha256,
        "text": text, "text_sha256": version.text_sha256,
        "language": content.get("language"), "header": content["header"],
        "turns": [_public_turn(t) for t in content["turns"]],
        "state": asked.state,  # awaiting, confirmed, refused, or superseded by a newer version
        "confirmation": _confirmation(answer) if answer else None,
    })


@routes.get("/api/invitation/record.pdf")
async def party_copy(request: web.Request) -> web.Response:
    """The party's own copy of the record it signed: the stored PDF of its confirmation,
    exactly as kept as evidence. Reading it is a custody event."""
    party = await require_party(request)
    async with transaction(request) as session:
        _, version, answer = await _party_request(session, party.invitation_id)
        item = None
        if answer is not None and answer.decision == "confirmed" and answer.pdf_item_id:
            item = await session.get(EvidenceItem, answer.pdf_item_id)
    if item is None:
        raise NotFound("There is a copy to download once you have signed the record.",
                       code="no_copy")
    data = await _read(request, item)
    async with transaction(request) as session:
        await custody.record(session, case_id=item.case_id, action="downloaded",
                             actor=custody.party_actor(party), item_id=item.id,
                             detail={"sha256": item.sha256})
    name = f"record-v{version.version}.pdf"
    return web.Response(body=data, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@routes.post("/api/invitation/record/confirm")
async def party_confirm(request: web.Request) -> web.Response:
    party = await require_party(request)
    body = await json_object(request, allow_empty=False, max_size=SIGNATURE_BODY)
    only(body, {"version", "text_sha256", "signature"})
    png = await _signature_png(body.get("signature"))
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
        signature_sha, size, version_id = await evidence.store_bytes(
            store, record_key(interview.id, f"signature-{answer_id}.png"), png, "image/png")
        signature_item = evidence.item(
            case_id=interview.case_id, interview_id=interview.id, kind="signature",
            key=record_key(interview.id, f"signature-{answer_id}.png"), content_type="image/png",
            sha256=signature_sha, size=size, version_id=version_id, derived_from=None,
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
    doc_sha, doc_size, doc_version = await evidence.store_bytes(store, doc_key, document,
                                                                "application/json")
    doc_item = evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="confirmation", key=doc_key,
        content_type="application/json", sha256=doc_sha, size=doc_size, version_id=doc_version,
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
    async with transaction(request) as session:  # officers who signed before the party
        officers = await officer_signatures(session, request.app[STORE], interview.id, version.version)
    data = await _pdf_bytes(content, version, [stated], png, draft=False, officers=officers)
    key = record_key(interview.id, f"v{version.version:04d}-confirmed-{stated['id']}.pdf")
    sha, size, version_id = await evidence.store_bytes(request.app[STORE], key, data,
                                                       "application/pdf")
    return evidence.item(
        case_id=interview.case_id, interview_id=interview.id, kind="record-pdf", key=key,
        content_type="application/pdf", sha256=sha, size=size, version_id=version_id,
        derived_from=version.item_id,
        observed={"version": version.version, "record_sha256": version.sha256,
                  "confirmation": stated["id"]})


async def _party_request(session: Any, invitation_id: str) -> tuple[
        ConfirmationRequest, RecordVersion, RecordConfirmation | None]:
    asked = await records.request_for_party(session, invitation_id)
    if asked is None:
        raise NotFound("No record has been sent to you to read yet.", code="no_record")
    version = await records.version_row(session, asked.interview_id, asked.version)
    answer = await records.answer_for_request(session, asked.id)
    return asked, version, answer


def _public_turn(turn: dict[str, Any]) -> dict[str, Any]:
    """What the party's phone needs of a turn (no recording ids)."""
    return {k: turn[k] for k in ("speaker", "role", "kind", "start", "end", "text") if k in turn}


async def _signature_png(value: object) -> bytes:
    """A drawn signature from the phone: a PNG data URL, checked to be a real image. Its
    header is checked before any pixel is decoded, and decoding runs off the loop."""
    png = _signature_bytes(value)
    await asyncio.to_thread(_check_strokes, png)
    return png


def _signature_bytes(value: object) -> bytes:
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
    size = _png_size(png)
    if size is None:
        raise InvalidInput("The signature is not a readable PNG image of a sensible size.",
                           code="invalid_signature")
    width, height = size
    low, high = SIGNATURE_SIDES
    if not (low <= width <= high and low <= height <= high) or width * height > SIGNATURE_PIXELS:
        raise InvalidInput(
            f"The signature image is {width} x {height} pixels: each side must be {low} to "
            f"{high} pixels and the whole at most {SIGNATURE_PIXELS:,}.",
            code="invalid_signature")
    return png


def _png_size(png: bytes) -> tuple[int, int] | None:
    """Width and height from the IHDR chunk, which must come first."""
    if not png.startswith(_PNG) or png[12:16] != b"IHDR" or len(png) < 24:
        return None
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _check_strokes(png: bytes) -> None:
    """Blocking: decode the PNG (its header already checked) and look for ink."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    low, high = SIGNATURE_SIDES
    if image is None or not (low <= image.shape[0] <= high and low <= image.shape[1] <= high):
        raise InvalidInput("The signature is not a readable PNG image of a sensible size.",
                           code="invalid_signature")
    if _blank(image):
        raise InvalidInput("The signature is empty: please sign in the box.",
                           code="empty_signature")


def _blank(image: np.ndarray) -> bool:
    """No strokes: every pixel alike in every channel (colour and transparency), or
    nothing visible at all."""
    flat = image.reshape(-1, image.shape[2] if image.ndim == 3 else 1)
    if flat.shape[1] == 4 and int(flat[:, 3].max()) == 0:
        return True
    return int((flat.max(axis=0).astype(int) - flat.min(axis=0)).max()) < 16
