"""Evidence bundles and the custody log, for inspectors and legal staff of a case."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from aiohttp import web

from evidence import custody as custody_log
from evidence.errors import StoreError
from server import auth, bundle
from server.appkeys import BUNDLE_EXPORTS, SETTINGS, SIGNING_KEY, STORE
from server.auth import Staff
from server.errors import Forbidden, Gone, InvalidInput, NotFound
from server.identity import require_staff, session_token
from server.services import cases, custody, evidence, uploads
from server.views.common import transaction
from server.views.parse import path_id

log = logging.getLogger("zeromeet.bundle")
TICKET_S = 120  # a ticket is for the click that asked for it, not for later
KEEP_S = 600  # how long a finished export's progress stays to be read


@dataclass
class Export:
    """One ticket's download, as the server sending it sees it."""

    case_id: str
    user_id: str
    expires: int
    state: str = "issued"  # issued → running → done | failed
    name: str = ""
    payload_bytes: int = 0
    written: int = 0  # bytes of the zip sent so far
    error: str = ""

    def fail(self, why: str) -> None:
        self.state, self.error = "failed", why


routes = web.RouteTableDef()


@routes.post("/api/cases/{case_id}/bundle")
async def export_bundle(request: web.Request) -> web.StreamResponse:
    """The case's evidence bundle, streamed as it is written. `X-Payload-Bytes` tells a
    client how much evidence is coming, so that it can show progress."""
    staff = await require_staff(request)
    return await _export(request, staff, path_id(request, "case_id"), None)


@routes.post("/api/cases/{case_id}/bundle/ticket")
async def bundle_ticket(request: web.Request) -> web.Response:
    """A short-lived ticket for `GET …/bundle?ticket=`: the page hands the download to the
    browser, which streams it to disk (a page holding a case of gigabytes in memory would
    not survive it), and follows its progress at `…/bundle/progress?ticket=`."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        case = await cases.get_case(session, staff, path_id(request, "case_id"))
    token = session_token(request)
    assert token is not None  # require_staff saw it
    expires = int(time.time()) + TICKET_S
    ticket = auth.bundle_ticket(token, case.id, expires)
    exports = request.app[BUNDLE_EXPORTS]
    for old in [t for t, e in exports.items() if e.expires + KEEP_S < time.time()]:
        del exports[old]
    exports[ticket] = Export(case_id=case.id, user_id=staff.user_id, expires=expires)
    base = f"/api/cases/{quote(case.id)}/bundle"
    return web.json_response({
        "ticket": ticket, "url": f"{base}?ticket={ticket}",
        "progress_url": f"{base}/progress?ticket={ticket}",
        "expires_at": datetime.fromtimestamp(expires, UTC).isoformat()}, status=201)


@routes.get("/api/cases/{case_id}/bundle")
async def download_bundle(request: web.Request) -> web.StreamResponse:
    """The bundle for a browser's own download, with a ticket from `POST …/bundle/ticket`
    made by this same session, once."""
    staff = await require_staff(request)
    case_id = path_id(request, "case_id")
    ticket = request.query.get("ticket", "")
    expires = auth.bundle_ticket_matches(session_token(request) or "", case_id, ticket)
    if expires is None:
        raise Forbidden("This download link was not made for you and this case; "
                        "press the export button again.", code="ticket_invalid")
    if expires < time.time():
        raise Gone("This download link has expired; press the export button again.",
                   code="ticket_expired")
    exports = request.app[BUNDLE_EXPORTS]
    export = exports.setdefault(ticket, Export(case_id=case_id, user_id=staff.user_id, expires=expires))
    if export.state != "issued":
        raise Gone("This download link has been used; press the export button again.",
                   code="ticket_used")
    export.state = "running"
    return await _export(request, staff, case_id, export)


@routes.get("/api/cases/{case_id}/bundle/progress")
async def bundle_progress(request: web.Request) -> web.Response:
    """How far the download of a ticket has got, on the server that sends it."""
    staff = await require_staff(request)
    export = request.app[BUNDLE_EXPORTS].get(request.query.get("ticket", ""))
    if export is None or export.user_id != staff.user_id or export.case_id != path_id(request, "case_id"):
        raise NotFound("No export with this ticket on this server.", code="no_such_export")
    return web.json_response({"state": export.state, "payload_bytes": export.payload_bytes,
                              "written": export.written, "name": export.name,
                              "error": export.error})


async def _export(request: web.Request, staff: Staff, case_id: str,
                  export: Export | None) -> web.StreamResponse:
    key = request.app[SIGNING_KEY]
    audience = request.query.get("audience", "")
    try:
        if audience not in bundle.AUDIENCES:
            raise InvalidInput("'audience' may be 'employer' (an export for the employer's side) "
                               "or left out.", code="invalid_audience")
        async with transaction(request) as session:
            planned = await bundle.plan(session, staff, case_id, key, audience)
    except BaseException as exc:
        if export is not None:
            export.fail(str(getattr(exc, "message", "")) or type(exc).__name__)
        raise
    name = f"{planned.number}-evidence{'-' + audience if audience else ''}.zip"
    response = web.StreamResponse(headers={
        "Content-Type": "application/zip",
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "Cache-Control": "private, no-store",
        "X-Payload-Bytes": str(planned.payload_bytes),
    })
    if export is not None:
        export.name, export.payload_bytes = name, planned.payload_bytes
    spool = request.app[SETTINGS].data_dir / "spool" / "exports"
    try:
        await response.prepare(request)
        async for chunk in bundle.stream(planned, request.app[STORE], key, spool):
            if chunk:
                await response.write(chunk)
                if export is not None:
                    export.written += len(chunk)
        await response.write_eof()
    except BaseException as exc:
        if export is not None:
            export.fail(f"the download broke off ({type(exc).__name__})")
        raise
    if export is not None:
        export.state = "done"
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
    problems = [str(p) for p in custody_log.check_log(case.id, events, points,
                                                      request.app[SIGNING_KEY].public_key())]
    item = request.query.get("item")
    shown = [e for e in events if item is None or e.get("item_id") == item
             or (e.get("detail") or {}).get("source") == item]
    return web.json_response({"ok": not problems, "problems": problems, "events": shown,
                              "checkpoints": points, "count": len(events)})


@routes.post("/api/evidence/{item_id}/verify")
async def verify_item(request: web.Request) -> web.Response:
    """Re-hash one item's bytes in the object store against its hash on arrival (a
    recording's segments: `POST /api/recordings/{id}/verify`). The version stored on
    arrival is the one checked; anything put over it since is named as well."""
    staff = await require_staff(request)
    async with transaction(request) as session:
        item = await uploads.item_for_staff(session, staff, path_id(request, "item_id"))
    checked_at = datetime.now(UTC).isoformat()
    store = request.app[STORE]
    try:
        ok = await store.verify(item.object_key, item.sha256, item.version_id)
        problem = "" if ok else "the stored bytes no longer match the SHA-256 taken on arrival"
    except StoreError as exc:
        ok, problem = False, f"the object store cannot supply it: {exc}"
    else:
        shadow = await evidence.shadowed(store, item.object_key, item.version_id)
        if shadow and ok:
            problem = (f"in the object store, {shadow}; the version stored on arrival is "
                       "intact and is the one served")
        elif shadow:
            problem = f"{problem}; in the object store, {shadow}"
        ok = ok and not shadow
    return web.json_response({"id": item.id, "ok": ok, "sha256": item.sha256, "problem": problem,
                              "checked_at": checked_at})
