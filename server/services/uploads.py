"""Captured evidence files: uploads (a party's or an inspector's photo or document) and
snapshots (a frame of a party's video taken from the console), with their thumbnails.

Bytes go to the object store first, rows and custody events after, in one transaction
(see `server.services.evidence`). What the server observed and what the client claimed
are kept apart: `observed` holds only facts the server established itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence.store import ObjectStore
from server.auth import Party, Staff
from server.db.models import CaseMember, Connection, EvidenceItem, Interview, Invitation, new_id
from server.errors import Forbidden, InvalidInput, NotFound
from server.services import cases, custody, evidence
from server.uploads import images
from server.db.types import utcnow
from server.uploads.pending import Journal, settle_entries
from server.uploads.receive import Received

log = logging.getLogger(__name__)
_THUMBNAILS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="thumbnail")

KINDS = ("upload", "snapshot")
NAME_LENGTH = 120
THUMBNAIL_METHOD = (f"OpenCV INTER_AREA to at most {images.THUMBNAIL_SIDE} px a side, "
                    f"JPEG quality {images.THUMBNAIL_QUALITY}")


@dataclass(frozen=True)
class Capture:
    """Who sent what, where to: checked by `check_capture` before the bytes are read
    into the store."""

    case_id: str
    kind: str
    uploader: Staff | Party
    interview_id: str | None = None
    participant: dict[str, str] | None = None


async def check_uploader(session: AsyncSession, who: Staff | Party, case_id: str) -> None:
    """An inspector on the case, or a party whose invitation belongs to it. Legal staff
    read but do not add evidence (403); anyone else learns nothing of the case (404)."""
    if isinstance(who, Staff):
        await cases.get_case(session, who, case_id, write=True)
    elif who.case_id != case_id:
        raise NotFound("No such case.")


async def check_capture(session: AsyncSession, who: Staff | Party, case_id: str, kind: str,
                        interview_id: str | None, participant_id: str | None) -> Capture:
    """Validate the form fields beside the file against the case."""
    if kind not in KINDS:
        raise InvalidInput(f"'kind' must be one of {', '.join(KINDS)}.")
    if isinstance(who, Party):
        if kind != "upload":
            raise Forbidden("Only inspectors take snapshots.", code="staff_only")
        if interview_id not in (None, who.interview_id):
            raise NotFound("No such interview.")
        return Capture(case_id, kind, who, who.interview_id)
    if interview_id is not None:
        found = await session.scalar(select(Interview.id).where(
            Interview.id == interview_id, Interview.case_id == case_id))
        if found is None:
            raise InvalidInput("'interview_id' names no interview of this case.",
                               code="unknown_interview")
    if kind == "snapshot":
        if interview_id is None or participant_id is None:
            raise InvalidInput("A snapshot needs 'interview_id' and 'participant'.",
                               code="missing_field")
        person = await _participant(session, interview_id, participant_id)
        return Capture(case_id, kind, who, interview_id, person)
    if participant_id is not None:
        raise InvalidInput("'participant' belongs to snapshots only.")
    return Capture(case_id, kind, who, interview_id)


async def _participant(session: AsyncSession, interview_id: str,
                       participant_id: str) -> dict[str, str]:
    invitation = await session.scalar(select(Invitation).where(
        Invitation.id == participant_id, Invitation.interview_id == interview_id))
    if invitation is not None:
        return {"id": invitation.id, "name": invitation.name, "role": invitation.role.value,
                "kind": "party"}
    row = await session.scalar(select(Connection).where(
        Connection.interview_id == interview_id, Connection.participant_id == participant_id)
        .limit(1))
    if row is None:
        raise InvalidInput("'participant' names nobody of this interview.",
                           code="unknown_participant")
    return {"id": row.participant_id, "name": row.name, "role": row.role,
            "kind": "party" if row.invitation_id else "staff"}


@dataclass(frozen=True)
class Stored:
    original: EvidenceItem
    thumbnail: EvidenceItem | None
    actor: dict[str, Any]  # the custody actor of the capture (who sent it)
    recovered: str = ""  # why these rows are written at a later start, not at arrival


_ROW_FIELDS = ("id", "case_id", "interview_id", "kind", "object_key", "content_type", "sha256",
               "size", "observed", "claimed", "derived_from")


def _entry(stored: Stored) -> dict[str, Any]:
    """The journal entry of a capture: its rows, as the database would get them."""
    def row(item: EvidenceItem | None) -> dict[str, Any] | None:
        return None if item is None else {f: getattr(item, f) for f in _ROW_FIELDS}
    return {"original": row(stored.original), "thumbnail": row(stored.thumbnail),
            "actor": stored.actor}


async def recover_captures(sessions: async_sessionmaker, store: ObjectStore,
                           journal: Journal) -> list[str]:
    """Settle the captures whose requests ended between the store and the database (a
    crash, or a database that failed at that moment): an object that reached the store
    gets its rows and custody events now (`observed.recovered` says when and why); one
    that did not is forgotten, as its sender got no 201. Whatever cannot be settled now
    (the store or the database away, an entry this code cannot read) stays for the next
    try and is logged. The ids recorded."""
    async def settle(item_id: str, entry: dict[str, Any]) -> str:
        return await _settle(sessions, store, item_id, entry)
    return await settle_entries(journal, settle, "a capture")


async def _settle(sessions: async_sessionmaker, store: ObjectStore, item_id: str,
                  entry: dict[str, Any]) -> str:
    async with sessions() as session:
        if await session.get(EvidenceItem, item_id) is not None:
            return "known"
    original = entry["original"]
    found = await store.stat(original["object_key"])
    if found is None:
        return "never stored"
    if found.sha256 != original["sha256"]:
        log.error("a capture left in flight names an object with other bytes; kept for an "
                  "admin", extra={"item": item_id, "key": original["object_key"]})
        return "kept"
    stored = await _stored_after_all(store, entry, found.version_id)
    async with sessions() as session, session.begin():
        await add_capture(session, stored)
    log.warning("an upload stored but not recorded when it arrived is recorded now",
                extra={"item": item_id, "case": stored.original.case_id})
    return "recorded"


async def _stored_after_all(store: ObjectStore, entry: dict[str, Any],
                            version_id: str | None) -> Stored:
    why = (f"its rows could not be written when it arrived (the server stopped or the "
           f"database failed); recorded at {utcnow().isoformat()}")
    original, thumbnail = dict(entry["original"]), entry.get("thumbnail")
    observed = json.loads(original["observed"])
    observed["recovered"] = why
    thumb_row = None
    if thumbnail is not None:
        thumb = await store.stat(thumbnail["object_key"])
        if thumb is not None and thumb.sha256 == thumbnail["sha256"]:
            thumb_row = EvidenceItem(**thumbnail, version_id=thumb.version_id)
        else:
            observed["thumbnail"] = None
    original["observed"] = json.dumps(observed, ensure_ascii=False)
    return Stored(EvidenceItem(**original, version_id=version_id), thumb_row, entry["actor"], why)


async def store_capture(store: ObjectStore, capture: Capture, got: Received, *,
                        received_at: datetime, connection: dict[str, str],
                        journal: Journal) -> Stored:
    """Put the original (and its thumbnail) in the store; return the rows to add. The
    rows are first noted in `journal`: the caller calls `journal.done(item id)` once they
    are committed (or `journal.release` if they were not), and `recover_captures` records
    what was left between the two."""
    look = None
    if got.type.image:  # its own threads: one waiting for the decode budget holds no other work
        look = await asyncio.get_running_loop().run_in_executor(
            _THUMBNAILS, images.inspect, got.path, got.type)
    item_id = new_id()
    base = f"cases/{capture.case_id}/{capture.kind}s/{item_id}"
    observed = _observed(capture, got, received_at, connection, look)
    thumb = None
    if look is not None and look.thumbnail is not None:
        thumb = evidence.item(
            case_id=capture.case_id, interview_id=capture.interview_id, kind="thumbnail",
            key=f"{base}/thumbnail.jpg", content_type="image/jpeg",
            sha256=hashlib.sha256(look.thumbnail.jpeg).hexdigest(),
            size=len(look.thumbnail.jpeg), derived_from=item_id, observed={
                "derived_at": received_at.isoformat(), "from_sha256": got.sha256,
                "width": look.thumbnail.width, "height": look.thumbnail.height,
                "method": THUMBNAIL_METHOD})
        thumb.id = new_id()
        observed["thumbnail"] = {"id": thumb.id, "width": look.thumbnail.width,
                                 "height": look.thumbnail.height}
    original = evidence.item(
        case_id=capture.case_id, interview_id=capture.interview_id, kind=capture.kind,
        key=f"{base}/original", content_type=got.type.mime, sha256=got.sha256, size=got.size,
        observed=observed, claimed=_claimed(got, look))
    original.id = item_id
    stored = Stored(original, thumb, custody.actor_of(capture.uploader))
    await asyncio.to_thread(journal.begin, item_id, _entry(stored))
    try:
        original.version_id = (await store.put(original.object_key, got.path,
                                               sha256=got.sha256,
                                               content_type=got.type.mime)).version_id
        if thumb is not None and look is not None and look.thumbnail is not None:
            thumb.version_id = (await store.put(thumb.object_key, look.thumbnail.jpeg,
                                                sha256=thumb.sha256,
                                                content_type="image/jpeg")).version_id
    except BaseException:
        journal.release(item_id)  # the sweep settles whatever did reach the store
        raise
    return stored


async def add_capture(session: AsyncSession, stored: Stored) -> None:
    """The rows and their custody events, in the caller's transaction."""
    actor = stored.actor
    original = stored.original
    session.add(original)
    await session.flush()
    detail = {"kind": original.kind, "sha256": original.sha256, "size": original.size,
              "content_type": original.content_type}
    if stored.recovered:
        detail["recovered"] = stored.recovered
    await custody.record(session, case_id=original.case_id, action="captured", actor=actor,
                         item_id=original.id, detail=detail)
    if stored.thumbnail is not None:
        session.add(stored.thumbnail)
        await session.flush()
        await custody.record(session, case_id=original.case_id, action="derived",
                             actor=custody.SERVER, item_id=stored.thumbnail.id, detail={
                                 "kind": "thumbnail", "from": original.id,
                                 "sha256": stored.thumbnail.sha256})


async def item_for_staff(session: AsyncSession, staff: Staff, item_id: str) -> EvidenceItem:
    """An evidence item of a case the staff member may see (`NotFound` otherwise)."""
    row = await session.scalar(
        select(EvidenceItem).join(CaseMember, CaseMember.case_id == EvidenceItem.case_id)
        .where(EvidenceItem.id == item_id, CaseMember.user_id == staff.user_id))
    if row is None:
        raise NotFound("No such evidence item.")
    return row


def uploader(who: Staff | Party) -> dict[str, str]:
    if isinstance(who, Staff):
        return {"kind": "staff", "id": who.user_id, "name": who.display_name,
                "username": who.username, "role": who.role.value}
    return {"kind": "party", "id": who.invitation_id, "name": who.name, "role": who.role.value}


def _observed(capture: Capture, got: Received, received_at: datetime,
              connection: dict[str, str], look: images.Inspection | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "received_at": received_at.isoformat(), "size": got.size, "sha256": got.sha256,
        "type": got.type.mime, "uploader": uploader(capture.uploader), **connection,
    }
    if capture.participant is not None:
        out["participant"] = capture.participant
    if look is not None:
        out["image"] = {"width": look.width, "height": look.height}
        out["thumbnail"] = None
        if look.note:
            out["thumbnail_note"] = look.note
    return out


def _claimed(got: Received, look: images.Inspection | None) -> dict[str, Any]:
    name = display_name(got.filename)
    out: dict[str, Any] = {"filename": name, "content_type": got.content_type}
    if got.filename and got.filename != name:
        out["filename_sent"] = got.filename[:255]
    for key in ("device_time", "note"):
        value = got.fields.get(key, "").strip()
        if value:
            out[key] = value[:2000]
    if look is not None and look.exif:
        out["exif"] = look.exif
    return out


def display_name(raw: str) -> str:
    """A file name safe to show and to offer in a download: the last path component,
    NFC, without control or format characters or quotes, no leading dots, at most
    `NAME_LENGTH` characters with its extension kept. "" when nothing is left.
    Percent escapes are decoded: browsers escape quotes and line breaks in a multipart
    file name that way, and some clients (aiohttp) escape every non-ASCII character."""
    try:
        raw = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        pass
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    name = " ".join(name.replace('"', "").split()).lstrip(". ")
    if len(name) > NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = (stem if dot else name)[:NAME_LENGTH - len(ext) - 1].rstrip() + (f".{ext}" if ext else "")
    return name
