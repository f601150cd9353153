"""Exporting a case as an evidence bundle (see `evidence.bundle` and CONTRACT.md).

The export is itself a custody event, and the log is checkpointed (signed) right after
it, so the bundle carries a log that ends in its own export. Then every item's bytes go
from the object store through a spool file and the bag writer to the client, a
megabyte at a time: memory stays flat whatever the size of the case or of an item (disk
holds one object at a time). Every file
sits in `data/` under its object key, exactly as stored — the version the server wrote,
whatever was put over it since — except that a recording's folder is named for people
(`data/recordings/王芳-worker-video-1a2b3c4d/`: its manifest, its segments and the playable
file joined from them, `server.bundle_playable`). `data/index.json` maps each item to the
case with what the server observed and what the client claimed, and names anything put
over a stored version (`store_problems`).

A case opened from a complaint (投诉) also carries the complaint's own hash-chained log
and the working-day calendar its deadlines were counted on, and the export event names
each complaint log's head, so the checkpoint signed after it pins those logs too. An
export for the employer's side (`audience="employer"`) leaves out what a confidential
complainant sent (their form, their files) and their complaint's log, and says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evidence import bundle as bag
from evidence.errors import IntegrityError, ObjectNotFound, StoreError
from evidence.store import ObjectStore
from server import evidence_list
from server.auth import Staff
from server.bundle_playable import Playable, add_playable, copy_into, recording_name
from server.complaints import log as complaint_log
from server.db.complaint_models import CalendarDay, Complaint, ComplaintFile
from server.db.models import Recording, Segment
from server.keys import public_pem
from server.services import cases, custody
from server.services.evidence import shadowed
from server.services.recordings import case_evidence
from server.serialize import evidence_item, when
from transcription.errors import FontMissing

log = logging.getLogger("zeromeet.bundle")

RETRY = (0.5, 1, 2, 4, 8, 15, 15, 15, 15)  # about a minute: a store that blinks is waited for


@dataclass
class Plan:
    """What goes into one bundle: the index, and (path, object key, SHA-256, version id)
    per file."""

    number: str
    index: dict[str, Any]
    files: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    custody_events: list[dict[str, Any]] = field(default_factory=list)
    custody_checkpoints: list[dict[str, Any]] = field(default_factory=list)
    complaint_logs: list[tuple[str, Any]] = field(default_factory=list)  # (path, events or checkpoints)
    calendar: dict[str, Any] | None = None
    recordings: dict[str, dict[str, Any]] = field(default_factory=dict)  # id: its index entry
    segments: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path: recording, seq, start_ms
    playables: dict[str, str] = field(default_factory=dict)  # recording id: its playable file's path
    folders: set[str] = field(default_factory=set)

    @property
    def payload_bytes(self) -> int:
        """What the payload will about weigh: items, segments, and a playable file per
        recording about as large as its segments."""
        return sum(i["size"] for i in self.index["items"]) + 2 * sum(
            s["size"] for r in self.index["recordings"] for s in r["segments"])


AUDIENCES = ("", "employer")


async def plan(session: AsyncSession, staff: Staff, case_id: str, key: Ed25519PrivateKey,
               audience: str = "") -> Plan:
    """Record the export in the custody log, sign the head, and list what goes in."""
    case = await cases.get_case(session, staff, case_id, with_interviews=True)
    items = await case_evidence(session, case.id)
    complaints = list(await session.scalars(select(Complaint).where(Complaint.case_id == case.id)
                                            .order_by(Complaint.received_at)))
    withheld_keys: set[str] = set()
    if audience == "employer":
        for complaint in complaints:
            if complaint.confidential:
                withheld_keys |= set(await session.scalars(select(ComplaintFile.object_key).where(
                    ComplaintFile.complaint_id == complaint.id)))
        complaints = [c for c in complaints if not c.confidential]
    withheld = [i for i in items if i.object_key in withheld_keys]
    items = [i for i in items if i.object_key not in withheld_keys]
    for complaint in complaints:
        await complaint_log.checkpoint(session, key, complaint.id)
    logs = [(c, await complaint_log.events(session, c.id)) for c in complaints]
    detail: dict[str, Any] = {"items": len(items), "format": bag.FORMAT}
    if audience:
        detail.update(audience=audience, withheld=len(withheld))
    if logs:
        detail["complaints"] = [{"number": c.number, "id": c.id, "seq": e[-1]["seq"], "head": e[-1]["hash"]}
                                for c, e in logs if e]
    await custody.record(session, case_id=case.id, action="exported",
                         actor=custody.staff_actor(staff), detail=detail)
    await custody.checkpoint(session, key, case.id)
    pem = public_pem(key)
    index: dict[str, Any] = {
        "format": bag.FORMAT,
        "case": {"id": case.id, "number": case.number, "title": case.title,
                 "employer": case.employer, "status": case.status.value,
                 "created_at": when(case.created_at)},
        "interviews": [{"id": i.id, "title": i.title, "language": i.language,
                        "state": i.state.value, "started_at": when(i.started_at),
                        "ended_at": when(i.ended_at)} for i in case.interviews],
        "exported_by": custody.staff_actor(staff),
        "public_key_sha256": hashlib.sha256(pem).hexdigest(),
        "items": [], "recordings": [],
        "custody": {"events": bag.CUSTODY_EVENTS, "checkpoints": bag.CUSTODY_CHECKPOINTS},
    }
    if audience:
        index["audience"] = audience
        index["withheld"] = [{"id": i.id, "kind": i.kind, "why": "sent by a complainant who asked "
                              "to be kept from the employer"} for i in withheld]
    out = Plan(number=case.number, index=index)
    if logs:
        days = await session.scalars(select(CalendarDay).order_by(CalendarDay.day))
        out.calendar = {"time_zone": "Asia/Shanghai", "rule": "Monday to Friday, except these days",
                        "days": {d.day.isoformat(): d.working for d in days}}
        index["calendar"] = bag.CALENDAR
        index["complaints"] = []
        for complaint, events in logs:
            folder = f"data/complaints/{_root_name(complaint.number)}"
            out.complaint_logs += [(f"{folder}/events.jsonl", events), (f"{folder}/checkpoints.json",
                                   await complaint_log.checkpoints(session, complaint.id))]
            index["complaints"].append({"id": complaint.id, "number": complaint.number,
                                        "events": f"{folder}/events.jsonl",
                                        "checkpoints": f"{folder}/checkpoints.json"})
    for item in items:
        entry = evidence_item(item)
        entry["path"] = _path(item.object_key)
        entry.pop("object_key")
        entry["version_id"] = item.version_id
        index["items"].append(entry)
        recording = await _recording(session, item.recording_id, entry, out) if item.recording_id else None
        out.files.append((entry["path"], item.object_key, item.sha256, item.version_id))
        if recording is not None:
            index["recordings"].append(recording)
            out.files += [(s["path"], s.pop("key"), s["sha256"], s["version_id"]) for s in recording["segments"]]
    out.custody_events = await custody.events(session, case.id)
    out.custody_checkpoints = await custody.checkpoints(session, case.id)
    index["exported_at"] = out.custody_events[-1]["at"]
    return out


async def _recording(session: AsyncSession, recording_id: str, entry: dict[str, Any],
                     out: Plan) -> dict[str, Any]:
    """The recording's index entry. Its folder is named for people (`recording_name`):
    its manifest (the recording's item, whose path this sets), its segments, and the
    playable file the export joins from them."""
    recording = await session.get(Recording, recording_id)
    rows = await session.scalars(select(Segment).where(Segment.recording_id == recording_id)
                                 .order_by(Segment.seq))
    name = recording_name(recording.participant_name, recording.participant_role,
                          recording.kind, recording_id)
    if name in out.folders:  # the same person, side, kind and 8 first hex digits: the whole id
        name = f"{name[:-8]}{recording_id}"
    out.folders.add(name)
    folder = f"data/recordings/{name}"
    entry["path"] = f"{folder}/{_leaf(recording.manifest_key)}"
    segments = []
    for s in rows:
        path = f"{folder}/{_leaf(s.object_key)}"
        segments.append({"seq": s.seq, "path": path, "sha256": s.sha256, "size": s.size,
                         "version_id": s.version_id, "key": s.object_key})
        out.segments[path] = (recording_id, s.seq, s.start_ms)
    out.recordings[recording_id] = {
        "id": recording_id, "item": entry["id"], "manifest": entry["path"], "name": name,
        "interview_id": recording.interview_id, "participant": recording.participant_name,
        "role": recording.participant_role, "kind": recording.kind, "segments": segments}
    out.playables[recording_id] = f"{folder}/{name}.webm"
    return out.recordings[recording_id]


def _leaf(object_key: str) -> str:
    return object_key.rsplit("/", 1)[-1]


def _path(object_key: str) -> str:
    return f"data/{object_key}"


async def stream(plan: Plan, store: ObjectStore, key: Ed25519PrivateKey,
                 spool: Path) -> AsyncIterator[bytes]:
    """The bundle's zip bytes, piece by piece. Each object is first fetched whole into
    `spool` (hash-checked, retried while the store is away), then copied into the zip a
    megabyte at a time, so memory holds a piece, not an object. An object that cannot be
    had (gone, or no longer matching its recorded hash) is left out and named in the
    index, and so reported by `zeromeet verify`: never a silently incomplete bundle. So
    is a newer version or a delete marker over an object's recorded version."""
    writer = bag.BagWriter(_root_name(plan.number))
    spool.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=spool, prefix="export-", suffix=".part")
    os.close(fd)
    local = Path(name)
    playable: Playable | None = None
    try:
        for path, object_key, sha256, version_id in plan.files:
            segment = plan.segments.get(path)
            if playable is not None and (segment is None or segment[0] != playable.entry["id"]):
                async for chunk in add_playable(writer, playable):
                    yield chunk
                playable = None
            problem = await _fetch(store, object_key, local, version_id)
            if problem:
                plan.index.setdefault("export_problems", []).append({"path": path, "problem": problem})
                log.error("an evidence object was left out of a bundle",
                          extra={"key": object_key, "problem": problem})
                continue
            shadow = await shadowed(store, object_key, version_id)
            if shadow:
                plan.index.setdefault("store_problems", []).append({"path": path, "problem": shadow})
                log.error("an evidence object's stored version has something put over it",
                          extra={"key": object_key, "problem": shadow})
            async for chunk in copy_into(writer, path, local, sha256):
                yield chunk
            if segment is not None:
                recording_id, seq, start_ms = segment
                if playable is None:
                    playable = Playable.open(plan.recordings[recording_id], plan.playables[recording_id], spool)
                data = await asyncio.to_thread(local.read_bytes)
                await asyncio.to_thread(playable.feed, seq, sha256, start_ms, data)
        if playable is not None:
            async for chunk in add_playable(writer, playable):
                yield chunk
            playable = None
    finally:
        await asyncio.to_thread(local.unlink, missing_ok=True)
        if playable is not None:
            await asyncio.to_thread(playable.close)
    await _evidence_list(plan, writer)
    writer.add(bag.CUSTODY_EVENTS, _jsonl(plan.custody_events))
    for path, content in plan.complaint_logs:
        writer.add(path, _jsonl(content) if path.endswith(".jsonl") else _json(content))
    if plan.calendar is not None:
        writer.add(bag.CALENDAR, _json(plan.calendar))
    writer.add(bag.CUSTODY_CHECKPOINTS, _json(plan.custody_checkpoints))
    writer.add(bag.PUBLIC_KEY, public_pem(key))
    writer.add(bag.INDEX, _json(plan.index))
    await asyncio.to_thread(writer.finish, key, {
        "Source-Organization": "zeromeet", "External-Identifier": plan.number,
        "External-Description": f"Evidence of case {plan.number}",
        "Bag-Group-Identifier": plan.index["case"]["id"]})
    yield writer.take()


async def _evidence_list(plan: Plan, writer: bag.BagWriter) -> None:
    """The evidence list (证据目录), CSV and PDF, of what the bundle holds."""
    listed = evidence_list.rows(plan.index)
    writer.add(evidence_list.CSV_PATH, evidence_list.csv_bytes(listed))
    plan.index["evidence_list"] = {"csv": evidence_list.CSV_PATH}
    try:
        pdf = await asyncio.to_thread(evidence_list.pdf_bytes, plan.number, plan.index["exported_at"], listed)
    except FontMissing as exc:  # the CSV says it all; the PDF needs a Chinese font
        log.warning("the evidence list has no PDF: %s", exc)
        return
    except Exception:  # noqa: BLE001 - a list that cannot be drawn must not cost the bundle
        log.exception("the evidence list's PDF could not be made; the bundle has the CSV")
        return
    writer.add(evidence_list.PDF_PATH, pdf)
    plan.index["evidence_list"]["pdf"] = evidence_list.PDF_PATH


def _root_name(number: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in number) or "bundle"


def _jsonl(events: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in events).encode()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode()


async def _fetch(store: ObjectStore, object_key: str, dest: Path, version_id: str | None) -> str:
    """Fetch one object's version into `dest`; '' when it is there and intact, else why not."""
    for delay in (*RETRY, None):
        try:
            await store.download(object_key, dest, version_id)
            return ""
        except ObjectNotFound:
            return "the object store does not have it"
        except IntegrityError as exc:
            return f"the stored copy no longer matches its hash on arrival ({exc})"
        except StoreError as exc:
            if delay is None:
                return f"the object store could not supply it ({exc})"
            log.warning("the object store is away during an export; retrying",
                        extra={"key": object_key, "error": str(exc)})
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
