"""The account page (/admin/users) in a real headless Chromium, as an administrator."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import PASSWORD, Api

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
NEW_PASSWORD = "a whole new secret"


async def test_admin_disables_unlocks_and_resets_accounts(api: Api, browser: Browser) -> None:
    await api.user("root", "admin")
    wang = await api.staff("wang")
    await api.user("li", "legal")
    for _ in range(10):  # li is locked out: ten failures
        await api.call("POST", "/api/login", json={"username": "li", "password": "wrong password"})
    base = str(api.client.server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)

    await page.goto(f"{base}/cases")
    await page.get_by_label("用户名").fill("root")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.get_by_role("link", name="账号管理").click()
    await expect(page).to_have_url(f"{base}/admin/users")
    assert await page.get_attribute("html", "lang") == "zh-CN"
    await expect(page.get_by_role("heading", name="账号管理")).to_be_visible()
    wang_row = page.locator('tr[data-username="wang"]')
    li_row = page.locator('tr[data-username="li"]')
    await expect(wang_row).to_contain_text("监察员")
    await expect(wang_row).to_contain_text("正常")
    await expect(li_row).to_contain_text("从未登录")
    await expect(li_row).to_contain_text("已锁定")
    await expect(page.locator('tr[data-username="root"]').get_by_role("button", name=re.compile("停用"))).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="停用：Wang").click()
    await expect(wang_row).to_contain_text("已停用")
    await expect(page.locator("#accounts-done")).to_contain_text("已停用 Wang 的账号")
    status, body = await api.call("GET", "/api/cases", headers=wang)
    assert (status, body["error"]) == (401, "account_disabled")

    await page.get_by_role("button", name="解除锁定：Li").click()
    await expect(li_row).to_contain_text("正常")
    await page.get_by_role("button", name="重置密码：Li").click()
    await expect(page.get_by_role("heading", name="为 Li 重置密码")).to_be_visible()
    await page.get_by_label("新密码（至少 8 位）").fill("short")
    await page.get_by_role("button", name="设置新密码").click()
    await expect(page.locator("#reset-message")).to_contain_text("至少需要 8 位")
    await page.get_by_label("新密码（至少 8 位）").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="设置新密码").click()
    await expect(page.locator("#accounts-done")).to_contain_text("已为 Li 设置新密码")
    await api.ok("POST", "/api/login", json={"username": "li", "password": NEW_PASSWORD})

    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
    await expect(wang_row).to_contain_text("Disabled")
    await expect(wang_row.get_by_role("button", name="Enable: Wang")).to_be_visible()
    assert errors == []

    # The disabled inspector is told why at the login page, not "wrong password".
    other = await browser.new_context()
    login = await other.new_page()
    await login.goto(f"{base}/login")
    await login.get_by_label("用户名").fill("wang")
    await login.get_by_label("密码").fill(PASSWORD)
    await login.get_by_role("button", name="登录").click()
    await expect(login.locator("#login-message")).to_contain_text("已被管理员停用")
    await other.close()
    await context.close()
