"""The staff pages and the invitation page in a real headless Chromium."""

from __future__ import annotations

import asyncio
import re

import pytest
from playwright.async_api import Browser, Route, expect

from tests.support.api import PASSWORD, Api

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_inspector_opens_a_case_and_invites_a_worker(api: Api, browser: Browser) -> None:
    await api.user("wang")
    base = str(api.client.server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)

    await page.goto(f"{base}/cases")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    assert await page.get_attribute("html", "lang") == "zh-CN"
    await page.get_by_label("用户名").fill("wang")
    await page.get_by_label("密码").fill("wrong password")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator("#login-message")).to_be_visible()
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}/cases")

    await page.get_by_label("案由（标题）").fill("某工地拖欠农民工工资")
    await page.get_by_label("用人单位").fill("某建设有限公司")
    await page.get_by_role("button", name="创建案件").click()
    await expect(page).to_have_url(re.compile(r"/cases/[0-9a-f-]{36}$"))
    await expect(page.locator("#case-heading")).to_contain_text("某工地拖欠农民工工资")

    await page.get_by_role("button", name="安排询问").click()
    await page.get_by_label("被邀请人姓名").fill("张三")
    await page.get_by_role("button", name="生成邀请链接").click()
    url_box = page.locator("input[readonly]")
    await expect(url_box).to_have_value(re.compile(r"/j/zmi_"))
    invitation_url = await url_box.input_value()
    await expect(page.get_by_text("劳动者").first).to_be_visible()

    await page.get_by_role("button", name="English").click()
    assert await page.get_attribute("html", "lang") == "en"
    await expect(page.get_by_role("button", name="Create link")).to_be_visible()
    assert errors == []

    phone = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                      has_touch=True)
    worker = await phone.new_page()
    await worker.goto(invitation_url)
    await expect(worker.locator("#who-person")).to_contain_text("张三")
    await expect(worker.locator("#who-case")).to_contain_text("ZM-")
    assert await worker.get_attribute("html", "lang") == "zh-CN"
    await expect(worker.get_by_test_id("join")).to_be_visible()

    # The inspector withdraws the link (after confirming); the phone page then says so.
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name=re.compile("Revoke")).click()
    await expect(page.get_by_text("Revoked").first).to_be_visible()
    await worker.reload()
    await expect(worker.locator("#join-problem")).to_be_visible()
    await expect(worker.locator("#problem-title")).to_contain_text("撤销")
    await context.close()
    await phone.close()


async def test_legal_staff_see_a_granted_case_read_only(api: Api, browser: Browser) -> None:
    wang, case, interview = await api.setup_case()
    await api.invite(wang, interview["id"], name="李四", role="witness")
    await api.user("li", "legal")
    await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=wang, json={"username": "li"})
    base = str(api.client.server.make_url("/")).rstrip("/")
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/login?lang=en")
    await page.get_by_label("Username").fill("li")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_role("link", name=re.compile(case["number"])).first.click()
    await expect(page.locator("#case-heading")).to_contain_text(case["title"])
    await expect(page.locator("#readonly-note")).to_be_visible()
    await expect(page.get_by_text("李四")).to_be_visible()
    assert await page.locator("form:visible").count() == 0
    assert await page.get_by_role("button", name=re.compile("Revoke|Schedule|Create")).count() == 0
    await context.close()


async def test_a_login_script_that_arrives_late_does_not_move_the_cursor(
        api: Api, browser: Browser) -> None:
    """On a slow line the page is there before its script: someone already typing their
    password must not have it land in the name field when the script comes."""
    await api.user("wang")
    base = str(api.client.server.make_url("/")).rstrip("/")
    context = await browser.new_context()
    page = await context.new_page()
    held = asyncio.Event()
    typed = asyncio.Event()

    async def slow_script(route: Route) -> None:
        held.set()
        await typed.wait()
        await route.continue_()

    await page.route("**/static/login.js", slow_script)
    await page.goto(f"{base}/login", wait_until="commit")
    await held.wait()
    await page.locator("#username").wait_for()
    await page.locator("#username").fill("wang")
    await page.locator("#password").focus()
    typed.set()
    await expect(page.locator("#login-submit")).to_be_enabled()  # the script has run
    await page.keyboard.type(PASSWORD)
    assert await page.locator("#username").input_value() == "wang"
    assert await page.locator("#password").input_value() == PASSWORD
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}/cases")
    await context.close()


async def test_the_case_list_is_searched_and_filtered_as_one_types(api: Api, browser: Browser) -> None:
    wang = await api.staff("wang")
    first = await api.case(wang, title="欠薪投诉：某建筑工地")
    second = await api.case(wang, title="社保缴纳")
    await api.ok("PATCH", f"/api/cases/{second['id']}", headers=wang, json={"status": "investigating"})
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await page.goto(str(api.client.make_url("/login?next=/cases")))
    await page.get_by_label("用户名").fill("wang")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    rows = page.locator("#cases-body tr")
    await expect(rows).to_have_count(2)
    await page.get_by_role("searchbox", name="搜索案件").fill("建筑")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text(first["number"])
    await page.get_by_role("searchbox", name="搜索案件").fill("")
    await page.locator("#filter-status").select_option("investigating")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text(second["number"])
    await page.locator("#filter-status").select_option("")
    await page.get_by_label("等待签名").check()
    await expect(page.locator("#cases-empty")).to_be_visible()
    await context.close()
