"""The inquiry record in a real headless Chromium: the inspector corrects the machine
draft (made from a real call by the real pipeline), compares versions, plays a turn's
audio and sends the record to the worker; the worker reads it on a phone-sized screen and
signs it; a correction with a reason goes out again, changes while the worker reads it,
and is refused with a reason (on a draft written as the job writes it: no call). Legal
staff see it all read-only."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from server.settings import Settings
from tests.support.api import PASSWORD, bearer
from tests.support.conversation import Conversation, converse
from tests.support.records import Drafted, drafted
from tests.support.rooms import Interview
from tests.test_recording_browser import log_in_at
from tests.test_records_workflow import edited, signature_png
from tests.test_rooms_browser import csp_watch, poll

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LINES = [
    ("inspector", "How long have you worked for this company?"),
    ("worker", "I have worked here for two years."),
]
PHONE = {"viewport": {"width": 360, "height": 640}, "has_touch": True, "is_mobile": True}

# An <audio> that plays: not paused, has data, and its clock moved on since the first look.
PLAYING = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || el.paused || el.readyState < 2) return false;
  if (el.dataset.t0 === undefined) el.dataset.t0 = String(el.currentTime);
  return el.currentTime > Number(el.dataset.t0) + 0.3;
}"""
DESCRIBE_AUDIO = """(selector) => { const el = document.querySelector(selector); return el && {
  src: el.currentSrc, time: el.currentTime, paused: el.paused, ready: el.readyState,
  error: el.error && el.error.code, stopAt: el.dataset.stopAt }; }"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def settings(settings: Settings, whisper_models: dict) -> Settings:
    return settings.with_(transcribe=True, whisper_model=str(whisper_models["tiny.en"]))


async def draft(room: Interview) -> Conversation:
    conv = await converse(room, LINES, voice="en", language="en")
    assert conv.record["status"] == "draft", conv.record["job"]
    kinds = {turn["kind"] for turn in conv.record["turns"]}
    assert kinds == {"question", "answer"}, conv.record["turns"]
    return conv


async def open_phone(browser: Browser, url: str) -> tuple[BrowserContext, Page, list[str]]:
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    errors = csp_watch(page, "phone")
    await page.goto(url)
    return context, page, errors


async def sign(page: Page, pad_id: str = "signature") -> None:
    """Write a zigzag across the signature box with the mouse (pointer events, as a finger)."""
    pad = page.get_by_test_id(pad_id)
    await pad.scroll_into_view_if_needed()
    box = await pad.bounding_box()
    assert box and box["width"] > 250 and box["height"] > 150, box
    left, top = box["x"] + 20, box["y"] + box["height"] / 2
    await page.mouse.move(left, top)
    await page.mouse.down()
    for step in range(1, 9):
        await page.mouse.move(left + step * (box["width"] - 40) / 8, top + (30 if step % 2 else -30), steps=4)
    await page.mouse.up()


async def edit_save_compare_and_play(page: Page, room: Interview, conv: Conversation) -> str:
    """Correct the last turn in the editor; returns the new text."""
    machine = conv.record
    turns = page.locator("#turns > li")
    await expect(turns).to_have_count(len(machine["turns"]))
    labels = {"question": "问", "answer": "答"}
    await expect(page.get_by_test_id("turn-kind")).to_have_text([labels[t["kind"]] for t in machine["turns"]])
    unsure = [t for t in machine["turns"] if t["low_confidence"]]
    await expect(page.get_by_test_id("low-confidence")).to_have_count(len(unsure))

    # The ▶ of the first turn plays that turn's own stretch of the recording.
    first = turns.first
    await first.get_by_test_id("play-turn").click()
    await poll(page, PLAYING, '[data-testid="turn-1"] audio', 15_000,
               lambda: page.evaluate(DESCRIBE_AUDIO, '[data-testid="turn-1"] audio'))

    last = len(machine["turns"])
    new_text = machine["turns"][-1]["text"].rstrip(".") + ", since 2024."
    await turns.last.get_by_test_id("turn-text").fill(new_text)
    await page.get_by_test_id("save").click()
    await expect(page.get_by_test_id("record-version")).to_have_attribute("data-version", "2")
    await expect(page.locator("#save-message")).to_contain_text("已保存为第 2 版")
    saved = await room.api.ok("GET", f"/api/interviews/{room.id}/record", headers=room.staff)
    assert saved["version"] == 2 and saved["turns"][-1]["text"] == new_text
    assert saved["author"]["username"] == "wang"
    await expect(page.locator(f'[data-testid="turn-{last}"] textarea')).to_have_value(new_text)

    await expect(page.locator("#versions tbody tr")).to_have_count(2)
    await expect(page.locator("#versions tbody tr").first).to_contain_text("机器草稿")
    await page.get_by_test_id("show-diff").click()
    diff = page.get_by_test_id("diff")
    await expect(diff.locator("del")).to_contain_text(machine["turns"][-1]["text"])
    await expect(diff.locator("ins")).to_contain_text(new_text)

    # Version 1 stays as the machine wrote it, read-only.
    await page.locator("#versions tbody tr").first.get_by_role("link", name="查看").click()
    await expect(page).to_have_url(re.compile(r"\?version=1$"))
    await expect(page.get_by_test_id("turn-text").last).to_have_text(machine["turns"][-1]["text"])
    await expect(page.locator("#turns textarea")).to_have_count(0)
    await expect(page.get_by_test_id("save")).to_be_hidden()
    await page.get_by_role("link", name="打开最新版本").click()
    await expect(page.get_by_test_id("record-version")).to_have_attribute("data-version", "2")
    return new_text


async def send_to_worker(page: Page, conv: Conversation | Drafted) -> None:
    await page.get_by_test_id("send-to").select_option(conv.invitations["worker"]["id"])
    await page.get_by_test_id("send").click()
    await expect(page.get_by_test_id("request-state").last).to_have_text("等待确认")


async def read_on_the_phone(phone: Page, room: Interview, conv: Conversation | Drafted) -> dict:
    """Open the record from the card; the text shown is exactly the one the answer binds."""
    sent = await room.api.ok("GET", "/api/invitation/record", headers=bearer(conv.tokens["worker"]))
    card = phone.get_by_test_id("record-card")
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("Please read the inquiry record")  # the interview was in English
    await phone.get_by_test_id("record-open").click()
    await expect(phone.get_by_test_id("record-text")).to_be_visible()
    shown = await phone.get_by_test_id("record-text").evaluate("(el) => el.textContent")
    assert shown == sent["text"]
    assert await phone.evaluate(NO_SIDEWAYS_SCROLL), await phone.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    size = await phone.get_by_test_id("record-text").evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 16
    return sent


async def test_inspector_corrects_the_draft_and_the_worker_signs_it_on_the_phone(
        room: Interview, browser: Browser) -> None:
    conv = await draft(room)
    base = room.base.rstrip("/")
    path = f"/api/interviews/{room.id}/record"

    # From the console's link to the record page.
    desk, page = await log_in_at(browser, base, f"/console/interviews/{room.id}")
    errors = csp_watch(page, "record")
    await page.get_by_test_id("record").click()
    await expect(page).to_have_url(f"{base}/console/interviews/{room.id}/record")
    await expect(page.get_by_test_id("record-status")).to_have_text("待确认")
    new_text = await edit_save_compare_and_play(page, room, conv)
    await send_to_worker(page, conv)

    # The worker's phone: read, sign, confirm.
    phone_context, phone, phone_errors = await open_phone(browser, conv.invitations["worker"]["url"])
    await read_on_the_phone(phone, room, conv)
    await expect(phone.get_by_test_id("record-text")).to_contain_text(new_text)
    await phone.get_by_test_id("choose-confirm").click()
    await expect(phone.get_by_test_id("sign-statement")).to_be_visible()  # the formula, by the signature
    confirm = phone.get_by_test_id("confirm")
    await expect(confirm).to_be_disabled()
    await sign(phone)
    await expect(confirm).to_be_enabled()
    height = (await confirm.bounding_box())["height"]
    assert height >= 44, height
    await confirm.click()
    await expect(phone.get_by_test_id("record-state")).to_contain_text("Confirmed: you signed this record")
    assert await phone.evaluate(NO_SIDEWAYS_SCROLL)
    record = await room.api.ok("GET", path, headers=room.staff)
    assert record["status"] == "confirmed" and record["version"] == 2
    (answer,) = record["confirmations"]
    assert answer["decision"] == "confirmed" and re.fullmatch(r"[0-9a-f]{64}", answer["signature_sha256"])

    # The inspector's page sees the answer come in by itself.
    await expect(page.get_by_test_id("request-state").last).to_have_text("已确认", timeout=12_000)
    await expect(page.get_by_test_id("answer-decision")).to_have_text(["已确认"])
    await expect(page.get_by_test_id("record-status")).to_have_text("已确认")

    # Coming back to the link later shows the answer, not the buttons.
    await phone.reload()
    await expect(phone.get_by_test_id("record-card")).to_contain_text("You confirmed and signed the record")
    await phone.get_by_test_id("record-open").click()
    await expect(phone.get_by_test_id("record-state")).to_contain_text("Confirmed")
    await expect(phone.get_by_test_id("choose-confirm")).to_be_hidden()
    assert errors == [] and phone_errors == []
    await phone_context.close()
    await desk.close()


async def test_a_correction_needs_a_reason_and_the_worker_may_refuse_it(
        room: Interview, browser: Browser) -> None:
    conv = await drafted(room, LINES)  # no call: nothing here plays the recording
    base = room.base.rstrip("/")
    path = f"/api/interviews/{room.id}/record"
    worker = bearer(conv.tokens["worker"])

    # A colleague saves version 2 while the page still edits version 1: the save is
    # refused, and after loading version 2 what was typed stays in sight.
    desk, page = await log_in_at(browser, base, f"/console/interviews/{room.id}/record")
    errors = csp_watch(page, "record")
    typed = "Typed while a colleague saved."
    await page.get_by_test_id("turn-text").first.fill(typed)
    colleague = "Saved by a colleague."
    await room.api.ok("POST", f"{path}/versions", 201, headers=room.staff,
                      json={"based_on": 1, "turns": edited(conv.record, t0=colleague)})
    await page.get_by_test_id("save").click()
    await expect(page.locator("#save-message")).to_contain_text("别人保存了新的版本")
    await page.get_by_role("button", name="载入最新版本").click()
    await expect(page.get_by_test_id("record-version")).to_have_attribute("data-version", "2")
    await expect(page.locator("#turns textarea").first).to_have_value(colleague)
    await expect(page.locator("#rd-kept")).to_contain_text(typed)

    # Version 2 confirmed by the worker (through the API); the page, reloaded, says so.
    await room.api.ok("POST", f"{path}/send", 201, headers=room.staff,
                      json={"invitation_id": conv.invitations["worker"]["id"]})
    shown = await room.api.ok("GET", "/api/invitation/record", headers=worker)
    await room.api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 2, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    await page.reload()
    await expect(page.get_by_test_id("record-status")).to_have_text("已确认")
    corrected = "Corrected by the inspector."
    await page.get_by_test_id("turn-text").first.fill(corrected)
    await page.get_by_test_id("save").click()
    dialog = page.locator("#reason-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="保存更正").click()
    await expect(dialog.locator("#reason-message")).to_have_text("请填写更正理由。")
    await dialog.get_by_label("更正理由").fill("The worker asked for the first answer to be clearer.")
    await dialog.get_by_role("button", name="保存更正").click()
    await expect(page.get_by_test_id("record-version")).to_have_attribute("data-version", "3")
    await expect(page.locator("#versions tbody tr").last).to_contain_text("The worker asked")
    await send_to_worker(page, conv)
    await expect(page.get_by_test_id("request-state")).to_have_text(["已确认", "等待确认"])

    # The worker reads version 3; before the answer goes out, version 4 is saved and sent
    # instead: the phone shows the new text and asks to read it again. Then the worker
    # refuses it with a reason.
    phone_context, phone, phone_errors = await open_phone(browser, conv.invitations["worker"]["url"])
    sent = await read_on_the_phone(phone, room, conv)
    assert sent["version"] == 3 and corrected in sent["text"]
    latest = await room.api.ok("GET", path, headers=room.staff)
    again = "Corrected once more."
    await room.api.ok("POST", f"{path}/versions", 201, headers=room.staff,
                      json={"based_on": 3, "turns": edited(latest, t0=again)})
    await room.api.ok("POST", f"{path}/send", 201, headers=room.staff,
                      json={"invitation_id": conv.invitations["worker"]["id"]})
    await phone.get_by_test_id("choose-refuse").click()
    await phone.get_by_test_id("refuse").click()
    await expect(phone.locator("#answer-problem")).to_contain_text("Please write your reason.")
    reason = "第二句不是我说的。"
    await phone.get_by_label("Say what does not match what you said").fill(reason)
    await phone.get_by_test_id("refuse").click()
    await expect(phone.locator("#reader-note")).to_contain_text("Please read it again")
    await expect(phone.get_by_test_id("record-text")).to_contain_text(again)
    sent = await room.api.ok("GET", "/api/invitation/record", headers=worker)
    assert await phone.get_by_test_id("record-text").evaluate("(el) => el.textContent") == sent["text"]
    await phone.get_by_test_id("refuse").click()
    await expect(phone.get_by_test_id("record-state")).to_contain_text(f"Refused. Your reason: {reason}")
    # Nothing under a refusal reads as "I have read it and it matches what I said".
    await expect(phone.locator("#statement")).to_be_hidden()
    await expect(phone.locator(".reader-answer")).not_to_contain_text("it matches what I said", use_inner_text=True)
    assert await phone.evaluate(NO_SIDEWAYS_SCROLL)
    record = await room.api.ok("GET", path, headers=room.staff)
    assert record["status"] == "refused"
    answers = [(c["decision"], c["version"], c["reason"]) for c in record["confirmations"]]
    assert answers == [("confirmed", 2, ""), ("refused", 4, reason)]
    await expect(page.get_by_test_id("answer-decision")).to_have_text(["已确认", "已拒绝"], timeout=12_000)
    await expect(page.locator("#answers")).to_contain_text(reason)
    await expect(page.get_by_test_id("record-status")).to_have_text("已拒绝签名", timeout=12_000)

    # Legal staff read the same page without anything to change.
    await room.api.user("li", role="legal")
    await room.api.ok("POST", f"/api/cases/{room.case['id']}/members", 201, headers=room.staff,
                      json={"username": "li"})
    legal = await browser.new_context(viewport={"width": 1280, "height": 900})
    reader = await legal.new_page()
    await reader.goto(f"{base}/login?next=/console/interviews/{room.id}/record")
    await reader.get_by_label("用户名").fill("li")
    await reader.get_by_label("密码").fill(PASSWORD)
    await reader.get_by_role("button", name="登录").click()
    await expect(reader.get_by_test_id("turn-text").first).to_have_text(again)
    await expect(reader.locator("#turns textarea, #turns select")).to_have_count(0)
    await expect(reader.get_by_test_id("save")).to_be_hidden()
    await expect(reader.get_by_test_id("send")).to_be_hidden()
    await expect(reader.locator("#rd-readonly")).to_have_text("您对笔录只有查看权限。")
    assert errors == [] and phone_errors == []
    await legal.close()
    await phone_context.close()
    await desk.close()


async def test_before_the_draft_the_page_waits_and_the_phone_shows_no_card(
        room: Interview, browser: Browser) -> None:
    invite = await room.invite("李工人")
    base = room.base.rstrip("/")
    desk, page = await log_in_at(browser, base, f"/console/interviews/{room.id}/record")
    errors = csp_watch(page, "record")
    await expect(page.locator("#pending")).to_be_visible()
    await expect(page.get_by_test_id("job-state")).to_contain_text("询问结束后")
    await expect(page.locator("#draft")).to_be_hidden()

    phone_context, phone, phone_errors = await open_phone(browser, invite["url"])
    await expect(phone.get_by_test_id("join")).to_be_visible()
    await phone.wait_for_load_state("networkidle")
    await expect(phone.get_by_test_id("record-card")).to_be_hidden()
    assert errors == [] and phone_errors == []
    await phone_context.close()
    await desk.close()
