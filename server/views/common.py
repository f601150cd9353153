"""What every handler shares: one transaction per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from server.appkeys import SESSIONS


@asynccontextmanager
async def transaction(request: web.Request) -> AsyncIterator[AsyncSession]:
    """The one place that commits or rolls back: commit when the block ends cleanly."""
    async with request.app[SESSIONS]() as session, session.begin():
        yield session
