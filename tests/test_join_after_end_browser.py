"""The worker's phone after the interview ends, in a real headless Chromium: thanked (not
an error), told the record will come to this page for signing, and shown it within
seconds of the inspector sending it, with the page left open; the link opened again
later thanks the worker instead of inviting them to join."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Browser, expect

from server.settings import Settings
from tests.support.api import Api
from tests.support.conversation import wait_for_draft
from tests.support.rtc import RtcClient
from tests.support.speech import ScriptedAudio
from tests.test_rooms_browser import csp_watch, open_phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SHOWN_WITHIN_S = 12.0


@pytest.fixture
def settings(settings: Settings, whisper_models: dict) -> Settings:
    return settings.with_(transcribe=True, whisper_model=str(whisper_models["base"]))


async def test_after_the_end_the_phone_waits_for_the_record_and_shows_it_when_sent(
        api: Api, browser: Browser) -> None:
    inspector, case, _ = await api.setup_case()
    interview = await api.interview(inspector, case["id"], language="zh")
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    phone, worker = await open_phone(browser, invitation["url"])
    errors = csp_watch(worker, "phone")
    await worker.get_by_test_id("join").click()
    desk = RtcClient(str(api.client.make_url("/")), interview["id"],
                     inspector["Authorization"].split()[1], label=1, audio=ScriptedAudio([]),
                     width=160, height=120)
    await desk.connect()
    try:
        await desk.wait_for(lambda c: any(k.get("audio") for k in c.received.values()), timeout=30)
        await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=inspector)
    finally:
        await desk.close()

    # Thanks, in the page's colour for things that went well; what happens next.
    title = worker.locator("#problem-title")
    await expect(title).to_have_text("询问已结束，谢谢", timeout=10_000)
    colour, danger = await title.evaluate("""(el) => {
      const probe = document.createElement('p');
      probe.style.color = 'var(--danger)';
      document.body.append(probe);
      const seen = [getComputedStyle(el).color, getComputedStyle(probe).color];
      probe.remove();
      return seen;
    }""")
    assert colour != danger, "a normal end is shown in the colour of errors"
    await expect(worker.locator("#problem-text")).to_contain_text("签名")
    await expect(worker.locator("#problem-text")).not_to_contain_text("关闭这个页面了")
    await expect(worker.get_by_test_id("record-card")).to_be_hidden()

    # The inspector sends the draft; the page, left open, shows it without a reload.
    await wait_for_draft(api, inspector, interview["id"])
    await api.ok("POST", f"/api/interviews/{interview['id']}/record/send", 201, headers=inspector,
                 json={"invitation_id": invitation["id"]})
    sent = time.monotonic()
    await expect(worker.get_by_test_id("record-card")).to_be_visible(timeout=SHOWN_WITHIN_S * 1000)
    print(f"record card shown {time.monotonic() - sent:.1f} s after it was sent")

    # The link opened again: no invitation to join an interview that is over.
    await worker.reload()
    await expect(worker.locator("#problem-title")).to_have_text("询问已结束，谢谢")
    await expect(worker.locator("#join-ok")).to_be_hidden()
    await expect(worker.get_by_test_id("record-card")).to_be_visible()
    assert errors == []
    await phone.close()
