"""Evidence files: a party's or an inspector's upload, an inspector's snapshot, and the
download of any evidence item's original bytes for staff."""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import select

from evidence.errors import IntegrityError, ObjectNotFound
from evidence.hashing import CHUNK, sha256_file
from evidence.sniff import HEIC, HEIF, JPEG, PDF, PNG, TEXT, WEBP
from media import snapshot as media_snapshot
from media.signals import Notice
from server.appkeys import JOURNAL, ROOMS, SETTINGS, STORE
from server.db.models import EvidenceItem
from server.db.types import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.identity import require_party, require_someone, require_staff
from server.services import cases, custody, uploads
from server.uploads.receive import Received, receive, spool_file
from server import serialize
from server.views.common import transaction
from server.views.parse import json_object, only, path_id, text

routes = web.RouteTableDef()
FIELDS = {"kind", "interview_id", "device_time", "note"}
# Shown in the browser; everything else (PDFs too: a PDF viewer runs scripts) is offered
# as a file to save.
INLINE = {t.mime for t in (JPEG, PNG, WEBP, HEIC, HEIF)}
EXTENSIONS = {t.mime.split(";")[0]: t.extension for t in (JPEG, PNG, WEBP, HEIC, HEIF, PDF, TEXT)}


@routes.post("/api/cases/{case_id}/evidence")
async def upload(request: web.Request) -> web.Response:
    """One file in field `file` (multipart). Access is checked before a byte is read."""
    who = await require_someone(request)
    case_id = path_id(request, "case_id")
    async with transaction(request) as session:
        await uploads.check_uploader(session, who, case_id)
    settings = request.app[SETTINGS]
    got = await receive(request, settings.data_dir / "spool" / "uploads",
                        limit=settings.max_upload_mb * 1024 * 1024, fields=FIELDS)
    received_at = utcnow()
    try:
        if got.fields.get("kind") == "snapshot":
            raise InvalidInput("A snapshot is taken by the server from the live video: "
                               "POST /api/interviews/{id}/snapshots.", code="snapshot_by_server")
        async with transaction(request) as session:
            capture = await uploads.check_capture(
                session, who, case_id, got.fields.get("kind", "upload"),
                _id_field(got.fields, "interview_id"), None)
        return await _keep(request, capture, got, received_at)
    finally:
        await asyncio.to_thread(got.path.unlink, missing_ok=True)


@routes.post("/api/interviews/{interview_id}/snapshots")
async def snapshot(request: web.Request) -> web.Response:
    """A frame of a participant's live video, as the server decoded it, stored as a PNG
    evidence item of kind `snapshot` (inspectors on the case)."""
    staff = await require_staff(request)
    body = await json_object(request, allow_empty=False)
    only(body, {"participant"})
    participant_id = text(body, "participant", required=True, max_length=64)
    async with transaction(request) as session:
        interview = await cases.interview_case(session, staff, path_id(request, "interview_id"))
        await uploads.check_uploader(session, staff, interview.case_id)  # inspectors only
        capture = await uploads.check_capture(session, staff, interview.case_id, "snapshot",
                                              interview.id, participant_id)
    assert capture.participant is not None
    try:
        taken = media_snapshot.latest(request.app[ROOMS], interview.id, participant_id)
        frame = await asyncio.to_thread(media_snapshot.decode, taken)
    except media_snapshot.NoFrame as exc:
        raise Conflict(f"{capture.participant['name']} {exc}: no snapshot was taken.",
                       code="no_video") from None
    data = await asyncio.to_thread(media_snapshot.png, frame)
    received_at = utcnow()
    path = spool_file(request.app[SETTINGS].data_dir / "spool" / "uploads", "snapshot-", ".png")
    try:
        await asyncio.to_thread(path.write_bytes, data)
        got = Received(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                       type=PNG, filename=f"snapshot-{received_at:%Y%m%dT%H%M%S}.png",
                       content_type="image/png")
        width, height = frame.width, frame.height
        return await _keep(request, capture, got, received_at, frame={
            "received_at": datetime.fromtimestamp(taken.received_at, UTC).isoformat(),
            "width": width, "height": height,
            "source": "decoded by the server from the participant's video"})
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def _keep(request: web.Request, capture: uploads.Capture, got: Received,
                received_at: datetime, **observed: Any) -> web.Response:
    """Store what arrived (its spool file stays the caller's to remove), add its rows and
    custody events, and answer 201 with the item. Until the rows are committed the
    capture is in the journal, so that a crash in between cannot hide stored evidence."""
    journal = request.app[JOURNAL]
    stored = await uploads.store_capture(
        request.app[STORE], capture, got, received_at=received_at, journal=journal,
        connection={**observed, "address": request.remote or "",
                    "user_agent": request.headers.get("User-Agent", "")[:300]})
    try:
        async with transaction(request) as session:
            await uploads.add_capture(session, stored)
            answer = serialize.evidence_item(stored.original)
        await asyncio.to_thread(journal.done, stored.original.id)
    finally:  # not committed: the journal's sweep records it within a minute or so
        journal.release(stored.original.id)
    await _announce(request, capture, answer)
    return web.json_response(answer, status=201)


async def _announce(request: web.Request, capture: uploads.Capture, item: dict[str, Any]) -> None:
    """A party's upload during (or after) its interview: the inspectors in the room see
    it arrive in their console's log."""
    room = request.app[ROOMS].find(capture.interview_id) if capture.interview_id else None
    if room is None or item["kind"] != "upload":
        return
    uploader = item["observed"].get("uploader") or {}
    await room.broadcast_staff(Notice({
        "type": "evidence", "id": item["id"], "kind": item["kind"],
        "participant": uploader.get("id"), "name": uploader.get("name"),
        "filename": item["claimed"].get("filename", ""), "content_type": item["content_type"],
        "size": item["size"], "at": item["created_at"]}))


@routes.get("/api/invitation/evidence")
async def own_uploads(request: web.Request) -> web.Response:
    """What this party has sent (its own uploads only, never another's): the join page
    lists them again after a reload. Names, sizes and fingerprints, not the bytes."""
    party = await require_party(request)
    async with transaction(request) as session:
        rows = await session.scalars(select(EvidenceItem).where(
            EvidenceItem.case_id == party.case_id, EvidenceItem.kind == "upload")
            .order_by(EvidenceItem.created_at))
        mine = []
        for item in rows:
            observed, claimed = json.loads(item.observed), json.loads(item.claimed)
            if (observed.get("uploader") or {}).get("id") == party.invitation_id:
                mine.append({"id": item.id, "filename": claimed.get("filename", ""), "size": item.size,
                             "sha256": item.sha256, "content_type": item.content_type,
                             "created_at": serialize.when(item.created_at)})
    return web.json_response(mine)


@routes.get("/api/evidence/{item_id}/content")
async def content(request: web.Request) -> web.StreamResponse:
    """The item's bytes as stored, checked against its SHA-256 before the first byte."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        item = await uploads.item_for_staff(session, staff, path_id(request, "item_id"))
    path = spool_file(request.app[SETTINGS].data_dir / "spool" / "downloads", "download-", ".part")
    try:
        await _fetch(request, item, path)
        if item.kind != "thumbnail":  # a preview the pages show is not a use of the evidence
            async with transaction(request) as session:
                await custody.record(session, case_id=item.case_id, action="downloaded",
                                     actor=custody.staff_actor(staff), item_id=item.id,
                                     detail={"sha256": item.sha256})
        return await _send(request, item, path)
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def _fetch(request: web.Request, item: EvidenceItem, path: Path) -> None:
    try:
        await request.app[STORE].download(item.object_key, path, item.version_id)
    except ObjectNotFound:
        raise NotFound("The item's bytes are missing from the object store.",
                       code="missing") from None
    except IntegrityError:
        raise _altered() from None
    if await asyncio.to_thread(sha256_file, path) != item.sha256:
        raise _altered()


def _altered() -> Conflict:
    return Conflict("The stored bytes no longer match the item's SHA-256.",
                    code="integrity_error")


async def _send(request: web.Request, item: EvidenceItem, path: Path) -> web.StreamResponse:
    mime = item.content_type.split(";")[0].strip()
    response = web.StreamResponse(headers={
        "Content-Type": item.content_type, "Content-Length": str(item.size),
        "Content-Disposition": _disposition(item, inline=mime in INLINE),
        "X-Content-Type-Options": "nosniff", "X-Content-SHA256": item.sha256,
        "Cache-Control": "private, no-store"})
    with open(path, "rb") as file:
        # The open file is all the answer needs: gone from the spool before the first
        # byte, so nothing is left there once the client has the last one.
        await asyncio.to_thread(path.unlink, missing_ok=True)
        await response.prepare(request)
        while chunk := await asyncio.to_thread(file.read, CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response


def _disposition(item: EvidenceItem, *, inline: bool) -> str:
    name = _download_name(item)
    fallback = name.encode("ascii", "replace").decode().replace("?", "_")
    return (f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; "
            f"filename*=UTF-8''{quote(name, safe='')}")


def _download_name(item: EvidenceItem) -> str:
    """The name the uploader gave (sanitised again, for items stored before that was done
    on arrival), else one made from the kind, with the extension of the type the server
    found in the bytes: `evil.html` that holds a JPEG downloads as `evil.html.jpg`."""
    mime = item.content_type.split(";")[0].strip()
    extension = EXTENSIONS.get(mime) or (mimetypes.guess_extension(mime) or ".bin")[1:]
    claimed = json.loads(item.claimed or "{}")
    name = claimed.get("filename") if isinstance(claimed, dict) else None
    name = uploads.display_name(name) if isinstance(name, str) else ""
    if not name:
        return f"{item.kind}-{item.id}.{extension}"
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext.lower() in (extension, "jpeg" if extension == "jpg" else extension):
        return name
    return f"{name}.{extension}"


def _id_field(fields: dict[str, str], name: str) -> str | None:
    value = fields.get(name, "").strip()
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise InvalidInput(f"'{name}' must be an id.") from None
