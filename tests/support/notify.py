"""A stand-in SMS gateway (a real local aiohttp server), the `file` plug-in's messages as
sent, and the custody events about them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from server.appkeys import SETTINGS
from server.notify.file import FILE_NAME
from tests.support.api import Api


class Provider:
    """Records each request it gets and answers as `mode` says: `ok` (200 with a message
    id), `error` (500), `slow` (no answer until released), `not_json`, `int_id` (a numeric
    `id`), `no_id`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"
        self.url = ""
        self.release = asyncio.Event()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append({"headers": dict(request.headers), "json": await request.json()})
        if self.mode == "error":
            return web.json_response({"error": "upstream down"}, status=500)
        if self.mode == "slow":
            await self.release.wait()
        if self.mode == "not_json":
            return web.Response(text="OK")
        if self.mode == "int_id":
            return web.json_response({"id": 42})
        if self.mode == "no_id":
            return web.json_response({"ok": True})
        return web.json_response({"code": 0, "message_id": f"sms-{len(self.requests)}"})


@asynccontextmanager
async def sms_gateway() -> AsyncIterator[Provider]:
    provider = Provider()
    app = web.Application()
    app.router.add_post("/v1/send", provider.handle)
    server = TestServer(app)
    await server.start_server()
    provider.url = str(server.make_url("/v1/send"))
    try:
        yield provider
    finally:
        provider.release.set()  # a handler held by `slow` ends now, not at a shutdown timeout
        await server.close()


def messages(api: Api) -> list[dict[str, Any]]:
    """What the `file` plug-in has sent, in order."""
    path = api.app[SETTINGS].data_dir / FILE_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def custody_events(api: Api, headers: dict[str, str], case_id: str,
                         *actions: str) -> list[dict[str, Any]]:
    log = await api.ok("GET", f"/api/cases/{case_id}/custody", headers=headers)
    assert log["ok"], log["problems"]
    return [e for e in log["events"] if not actions or e["action"] in actions]
