"""Public, unauthenticated answers: signing keys, the API description, health."""

from __future__ import annotations

from aiohttp import web

from server import openapi
from server.appkeys import SIGNING_KEY
from server.keys import public_pem

routes = web.RouteTableDef()


@routes.get("/api/keys")
async def keys(request: web.Request) -> web.Response:
    return web.Response(body=public_pem(request.app[SIGNING_KEY]),
                        content_type="application/x-pem-file")


@routes.get("/api/openapi.json")
async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(openapi.document())


@routes.get("/api/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
