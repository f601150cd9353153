"""The party's side of the inquiry record: reading the version sent to it, verbatim, and
confirming it with a drawn signature or refusing it with a reason. The handlers parse
and check what the phone sent; `server.services.answers` stores and signs the answer."""

from __future__ import annotations

import asyncio
import base64
import binascii
import struct
from typing import Any

import cv2
import numpy as np
from aiohttp import web

from evidence.errors import IntegrityError, StoreError
from server.appkeys import SESSIONS, SIGNING_KEY, STORE
from server.auth import Party
from server.db.models import EvidenceItem
from server.errors import Conflict, InvalidInput, NotFound
from server.identity import require_party
from server.records import version_text
from server.services import answers, custody, records
from server.views.common import transaction
from server.views.parse import json_object, only
from server.views.records import SIGNATURE_BODY, SIGNATURE_BYTES, _confirmation, _read, _text

routes = web.RouteTableDef()
_PNG = b"\x89PNG\r\n\x1a\n"
# A phone's signature pad is a few million pixels; 512 KiB of PNG can declare billions.
SIGNATURE_SIDES = (16, 4096)
SIGNATURE_PIXELS = 8 * 1024 * 1024


@routes.get("/api/invitation/record")
async def party_record(request: web.Request) -> web.Response:
    party = await require_party(request)
    async with transaction(request) as session:
        asked, version, answer = await answers.party_request(session, party.invitation_id)
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
        _, version, answer = await answers.party_request(session, party.invitation_id)
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


async def _answer_request(request: web.Request, party: Party, body: dict[str, Any], decision: str,
                          reason: str, png: bytes | None) -> web.Response:
    row = await answers.answer_record(
        request.app[SESSIONS], request.app[STORE], request.app[SIGNING_KEY], party,
        answers.Answer(version=body.get("version"), text_sha256=body.get("text_sha256"),
                       decision=decision, reason=reason, signature_png=png,
                       address=request.remote or "",
                       user_agent=request.headers.get("User-Agent", "")))
    return web.json_response(_confirmation(row), status=201)


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
