"""Live captions on the pages, in a real headless Chromium: the inspector's console shows
what a witness (a real aiortc peer speaking espeak-ng lines) says, under the tiles; the
worker's phone shows it in large text once the worker turns captions on."""

from __future__ import annotations


import pytest
from playwright.async_api import Browser, expect

from server.settings import Settings
from tests.support.api import Api
from tests.support.clock import now
from tests.support.rtc import RtcClient
from tests.support.speech import ScriptedAudio, script
from tests.test_rooms_browser import csp_watch, live, open_console, open_phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings, whisper_models: dict) -> Settings:
    return settings.with_(live_captions=True, whisper_model=str(whisper_models["tiny.en"]))


async def witness_captions(api: Api, staff: dict, interview_id: str) -> list[str]:
    every = await api.ok("GET", f"/api/interviews/{interview_id}/captions", headers=staff)
    return [c["text"].strip() for c in every if c["role"] == "witness" and c["text"].strip()]


async def test_the_console_and_a_phone_that_asks_show_live_captions(
        api: Api, browser: Browser) -> None:
    inspector, case, _ = await api.setup_case()
    interview = await api.interview(inspector, case["id"], language="en")
    worker_invite = await api.invite(inspector, interview["id"], name="张三", role="worker")
    witness_invite = await api.invite(inspector, interview["id"], name="赵证人", role="witness")
    base = str(api.client.server.make_url("/")).rstrip("/")

    desk, console = await open_console(browser, base, interview["id"])
    console_errors = csp_watch(console, "console")
    await console.get_by_test_id("join").click()
    await expect(console.locator("#room-status")).to_have_text("已连接", timeout=15_000)
    phone, worker = await open_phone(browser, worker_invite["url"])
    worker_errors = csp_watch(worker, "phone")
    await worker.get_by_test_id("join").click()
    await live(worker, "#remotes video")
    # Captions are off on the phone until the worker asks for them.
    await expect(worker.get_by_test_id("phone-captions")).to_be_hidden()
    await expect(worker.get_by_test_id("toggle-captions")).to_have_attribute("aria-pressed", "false")

    lines = script([("witness", "They have not paid us since March.")], "en")
    voice = ScriptedAudio(lines)
    witness = RtcClient(str(api.client.make_url("/")), interview["id"], witness_invite["token"],
                        label=3, audio=voice, width=160, height=120)
    await witness.connect()
    try:
        await witness.wait_for(lambda c: len(c.received) >= 2, timeout=20)
        await worker.get_by_test_id("toggle-captions").click()
        await expect(worker.get_by_test_id("toggle-captions")).to_have_attribute("aria-pressed", "true")
        voice.start(now() + 0.3)

        caption = console.get_by_test_id("captions").get_by_test_id("caption").filter(has_text="赵证人")
        await expect(caption).to_contain_text("证人", timeout=60_000)
        # The pages show what the server heard, word for word; how well tiny.en hears is
        # test_captions.py's business (on a loaded machine it once heard "Thank you so
        # much." here, and the pages showed exactly that).
        heard = await witness_captions(api, inspector, interview["id"])
        assert heard, "the console showed a caption the server has not got"
        for text in heard:
            await expect(caption.filter(has_text=text).first).to_be_visible()
        shown = worker.get_by_test_id("phone-captions")
        await expect(shown).to_be_visible()
        for text in heard:
            await expect(shown.get_by_test_id("caption").filter(has_text="赵证人").filter(
                has_text=text).first).to_be_visible(timeout=10_000)
        size = await shown.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
        assert size >= 20, f"captions on the phone are {size}px: too small to read at arm's length"

        # A console opened afterwards gets what was said before it from the API.
        await console.reload()
        await console.get_by_test_id("join").click()
        await expect(console.get_by_test_id("captions")).to_contain_text(heard[0], timeout=15_000)
    finally:
        await witness.close()
    assert console_errors == [] and worker_errors == []
    await desk.close()
    await phone.close()
