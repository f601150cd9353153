"""Complaints: the public intake and status link, and the staff's queue and decisions."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from server.appkeys import COMPLAINT_JOURNAL, SETTINGS, STORE
from server.complaints import counts, files, handling, imports, intake, present, units
from server.complaints.kinds import CATEGORIES
from server.db.complaint_models import Channel, ComplaintFile, Unit
from server.db.types import utcnow
from server.errors import Conflict, Forbidden, InvalidInput
from server.identity import optional_staff, require_staff
from server.services import custody
from server.uploads.receive import receive
from server.views.common import transaction
from server.views.parse import body_bytes, choice, count, flag, json_from, only, path_id, text

routes = web.RouteTableDef()
FIELDS = {"channel", "name", "phone", "employer", "district", "category", "workers", "amount",
          "description", "confidential"}
STAFF_FIELDS = {"co_complainants"}
PHONE = re.compile(r"\+?[0-9]{5,20}", re.ASCII)
FORM_BYTES = 64 * 1024
MOST_FILES = 20
MOST_CO = 500


def phone_number(body: dict[str, Any], name: str = "phone") -> str:
    raw = text(body, name, required=True, max_length=40)
    digits = re.sub(r"[\s\-()]", "", raw)
    if not PHONE.fullmatch(digits):
        raise InvalidInput(f"'{name}' must be a phone number (digits, 5 to 20).", code="invalid_phone")
    return digits


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": text(body, "name", required=True, max_length=64),
        "phone": phone_number(body),
        "employer": text(body, "employer", max_length=200),
        "district": text(body, "district", max_length=64),
        "category": choice(body, "category", set(CATEGORIES), default="") or "",
        "workers": count(body, "workers", least=1, most=100_000),
        "amount": count(body, "amount", most=10_000_000_000),
        "description": text(body, "description", max_length=5000),
        "confidential": flag(body, "confidential", default=True),
    }


def _co_complainants(body: dict[str, Any]) -> list[dict[str, str]]:
    listed = body.get("co_complainants", [])
    if not isinstance(listed, list) or len(listed) > MOST_CO:
        raise InvalidInput(f"'co_complainants' must be a list of at most {MOST_CO} workers.")
    out = []
    for entry in listed:
        if not isinstance(entry, dict):
            raise InvalidInput("Each of 'co_complainants' must be an object with name and phone.")
        only(entry, {"name", "phone"})
        out.append({"name": text(entry, "name", required=True, max_length=64),
                    "phone": phone_number(entry) if entry.get("phone") else ""})
    return out


@routes.post("/api/complaints")
async def file_complaint(request: web.Request) -> web.Response:
    """A complaint from anyone (the public form), or filed by staff for a caller or a
    visitor (a phone or window channel), a collective one with its list of workers."""
    staff = await optional_staff(request)
    raw = await body_bytes(request, FORM_BYTES)
    body = json_from(raw, request.content_type, allow_empty=False)
    only(body, FIELDS | (STAFF_FIELDS if staff else set()))
    channel = text(body, "channel", required=True, max_length=32)
    filing = intake.Filing(
        channel=channel, fields=_fields(body), body=raw, address=request.remote or "?",
        filed_by=staff.user_id if staff else None,
        co_complainants=_co_complainants(body) if staff else [],
        observed={"address": request.remote or "?",
                  "user_agent": request.headers.get("User-Agent", "")[:300],
                  "filed_by": custody.staff_actor(staff) if staff else None})
    async with transaction(request) as session:
        complaint, token = await intake.file_complaint(session, request.app[STORE], filing)
        number = complaint.number
    return web.json_response({"number": number, "token": token,
                              "status_url": f"/s/{token}"}, status=201)


IMPORT_BYTES = 2 * 1024 * 1024


@routes.post("/api/complaints/import")
async def import_clues(request: web.Request) -> web.Response:
    """Clues from another platform as a CSV file (header row; number, name and phone
    required), filed on one of the caller's channels, each keeping its own number as
    `source:number`; nothing is filed if any row is bad, and what was imported before
    is skipped."""
    staff = await require_staff(request)
    channel = request.query.get("channel", "")[:32]
    source = request.query.get("source", "").strip()[:24]
    if not source or not re.fullmatch(r"[\w\-]+", source):
        raise InvalidInput("'source' must name where the clues come from, e.g. 12345 or "
                           "national-wage-clues.", code="import_invalid")
    raw = await body_bytes(request, IMPORT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")  # what Excel in Chinese saves as "CSV"
        except UnicodeDecodeError:
            raise InvalidInput("The file is neither UTF-8 nor GB18030 text.", code="import_invalid") from None
    rows = imports.parse(text, _fields)
    async with transaction(request) as session:
        found = await intake.channel_of(session, channel)
        if found.unit_id not in await units.visible_units(session, staff):
            raise Forbidden("Clues can be imported only on a channel of one's own unit.", code="other_unit")
        done = await imports.import_rows(
            session, request.app[STORE], channel=found.id, source=source, staff_id=staff.user_id,
            filename=request.headers.get("X-Filename", ""), file_sha256=hashlib.sha256(raw).hexdigest(),
            rows=rows)
    return web.json_response({"filed": done.filed, "skipped": done.skipped}, status=201)


@routes.get("/api/complaint-channels/{channel}")
async def channel_info(request: web.Request) -> web.Response:
    """What the public form shows of its channel: the unit that receives it."""
    async with transaction(request) as session:
        channel = await intake.channel_of(session, request.match_info["channel"][:32])
        unit = await session.get(Unit, channel.unit_id)
        return web.json_response({"channel": channel.id, "medium": channel.medium,
                                  "unit": {"code": unit.code, "name": unit.name} if unit else None,
                                  "categories": list(CATEGORIES)})


def _complaint_token(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


@routes.get("/api/complaint")
async def complaint_status(request: web.Request) -> web.Response:
    async with transaction(request) as session:
        complaint = await intake.by_token(session, _complaint_token(request))
        await handling.note_reply_shown(session, complaint, request.headers.get("User-Agent", "")[:200])
        return web.json_response(await present.for_complainant(session, complaint))


@routes.post("/api/complaint/evidence")
async def complainant_file(request: web.Request) -> web.Response:
    """A photo or document from the complainant, while the complaint is open."""
    async with transaction(request) as session:
        complaint = await intake.by_token(session, _complaint_token(request))
        if not handling.is_open(complaint):
            raise Conflict("This complaint is finished; files can no longer be added.",
                           code="complaint_finished")
        have = await session.scalar(select(func.count()).select_from(ComplaintFile).where(
            ComplaintFile.complaint_id == complaint.id, ComplaintFile.kind == "upload"))
        if have >= MOST_FILES:
            raise Conflict(f"A complaint takes at most {MOST_FILES} files.", code="too_many_files")
        complaint_id = complaint.id
    settings = request.app[SETTINGS]
    got = await receive(request, settings.data_dir / "spool" / "uploads",
                        limit=settings.max_upload_mb * 1024 * 1024, fields={"note"})
    journal = request.app[COMPLAINT_JOURNAL]
    try:
        row = await files.store(request.app[STORE], journal, complaint_id, got,
                                request.remote or "?", utcnow())
        file_id = row.id
        try:
            async with transaction(request) as session:
                await files.record(session, row)
            await asyncio.to_thread(journal.done, file_id)
        finally:  # not committed: the journal's sweep records it within a minute or so
            journal.release(file_id)
    finally:
        await asyncio.to_thread(got.path.unlink, missing_ok=True)
    return web.json_response({"id": file_id, "sha256": got.sha256, "size": got.size,
                              "content_type": got.type.mime}, status=201)


@routes.get("/api/complaints")
async def complaint_queue(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    unit = request.query.get("unit") or None
    overdue = request.query.get("overdue") in ("1", "true")
    at_risk = request.query.get("at_risk") in ("1", "true")
    async with transaction(request) as session:
        found = await handling.queue(session, staff, unit=unit, overdue=overdue, at_risk=at_risk)
        return web.json_response([await present.for_staff(session, c) for c in found])


@routes.get("/api/complaint-counts")
async def complaint_counts(request: web.Request) -> web.Response:
    """Counts per unit, channel, category or month (?by=), of the complaints the caller sees."""
    staff = await require_staff(request)
    by = request.query.get("by", "unit")
    if by not in counts.GROUPS:
        raise InvalidInput(f"'by' must be one of {', '.join(counts.GROUPS)}.", code="invalid_input")
    async with transaction(request) as session:
        return web.json_response({"by": by, "rows": await counts.counts(session, staff, by)})


@routes.get("/api/complaint-channels")
async def channel_list(request: web.Request) -> web.Response:
    """The channels of the caller's units, for staff filing a complaint for a caller or a
    visitor (the phone and window ones) and for the counts."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        seen = await units.visible_units(session, staff)
        found = await session.scalars(select(Channel).where(Channel.unit_id.in_(seen)).order_by(Channel.name))
        return web.json_response([{"channel": c.id, "name": c.name, "medium": c.medium} for c in found])


@routes.get("/api/complaint-options")
async def options(request: web.Request) -> web.Response:
    """The lists staff choose from: categories, referrals, and the bureau's results (a
    label where the bureau gave one; otherwise the page words the standard code)."""
    await require_staff(request)
    return web.json_response({
        "categories": list(CATEGORIES), "referrals": list(handling.REFERRALS),
        "results": [{"code": code, "label": label or None}
                    for code, label in request.app[SETTINGS].complaint_results]})


@routes.get("/api/units")
async def unit_list(request: web.Request) -> web.Response:
    await require_staff(request)
    async with transaction(request) as session:
        return web.json_response([{"code": u.code, "name": u.name, "districts": json.loads(u.districts),
                                   "categories": json.loads(u.categories)}
                                  for u in await units.all_units(session)])


@routes.get("/api/complaints/{complaint_id}")
async def complaint_detail(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    async with transaction(request) as session:
        complaint = await handling.visible(session, staff, path_id(request, "complaint_id"))
        return web.json_response(await present.for_staff(session, complaint, full=True))


async def _act(request: web.Request, fields: set[str], act: Any) -> web.Response:
    staff = await require_staff(request)
    body = await json_object_or_empty(request)
    only(body, fields)
    async with transaction(request) as session:
        complaint = await handling.visible(session, staff, path_id(request, "complaint_id"))
        extra = await act(session, staff, complaint, body) or {}
        return web.json_response({**await present.for_staff(session, complaint, full=True), **extra})


async def json_object_or_empty(request: web.Request) -> dict[str, Any]:
    return json_from(await body_bytes(request, request.client_max_size), request.content_type)


def _reason(body: dict[str, Any], name: str = "reason") -> str:
    return text(body, name, required=True, max_length=2000)


@routes.post("/api/complaints/{complaint_id}/claim")
async def claim(request: web.Request) -> web.Response:
    return await _act(request, set(), lambda s, st, c, b: handling.claim(s, st, c))


@routes.post("/api/complaints/{complaint_id}/transfer")
async def transfer(request: web.Request) -> web.Response:
    return await _act(request, {"unit", "reason"}, lambda s, st, c, b: handling.transfer(
        s, st, c, text(b, "unit", required=True, max_length=32), _reason(b)))


@routes.post("/api/complaints/{complaint_id}/take")
async def take(request: web.Request) -> web.Response:
    return await _act(request, set(), lambda s, st, c, b: handling.take_transfer(s, st, c))


@routes.post("/api/complaints/{complaint_id}/accept")
async def accept(request: web.Request) -> web.Response:
    async def act(session: Any, staff: Any, complaint: Any, body: Any) -> dict[str, Any]:
        case = await handling.accept(session, staff, complaint)
        return {"case_id": case.id, "case_number": case.number}
    return await _act(request, set(), act)


@routes.post("/api/complaints/{complaint_id}/refuse")
async def refuse(request: web.Request) -> web.Response:
    return await _act(request, {"reason"}, lambda s, st, c, b: handling.decide_not_to_accept(
        s, st, c, refer_to=None, reason=_reason(b)))


@routes.post("/api/complaints/{complaint_id}/refer")
async def refer(request: web.Request) -> web.Response:
    return await _act(request, {"to", "reason"}, lambda s, st, c, b: handling.decide_not_to_accept(
        s, st, c, refer_to=choice(b, "to", set(handling.REFERRALS), required=True), reason=_reason(b)))


@routes.post("/api/complaints/{complaint_id}/ask")
async def ask(request: web.Request) -> web.Response:
    return await _act(request, {"what"}, lambda s, st, c, b: handling.ask_for_material(
        s, st, c, _reason(b, "what")))


@routes.post("/api/complaints/{complaint_id}/suspend")
async def suspend(request: web.Request) -> web.Response:
    return await _act(request, {"reason"}, lambda s, st, c, b: handling.suspend(s, st, c, _reason(b)))


@routes.post("/api/complaints/{complaint_id}/resume")
async def resume(request: web.Request) -> web.Response:
    async def act(session: Any, staff: Any, complaint: Any, body: Any) -> None:
        handling.require_owner(staff, complaint)
        await handling.resume(session, custody.staff_actor(staff), complaint, _reason(body))
    return await _act(request, {"reason"}, act)


@routes.post("/api/complaints/{complaint_id}/extend")
async def extend(request: web.Request) -> web.Response:
    return await _act(request, {"days", "reason"}, lambda s, st, c, b: handling.extend(
        s, st, c, count(b, "days", least=1, most=30) or 0, _reason(b)))


@routes.post("/api/complaints/{complaint_id}/close")
async def close(request: web.Request) -> web.Response:
    return await _act(request, {"result", "reply", "amount_recovered", "workers_covered"},
                      lambda s, st, c, b: handling.close(
                          s, st, c, result=choice(b, "result", {code for code, _ in
                                                                request.app[SETTINGS].complaint_results},
                                                  required=True) or "",
                          reply=text(b, "reply", required=True, max_length=5000),
                          amount_recovered=count(b, "amount_recovered", most=10_000_000_000, required=True),
                          workers_covered=count(b, "workers_covered", most=100_000, required=True)))
