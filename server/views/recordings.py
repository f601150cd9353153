"""Recordings for staff: their segments, playback assembled from the stored segments
(re-muxed, never transcoded), re-verification against the store, and the case's
evidence list."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence import chain, manifest
from evidence.discrepancy import Discrepancy, Kind
from evidence.errors import IntegrityError, ObjectNotFound, StoreError
from evidence.hashing import sha256_bytes
from evidence.segment import SegmentStored
from evidence.store import ObjectStore
from evidence import join
from server.appkeys import RECORDINGS, SIGNING_KEY, STORE
from server.bundle_playable import recording_name
from server.db.models import Recording, Segment
from server.errors import InvalidInput, NotFound
from server.identity import require_staff
from server.services import cases, custody, evidence, recordings
from server import serialize
from server.views.common import transaction
from server.views.parse import path_id, whole_number

log = logging.getLogger("zeromeet.recording")
routes = web.RouteTableDef()


@routes.get("/api/recordings/{recording_id}")
async def get_recording(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        recording, interview = await recordings.recording_for_staff(
            session, staff, path_id(request, "recording_id"))
        rows = await recordings.segments(session, recording.id)
    health = {h["id"]: h for h in request.app[RECORDINGS].health(interview.id)}
    answer = serialize.recording(recording, interview, health.get(recording.id))
    answer["segments"] = [serialize.segment(s, interview) for s in rows]
    answer["spans"] = serialize.spans(rows, interview)
    return web.json_response(answer)


@routes.get("/api/recordings/{recording_id}/segments/{seq}")
async def get_segment(request: web.Request) -> web.Response:
    """One segment's bytes exactly as stored (checked against its SHA-256 on the way)."""
    staff = await require_staff(request)
    seq = whole_number(request.match_info["seq"], "seq")
    async with transaction(request) as session:
        recording, interview = await recordings.recording_for_staff(
            session, staff, path_id(request, "recording_id"))
        rows = [s for s in await recordings.segments(session, recording.id) if s.seq == seq]
    if not rows:
        raise NotFound("No such segment.")
    data = await _fetch(request, rows[0])
    async with transaction(request) as session:
        await custody.record(session, case_id=interview.case_id, action="downloaded",
                             actor=custody.staff_actor(staff),
                             item_id=await recordings.item_id_of(session, recording.id),
                             detail={"recording": recording.id, "segment": seq,
                                     "sha256": rows[0].sha256})
    return web.Response(body=data, content_type=f"{recording.kind}/webm",
                        headers={"X-Content-SHA256": rows[0].sha256})


@routes.get("/api/recordings/{recording_id}/media")
async def play(request: web.Request) -> web.StreamResponse:
    """Segments `from`..`to` (sequence numbers, default all) as one WebM stream starting
    at 0 = the first segment's start; the page places it on the interview clock.
    `?download=1`: the same as a file to save (named for its party, with its Duration in
    the header: the playable file a bundle holds), a "downloaded" custody event."""
    staff = await require_staff(request)
    download = request.query.get("download", "") in ("1", "true")
    async with transaction(request) as session:
        recording, interview = await recordings.recording_for_staff(
            session, staff, path_id(request, "recording_id"))
        rows = await recordings.segments(session, recording.id)
        first = whole_number(request.query.get("from", "1"), "from")
        last = whole_number(request.query.get("to", str(rows[-1].seq if rows else 0)), "to")
        chosen = [s for s in rows if first <= s.seq <= last]
        if not chosen:
            raise NotFound("No stored segments in that range.")
        if download or chosen[0].seq == rows[0].seq:  # a playback from the start, not each seek
            detail = {"recording": recording.id, "media": recording.kind}
            if download:
                detail.update(playable=True, segments=[chosen[0].seq, chosen[-1].seq])
            await custody.record(session, case_id=interview.case_id,
                                 action="downloaded" if download else "viewed",
                                 actor=custody.staff_actor(staff),
                                 item_id=await recordings.item_id_of(session, recording.id),
                                 detail=detail)
    data = await _fetch(request, chosen[0])  # a failure answers 404/409 before streaming
    headers = {"Content-Type": f"{recording.kind}/webm", "Cache-Control": "private, no-store",
               "X-Start-Ms": str(chosen[0].start_ms)}
    duration = None
    if download:
        name = recording_name(recording.participant_name, recording.participant_role,
                              recording.kind, recording.id) + ".webm"
        fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
        headers["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
        duration = chosen[-1].end_ms - chosen[0].start_ms  # what the join ends at, as a bundle's
    response = web.StreamResponse(headers=headers)
    await response.prepare(request)
    joiner = join.Joiner(origin_ms=chosen[0].start_ms, duration_ms=duration)
    for index, segment in enumerate(chosen):
        if index:
            try:
                data = await _fetch(request, segment)
            except web.HTTPException:
                log.error("playback stopped at a segment that failed its check",
                          extra={"recording": recording.id, "seq": segment.seq})
                break
        chunk = joiner.feed(data)
        if chunk:
            await response.write(chunk)
    await response.write_eof()
    return response


@routes.post("/api/recordings/{recording_id}/verify")
async def verify(request: web.Request) -> web.Response:
    """Re-read every stored segment and the manifest, re-hash them, and check the chain
    and the seal. Names every problem found."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        recording, _ = await recordings.recording_for_staff(
            session, staff, path_id(request, "recording_id"))
        rows = await recordings.segments(session, recording.id)
    problems = await _verify(request, recording, rows)
    return web.json_response({"ok": not problems, "problems": [str(p) for p in problems],
                              "discrepancies": [p.as_dict() for p in problems],
                              "segments": len(rows), "state": recording.state.value})


@routes.get("/api/cases/{case_id}/evidence")
async def case_evidence(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        case = await cases.get_case(session, staff, path_id(request, "case_id"))
        items = await recordings.case_evidence(session, case.id)
        return web.json_response([serialize.evidence_item(i) for i in items])


async def _fetch(request: web.Request, segment: Segment) -> bytes:
    try:
        return await request.app[STORE].get(segment.object_key, segment.version_id)
    except ObjectNotFound:
        raise NotFound(f"Segment {segment.seq} is missing from the object store.") from None
    except IntegrityError:
        raise _Mismatch(f"Segment {segment.seq} no longer matches its SHA-256.") from None


class _Mismatch(InvalidInput):
    code, status = "integrity_error", 409


async def _verify(request: web.Request, recording: Recording,
                  rows: list[Segment]) -> list[Discrepancy]:
    store = request.app[STORE]
    public_key: Ed25519PublicKey = request.app[SIGNING_KEY].public_key()
    problems: list[Discrepancy] = []
    entries = [recordings.manifest_entry(s) for s in rows]
    seal = None
    if recording.manifest_key:
        where = f"manifest {recording.manifest_key}"
        try:
            raw = await store.get(recording.manifest_key, recording.manifest_version_id)
            problems.extend(await _shadowed(store, where, recording.manifest_key,
                                            recording.manifest_version_id))
            if sha256_bytes(raw) != recording.manifest_sha256:
                raise IntegrityError("altered")
            document = json.loads(raw)
            listed = [(SegmentStored.from_dict(e), e.get("key")) for e in document["segments"]]
            if listed != [(SegmentStored.of(s), s.object_key) for s in rows]:
                problems.append(Discrepancy(Kind.DIFFERS, "",
                                            "the stored manifest's segments differ from the database's"))
            seal = manifest.seal_of(document.get("seal"))
            if seal is None:
                raise ValueError("its seal is unreadable")
        except (StoreError, IntegrityError, ValueError, TypeError, KeyError, AttributeError) as exc:
            problems.append(_describe(where, exc))
    for row in rows:
        where = f"segment {row.seq} ({row.object_key})"
        try:
            same = await store.verify(row.object_key, row.sha256, row.version_id)
        except StoreError as exc:
            problems.append(_describe(where, exc))
            continue
        if not same:
            problems.append(Discrepancy(Kind.ALTERED, where, "its bytes do not match its SHA-256 (altered)"))
        problems.extend(await _shadowed(store, where, row.object_key, row.version_id))
    chain_problems = chain.check_chain(
        recording.id, recording.interview_id, recording.participant_id, recording.kind,
        entries, seal, public_key)
    if seal is None:  # still recording, or the manifest's problem is reported above
        chain_problems = [p for p in chain_problems if p.kind is not Kind.UNSEALED]
    return problems + chain_problems


async def _shadowed(store: ObjectStore, where: str, key: str,
                    version_id: str | None) -> list[Discrepancy]:
    """The recorded version is what is read and checked; anything put over it in the
    store is tampering all the same, and named."""
    found = await evidence.shadow(store, key, version_id)
    return [found.within(where)] if found else []


def _describe(where: str, exc: BaseException) -> Discrepancy:
    if isinstance(exc, ObjectNotFound):
        return Discrepancy(Kind.MISSING, where, "missing from the object store")
    if isinstance(exc, IntegrityError):
        return Discrepancy(Kind.ALTERED, where, "its bytes do not match its SHA-256 (altered)")
    kind = Kind.UNCHECKED if isinstance(exc, StoreError) else Kind.MALFORMED
    return Discrepancy(kind, where, str(exc) or type(exc).__name__)
