"""The text chat in a real headless Chromium: the inspector's console at 1440×900 and a
worker's phone at 360×640 exchange a message each way and each sees the other's; on the
phone the chat opens over the lower part of the call and the hang-up button stays in
view and works."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import Api
from tests.test_console_browser import open_desk
from tests.test_rooms_browser import csp_watch, open_phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

# What covers the middle of an element (the element itself, or something inside it).
ON_TOP = """(el) => {
  const box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return top === el || el.contains(top);
}"""


async def test_console_and_phone_chat_and_the_phone_can_still_hang_up(api: Api, browser: Browser) -> None:
    inspector, case, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    base = str(api.client.server.make_url("/")).rstrip("/")
    desk, console = await open_desk(browser, base, interview["id"])
    phone, worker = await open_phone(browser, invitation["url"], height=640)
    console_errors, phone_errors = csp_watch(console, "console"), csp_watch(worker, "phone")
    try:
        await console.get_by_test_id("join").click()
        await expect(console.locator("#room-status")).to_have_text("已连接", timeout=15_000)
        await worker.get_by_test_id("join").click()
        await expect(worker.locator("#room")).to_be_visible()
        await expect(console.locator(".tile", has_text="张三")).to_contain_text("已连接", timeout=15_000)

        # The console writes; the phone's chat button counts it and its reader hears it.
        chat = console.get_by_test_id("chat")
        await expect(chat.get_by_role("heading", name="文字交流")).to_be_visible()
        await chat.get_by_label("要发送的文字").fill("声音断了，请用文字回答：您在工地做了多久？")
        await chat.get_by_label("要发送的文字").press("Enter")
        mine = chat.get_by_test_id("chat-message").last
        await expect(mine).to_contain_text("我")
        await expect(mine).to_contain_text("声音断了，请用文字回答")
        await expect(chat.get_by_label("要发送的文字")).to_have_value("")
        toggle = worker.get_by_test_id("chat-toggle")
        await expect(worker.get_by_test_id("chat-count")).to_have_text("1", timeout=10_000)
        await expect(toggle).to_have_attribute("aria-label", "打开文字消息（1 条未读）")
        await expect(worker.locator("#chat-live")).to_have_text(
            "Wang（监察员）发来消息：声音断了，请用文字回答：您在工地做了多久？")

        # Opened with one thumb: over the lower part of the call, the buttons below it free.
        await toggle.click()
        panel = worker.get_by_test_id("chat")
        await expect(panel).to_be_visible()
        await expect(toggle).to_have_attribute("aria-expanded", "true")
        heard = panel.get_by_test_id("chat-message").last
        await expect(heard).to_contain_text("Wang（监察员）")
        await expect(heard).to_contain_text("您在工地做了多久？")
        hang_up = worker.get_by_test_id("hang-up")
        await expect(hang_up).to_be_visible()
        box, stage = await panel.bounding_box(), await worker.locator(".stage").bounding_box()
        button = await hang_up.bounding_box()
        assert box and stage and button
        assert box["y"] + box["height"] <= button["y"], (box, button)
        assert box["y"] > stage["y"] + 40, (box, stage)  # the videos still show above it
        assert button["y"] + button["height"] <= 640 and box["width"] <= 360
        assert await hang_up.evaluate(ON_TOP)

        # The phone answers; the console sees it, named, and its reader hears it.
        await panel.get_by_label("要发送的文字").fill("三个月，老板一直没发工资")
        await panel.get_by_role("button", name="发送").click()
        await expect(panel.get_by_test_id("chat-message").last).to_contain_text("我")
        await expect(panel.get_by_test_id("chat-message").last).to_contain_text("三个月")
        theirs = chat.get_by_test_id("chat-message").last
        await expect(theirs).to_contain_text("张三（劳动者）")
        await expect(theirs).to_contain_text("三个月，老板一直没发工资")
        await expect(console.locator("#chat-live")).to_have_text("张三（劳动者）发来消息：三个月，老板一直没发工资")
        await expect(worker.get_by_test_id("chat-count")).to_be_hidden()

        # In English (the console's switch; the phone's is under its call): the messages stay.
        await console.get_by_role("button", name="English").click()
        await expect(chat.get_by_role("heading", name="Text chat")).to_be_visible()
        await expect(theirs).to_contain_text("张三 (Worker)")
        await expect(chat.get_by_role("button", name="Send")).to_be_visible()
        await console.get_by_role("button", name="中文").click()

        # The server kept both, in order, for the case.
        listed = await api.ok("GET", f"/api/interviews/{interview['id']}/chat", headers=inspector)
        assert [(m["from"]["role"], m["to"]) for m in listed] == [("inspector", "all"), ("worker", "all")]

        # With the chat still open, hanging up works at the first tap.
        await expect(panel).to_be_visible()
        worker.once("dialog", lambda dialog: dialog.accept())
        await hang_up.click()
        await expect(worker.locator("#room")).to_be_hidden()
        await expect(worker.get_by_test_id("join")).to_be_visible()
        assert console_errors == [] and phone_errors == []
    finally:
        await desk.close()
        await phone.close()
