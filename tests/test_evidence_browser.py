"""The evidence page in a real headless Chromium: legal staff granted on a case open an
inspector's upload from the evidence table and see its SHA-256, what the server observed apart from what the client
claimed, its thumbnail; re-verify it; read the custody log; and export the bundle."""

from __future__ import annotations

import hashlib
import re
import zipfile

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.api import PASSWORD, Api
from tests.test_rooms_browser import csp_watch, poll
from tests.test_uploads import photo, upload

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

THUMBNAIL_LOADED = """(selector) => { const el = document.querySelector(selector);
  return Boolean(el && el.complete && el.naturalWidth > 0); }"""


async def log_in_as(browser: Browser, base: str, path: str, username: str) -> tuple[BrowserContext, Page, list[str]]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    errors = csp_watch(page, username)
    await page.goto(f"{base}{path}")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}{path}")
    return context, page, errors


async def test_legal_staff_verify_trace_and_export_a_case(api: Api, browser: Browser, tmp_path) -> None:
    wang = await api.staff("wang")
    case = await api.case(wang)
    data = photo(800, 600)
    status, item = await upload(api, case["id"], wang, data, name="工资条.jpg",
                                device_time="2026-03-01T09:30:00+08:00")
    assert status == 201, item
    assert item["sha256"] == hashlib.sha256(data).hexdigest()
    await api.user("li", "legal")
    await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=wang, json={"username": "li"})
    base = str(api.client.server.make_url("/")).rstrip("/")

    context, page, errors = await log_in_as(browser, base, f"/cases/{case['id']}", "li")
    await page.get_by_role("link", name="证据与导出").click()
    await expect(page).to_have_url(f"{base}/cases/{case['id']}/evidence")
    await expect(page.locator("#case-heading")).to_contain_text(case["number"])

    # The table's row opens into the item's details.
    row = page.locator(f'[data-testid="evidence-row"][data-id="{item["id"]}"]')
    await expect(page.locator('[data-testid="evidence-row"][data-kind="thumbnail"]')).to_have_count(1)
    await expect(row).to_contain_text("Wang（监察员）")
    await row.get_by_test_id("expand").click()
    card = page.locator(f'[data-testid="evidence-item"][data-id="{item["id"]}"]')
    await expect(card).to_be_visible()
    await expect(card.get_by_test_id("sha256")).to_have_text(item["sha256"])
    await expect(card).to_contain_text("工资条.jpg")
    await expect(card).to_contain_text("Wang（监察员）")  # the uploader, as the server saw it
    await expect(card.locator(".ev-claimed")).to_contain_text("2026-03-01T09:30:00+08:00")
    await expect(card.locator(".ev-observed")).not_to_contain_text("2026-03-01T09:30:00+08:00")
    thumbnail = card.get_by_test_id("thumbnail")
    await expect(thumbnail).to_be_visible()
    await poll(page, THUMBNAIL_LOADED, f'[data-id="{item["id"]}"] [data-testid="thumbnail"]', 10_000)

    # Re-verification against the object store.
    await expect(card.get_by_test_id("verify-state")).to_have_attribute("data-state", "none")
    await card.get_by_role("button", name="重新核验").click()
    await expect(card.get_by_test_id("verify-state")).to_have_attribute("data-state", "ok")
    await expect(card.get_by_test_id("verify-state")).to_contain_text("✓ 一致")
    await expect(row.get_by_test_id("row-state")).to_contain_text("✓ 已核验")

    # The case's custody log, its chain checked, and the item's own history.
    log = page.get_by_test_id("custody-log")
    await expect(log.locator('[data-action="captured"]')).to_contain_text("采集")
    await expect(log.locator('[data-action="derived"]')).to_contain_text("派生")
    await expect(page.get_by_test_id("chain-state")).to_have_attribute("data-ok", "true")
    await expect(page.get_by_test_id("chain-state")).to_contain_text("哈希链完整")
    await card.get_by_test_id("custody-toggle").click()
    await expect(card.get_by_test_id("item-custody").locator('[data-action="captured"]')).to_contain_text("采集")

    # Every item in turn.
    await page.get_by_test_id("verify-all").click()
    await expect(page.get_by_test_id("verify-all-status")).to_have_attribute("data-state", "ok")
    await expect(page.get_by_test_id("verify-all-status")).to_contain_text("全部 2 项核验一致")

    # The bundle: progress, then saved under the server's name with the original inside.
    async with page.expect_download() as waiting:
        await page.get_by_test_id("export").click()
    download = await waiting.value
    assert re.fullmatch(r"ZM-.+-evidence\.zip", download.suggested_filename), download.suggested_filename
    done = page.get_by_test_id("export-status")
    await expect(done).to_have_attribute("data-state", "done")
    await expect(done).to_contain_text("导出完成")
    size = int(await done.get_attribute("data-bytes"))
    assert size > len(data)
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.stat().st_size == size
    with zipfile.ZipFile(saved) as bundle:
        assert bundle.testzip() is None
        assert any(bundle.read(name) == data for name in bundle.namelist() if not name.endswith("/"))
    await expect(log.locator('[data-action="exported"]')).to_contain_text("导出")
    await expect(page.get_by_test_id("public-key")).to_have_attribute("href", "/api/keys")

    await page.get_by_role("button", name="English").click()
    await expect(card.get_by_role("button", name="Verify again")).to_be_visible()
    await expect(card.get_by_test_id("verify-state")).to_contain_text("✓ Matches")
    assert errors == []
    await context.close()
