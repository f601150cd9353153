"""The HTML pages and their static files.

Pages carry no data and check no credentials: their scripts call the API, which does,
and a 401 there sends staff to /login. HTML is never cached and static files are
revalidated on every use (there is no build step to put versions in their names), so a
deploy takes effect at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from aiohttp import web

import web as web_pkg

STATIC_DIR = Path(web_pkg.__file__).parent / "static"

_HTML_HEADERS: Mapping[str, str] = {"Cache-Control": "no-store"}
# The invitation token is in the join page's path: keep it out of Referer headers.
_JOIN_HEADERS: Mapping[str, str] = {**_HTML_HEADERS, "Referrer-Policy": "no-referrer"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _page(name: str, headers: Mapping[str, str] = _HTML_HEADERS) -> Handler:
    path = STATIC_DIR / name

    async def serve_page(request: web.Request) -> web.FileResponse:
        return web.FileResponse(path, headers=dict(headers))

    return serve_page


async def _revalidate_static(request: web.Request, response: web.StreamResponse) -> None:
    # Without this, browsers cache by heuristic and may run old scripts after an upgrade.
    if request.path.startswith("/static/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"


async def _root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/cases")


def add_page_routes(app: web.Application) -> None:
    """Register the staff pages (the interview console and its playback among them), the
    invitation landing page and `/static/`."""
    app.router.add_get("/", _root)
    app.router.add_get("/login", _page("login.html"))
    app.router.add_get("/cases", _page("cases.html"))
    app.router.add_get("/cases/{case_id}", _page("case.html"))
    app.router.add_get("/cases/{case_id}/evidence", _page("evidence.html"))
    app.router.add_get("/console/interviews/{interview_id}", _page("console.html"))
    app.router.add_get("/console/interviews/{interview_id}/playback", _page("playback.html"))
    app.router.add_get("/console/interviews/{interview_id}/record", _page("record.html"))
    app.router.add_get("/admin/users", _page("admin-users.html"))
    app.router.add_get("/j/{token}", _page("join.html", _JOIN_HEADERS))
    app.router.add_get("/r/{channel}", _page("report.html"))
    app.router.add_get("/s/{token}", _page("complaint-status.html", _JOIN_HEADERS))
    app.router.add_get("/complaints", _page("complaints.html"))
    app.router.add_get("/complaints/{complaint_id}", _page("complaint.html"))
    app.router.add_static("/static/", STATIC_DIR, name="static")
    app.on_response_prepare.append(_revalidate_static)
