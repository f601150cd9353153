"""An interview with real aiortc participants, for the room and recording tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.support.api import Api
from tests.support.rtc import RtcClient, precoded_clip


class Interview:
    """An inspector, a case, an interview and helpers to bring participants in."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.base = str(api.client.make_url("/"))
        self.clients: list[RtcClient] = []

    async def setup(self) -> None:
        self.staff, self.case, self.interview = await self.api.setup_case()
        self.id = self.interview["id"]

    async def invite(self, name: str, role: str = "worker") -> dict:
        return await self.api.invite(self.staff, self.id, name=name, role=role)

    async def join(self, token: str, label: int = 0, **kwargs) -> RtcClient:  # noqa: ANN003
        if kwargs.get("cheap"):
            # Encoding a clip takes seconds: off the loop, where it would stall the server's
            # recorders (and mark a gap in the recordings of those already in the call).
            await asyncio.to_thread(precoded_clip, "video", label)
            await asyncio.to_thread(precoded_clip, "audio")
        client = RtcClient(self.base, self.id, token, label=label, **kwargs)
        self.clients.append(client)
        await client.connect()
        return client

    async def inspector(self) -> RtcClient:
        return await self.join(self.staff["Authorization"].split()[1], label=1)

    async def raw_socket(self, http: aiohttp.ClientSession, **kwargs) -> aiohttp.ClientWebSocketResponse:  # noqa: ANN003
        url = self.base.replace("http", "ws", 1) + f"api/interviews/{self.id}/ws"
        return await http.ws_connect(url, **kwargs)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients), return_exceptions=True)


@pytest.fixture
async def room(api: Api) -> AsyncIterator[Interview]:
    interview = Interview(api)
    await interview.setup()
    yield interview
    await interview.close()
