"""Evidence bundles and the custody log, for inspectors and legal staff of a case."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import quote

from aiohttp import web

from evidence import custody as custody_log
from evidence.errors import StoreError
from server import bundle
from server.appkeys import SETTINGS, SIGNING_KEY, STORE
from server.identity import require_staff
from server.services import cases, custody, uploads
from server.views.common import transaction
from server.views.parse import path_id

log = logging.getLogger("zeromeet.bundle")
routes = web.RouteTableDef()


@routes.post("/api/cases/{case_id}/bundle")
async def export_bundle(request: web.Request) -> web.StreamResponse:
    """The case's evidence bundle, streamed as it is written. `X-Payload-Bytes` tells a
    page how much evidence is coming, so that it can show progress."""
    staff = await require_staff(request)
    key = request.app[SIGNING_KEY]
    async with transaction(request) as session:
        planned = await bundle.plan(session, staff, path_id(request, "case_id"), key)
    name = f"{planned.number}-evidence.zip"
    response = web.StreamResponse(headers={
        "Content-Type": "application/zip",
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
        "X-Payload-Bytes": str(planned.payload_bytes),
    })
    await response.prepare(request)
    spool = request.app[SETTINGS].data_dir / "spool" / "exports"
    async for chunk in bundle.stream(planned, request.app[STORE], key, spool):
        if chunk:
            await response.write(chunk)
    await response.write_eof()
    log.info("bundle exported", extra={"case": planned.number, "files": len(planned.files)})
    return response


@routes.get("/api/cases/{case_id}/custody")
async def custody_history(request: web.Request) -> web.Response:
    """The case's custody log, checked: every event, the signed checkpoints, and any
    broken link named. `?item=` narrows the events to one evidence item."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        case = await cases.get_case(session, staff, path_id(request, "case_id"))
        events = await custody.events(session, case.id)
        points = await custody.checkpoints(session, case.id)
    problems = custody_log.check_log(case.id, events, points, request.app[SIGNING_KEY].public_key())
    item = request.query.get("item")
    shown = [e for e in events if item is None or e.get("item_id") == item
             or (e.get("detail") or {}).get("source") == item]
    return web.json_response({"ok": not problems, "problems": problems, "events": shown,
                              "checkpoints": points, "count": len(events)})


@routes.post("/api/evidence/{item_id}/verify")
async def verify_item(request: web.Request) -> web.Response:
    """Re-hash one item's bytes in the object store against its hash on arrival (a
    recording's segments: `POST /api/recordings/{id}/verify`)."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        item = await uploads.item_for_staff(session, staff, path_id(request, "item_id"))
    checked_at = datetime.now(UTC).isoformat()
    try:
        ok = await request.app[STORE].verify(item.object_key, item.sha256)
        problem = "" if ok else "the stored bytes no longer match the SHA-256 taken on arrival"
    except StoreError as exc:
        ok, problem = False, f"the object store cannot supply it: {exc}"
    return web.json_response({"id": item.id, "ok": ok, "sha256": item.sha256, "problem": problem,
                              "checked_at": checked_at})
