"""The HTTP server around the application: what happens before a request reaches it.

aiohttp answers a request it cannot parse (a line over 8,190 bytes, a header without a
colon, a NUL in a value) itself, in text/plain, and logs the raw line it choked on, which
may hold a cookie or an `Authorization` value. `ZeromeetRunner` answers those in the API's
JSON shape and logs one line naming the kind of fault, never the bytes. It also times out
sockets that send nothing or send their request head too slowly
(ZEROMEET_CLIENT_TIMEOUT_SECONDS; aiohttp's own default is an hour, and a phone on 2G
sends a head in a second); bodies have timeouts of their own where they are read
(`server.views.parse`, `server.uploads.receive`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from server.appkeys import SETTINGS

log = logging.getLogger("zeromeet.http")

class _Handler(RequestHandler):
    def handle_error(self, request: BaseRequest, status: int = 500,
                     exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError) or status >= 500:
            return super().handle_error(request, status, exc, message)
        log.info("malformed HTTP request", extra={
            "status": status, "fault": type(exc).__name__, "remote": request.remote})
        body = {"error": "bad_request",
                "message": "The HTTP request is malformed: a line is too long, or a header "
                           "cannot be read."}
        if type(exc).__name__ == "LineTooLong":
            body = {"error": "too_long", "message": "The request line or a header is longer "
                                                    "than this server accepts."}
        response = web.Response(status=status, text=json.dumps(body),
                                content_type="application/json")
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _Handler(self, loop=self._loop, **self._kwargs)


class ZeromeetRunner(web.AppRunner):
    """`web.AppRunner` with the request handler above and the head timeout."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        kwargs.setdefault("keepalive_timeout", app[SETTINGS].client_timeout.total_seconds())
        super().__init__(app, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return _Server(server.request_handler, request_factory=server.request_factory,
                       handler_cancellation=server.handler_cancellation, loop=server._loop,
                       **server._kwargs)
