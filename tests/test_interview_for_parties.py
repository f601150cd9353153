"""What a party's page says of the call: who is calling (the bureau, the inspectors, a
number to check with), when, and what about in words meant for them, never the case's
internal title; and an interview nobody joined is moved or called off, not ended."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, expect

from server.appkeys import SESSIONS
from server.complaints import units
from tests.support.api import PASSWORD, Api, bearer
from tests.test_rooms_browser import open_phone

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
NOTE = "需要尽快处理并向上级报告"  # a case title that is an internal note
PURPOSE = "了解您在某工地的工资支付情况"
WHEN = "2026-12-09T02:00:00+00:00"  # 10:00 in Beijing


async def _scheduled(api: Api) -> tuple[dict, dict, dict, dict]:
    wang = await api.staff("wang")
    await api.staff("zhou")
    case = await api.case(wang, title=NOTE)
    await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=wang, json={"username": "zhou"})
    interview = await api.ok("POST", f"/api/cases/{case['id']}/interviews", 201, headers=wang,
                             json={"purpose": PURPOSE, "scheduled_for": WHEN})
    worker = await api.invite(wang, interview["id"], name="张三", role="worker")
    return wang, case, interview, worker


async def test_the_party_is_told_who_is_calling_when_and_about_what(api: Api) -> None:
    wang, case, interview, worker = await _scheduled(api)
    own = await api.ok("GET", "/api/invitation", headers=bearer(worker["token"]))
    assert own["bureau"] == {"name": "劳动保障监察机构", "phone": "12333"}
    assert own["inspectors"] == ["Wang", "Zhou"]  # who scheduled it first
    assert own["interview"]["purpose"] == PURPOSE
    assert datetime.fromisoformat(own["interview"]["scheduled_for"]) == datetime.fromisoformat(WHEN)
    assert NOTE not in str(own)
    # A case of a unit is called from that unit.
    async with api.app[SESSIONS]() as session, session.begin():
        await units.add_unit(session, code="city", name="济南市劳动保障监察支队", parent=None, districts=[])
    own = await api.ok("GET", "/api/invitation", headers=bearer(worker["token"]))
    assert own["bureau"]["name"] == "济南市劳动保障监察支队"


async def test_an_interview_nobody_joined_is_rescheduled_or_cancelled(api: Api) -> None:
    wang, case, interview, worker = await _scheduled(api)
    path = f"/api/interviews/{interview['id']}"
    moved = await api.ok("POST", f"{path}/reschedule", headers=wang,
                         json={"scheduled_for": "2026-12-10T06:30:00Z", "purpose": "核实加班工资"})
    assert moved["purpose"] == "核实加班工资"
    assert datetime.fromisoformat(moved["scheduled_for"]) == datetime(2026, 12, 10, 6, 30, tzinfo=UTC)
    await api.ok("POST", f"{path}/cancel", 400, headers=wang, json={})  # a reason is needed
    cancelled = await api.ok("POST", f"{path}/cancel", headers=wang, json={"reason": "用人单位已主动支付"})
    assert cancelled["state"] == "ended" and cancelled["cancel_reason"] == "用人单位已主动支付"
    own = await api.ok("GET", "/api/invitation", headers=bearer(worker["token"]))
    assert own["interview"]["cancelled"] is True and own["interview"]["cancel_reason"] == "用人单位已主动支付"
    for action, body in (("reschedule", {"purpose": "x"}), ("cancel", {"reason": "x"})):
        status, got = await api.call("POST", f"{path}/{action}", headers=wang, json=body)
        assert status == 409 and got["error"] == "interview_started", (action, got)
    record = await api.ok("GET", f"{path}/record", headers=wang)
    assert record["status"] == "pending" and record["job"] is None  # nothing to transcribe, none queued
    other = await api.staff("legal1", role="legal")
    status, _ = await api.call("POST", f"{path}/cancel", headers=other, json={"reason": "x"})
    assert status in (403, 404)


async def test_the_phone_shows_who_is_calling_above_the_fold_and_a_cancellation(api: Api, browser: Browser) -> None:
    wang, case, interview, worker = await _scheduled(api)
    # A small Android phone in China: 360×640, Beijing time.
    context, page = await open_phone(browser, worker["url"], height=640, timezone_id="Asia/Shanghai")
    await expect(page.get_by_test_id("who-bureau")).to_have_text("劳动保障监察机构")
    await expect(page.get_by_test_id("who-inspectors")).to_have_text("Wang、Zhou")
    await expect(page.get_by_test_id("who-purpose")).to_have_text(PURPOSE)
    await expect(page.get_by_test_id("who-when")).to_contain_text("10:00")
    await expect(page.get_by_test_id("who-when")).not_to_contain_text("Asia/Shanghai")  # its own clock
    assert await page.get_by_test_id("who-phone").get_attribute("href") == "tel:12333"
    # A phone whose clock is elsewhere still reads the bureau's time, named.
    away, away_page = await open_phone(browser, worker["url"], height=640, timezone_id="Europe/London")
    await expect(away_page.get_by_test_id("who-when")).to_contain_text("10:00 (Asia/Shanghai)")
    await away.close()
    assert NOTE not in await page.locator("main").inner_text()
    box = await page.get_by_test_id("join").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 640, box  # one thumb, no scrolling
    # On a 320 px screen the header keeps the language buttons on one line.
    await page.set_viewport_size({"width": 320, "height": 640})
    zh, en = [await page.locator(".join-bar .lang-toggle button").nth(n).bounding_box() for n in (0, 1)]
    assert zh and en and abs(zh["y"] - en["y"]) < 2 and en["height"] < 40, (zh, en)
    await page.set_viewport_size({"width": 360, "height": 640})

    desk = await browser.new_context(viewport={"width": 1440, "height": 900})
    staff = await desk.new_page()
    await staff.goto(str(api.client.make_url(f"/login?next=/cases/{case['id']}")))
    await staff.get_by_label("用户名").fill("wang")
    await staff.get_by_label("密码").fill(PASSWORD)
    await staff.get_by_role("button", name="登录").click()
    await expect(staff).to_have_url(re.compile(f"/cases/{case['id']}$"))
    # A server error reads in the page's language, not as the server's English sentence.
    await staff.locator("#grant-username").fill("nobody")
    await staff.locator("#grant-form").get_by_role("button").click()
    await expect(staff.locator("#grant-message")).to_have_text("没有这个账号（或已停用）。")
    card = staff.locator("article.interview")
    await expect(card).to_contain_text(PURPOSE)
    await expect(card.get_by_role("button", name="结束询问")).to_have_count(0)  # nobody joined
    staff.once("dialog", lambda dialog: dialog.accept("用人单位已主动支付"))
    await card.get_by_test_id("cancel-interview").click()
    await expect(card).to_contain_text("已取消：用人单位已主动支付")
    await page.reload()
    await expect(page.locator("#problem-title")).to_have_text("这次询问已取消")
    await expect(page.locator("#problem-text")).to_contain_text("用人单位已主动支付")
    await context.close()
    await desk.close()
