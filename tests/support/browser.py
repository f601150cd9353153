"""Headless Debian Chromium driven by Playwright (Playwright's own browser download
cannot work here, so it is pointed at /usr/bin/chromium)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("Debian's chromium is missing: `make test` installs it.")
    return path


@pytest.fixture(scope="session")
async def chromium_session() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def browser(chromium_session: Browser) -> AsyncIterator[Browser]:
    """The session's Chromium, left as the test found it: every context the test opened
    is closed after it, passed or failed. A failed test's pages otherwise live on with
    their fake cameras running and their sockets redialling a server that is gone, and
    load every test after them (a fresh-clone run saw three timing tests fail so)."""
    before = set(chromium_session.contexts)
    yield chromium_session
    for context in chromium_session.contexts:
        if context not in before:
            await context.close()
