"""The evidence page's table in a real Chromium at 1440×900: a case with a recorded call
and an upload, as legal staff see it — kinds in Chinese, filtered by kind and by text, a
row's details in words (the JSON only behind its toggle), a recording row with a player
that plays and a playable file to download — and the same in English."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import PASSWORD
from tests.support.rooms import Interview
from tests.test_bundle_playable import call
from tests.test_rooms_browser import csp_watch, poll
from tests.test_uploads import photo, upload

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PLAYER_READY = """(selector) => { const v = document.querySelector(selector);
  return Boolean(v && v.readyState >= 1 && v.duration > 0 && !v.error); }"""
DETAILS_TEXT = "(id) => document.getElementById(`item-${id}`).innerText"


async def test_the_evidence_table_filters_explains_and_plays(room: Interview, browser: Browser) -> None:
    api = room.api
    recordings = await call(room, 4)
    status, item = await upload(api, room.case["id"], room.staff, photo(800, 600), name="考勤记录.jpg")
    assert status == 201, item
    await api.user("li", "legal")
    await api.ok("POST", f"/api/cases/{room.case['id']}/members", 201, headers=room.staff,
                 json={"username": "li"})
    base = str(api.client.server.make_url("/")).rstrip("/")
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    errors = csp_watch(page, "li")
    await page.goto(f"{base}/login?next=/cases/{room.case['id']}/evidence")
    await page.get_by_label("用户名").fill("li")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}/cases/{room.case['id']}/evidence")

    # One compact row per item, its kind in Chinese; four recordings, the upload, its thumbnail.
    rows = page.get_by_test_id("evidence-row")
    await expect(rows).to_have_count(6)
    recording_rows = page.locator('[data-testid="evidence-row"][data-kind="recording"]')
    await expect(recording_rows).to_have_count(4)
    await expect(recording_rows.first).to_contain_text("录音录像")
    await expect(page.locator(f'[data-testid="evidence-row"][data-id="{item["id"]}"]')).to_contain_text("上传材料")
    await expect(page.locator('[data-testid="evidence-row"][data-kind="thumbnail"]')).to_contain_text("缩略图")
    await expect(page.get_by_test_id("evidence-table").locator("th")).to_have_text(
        ["种类", "来源", "入库时间", "大小", "核验状态"])
    await expect(page.locator('[data-testid="evidence-row"] [data-testid="row-state"]').first).to_have_text("未核验")

    # Filters: by kind, then by text within it, then cleared.
    await page.get_by_test_id("filter-kind").select_option("recording")
    await expect(rows).to_have_count(4)
    await expect(page.locator("#items-count")).to_have_text("显示 4 项，共 6 项")
    await page.get_by_test_id("filter-text").fill("张三")
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_contain_text("张三（劳动者）")
    await page.get_by_test_id("filter-kind").select_option("upload")
    await expect(rows).to_have_count(0)
    await expect(page.get_by_test_id("no-match")).to_be_visible()
    await page.get_by_role("button", name="清除筛选").click()
    await expect(rows).to_have_count(6)

    # An upload's details: every key in words; no JSON until it is asked for.
    upload_row = page.locator(f'[data-testid="evidence-row"][data-id="{item["id"]}"]')
    await upload_row.get_by_test_id("expand").click()
    details = page.locator(f'[data-testid="evidence-item"][data-id="{item["id"]}"]')
    await expect(details.locator(".ev-observed")).to_contain_text("网络地址")
    await expect(details.locator(".ev-observed")).to_contain_text("浏览器标识")
    await expect(details.locator(".ev-observed")).to_contain_text("图像尺寸800 × 600")
    await expect(details.locator(".ev-claimed")).to_contain_text("考勤记录.jpg")
    text = await page.evaluate(DETAILS_TEXT, item["id"])
    assert "{" not in text and "uploader" not in text and "user_agent" not in text, text
    await details.get_by_test_id("raw-toggle").click()
    await expect(details.get_by_test_id("raw-json")).to_contain_text(f'"sha256": "{item["sha256"]}"')
    assert "{" in await page.evaluate(DETAILS_TEXT, item["id"])
    await details.get_by_test_id("raw-toggle").click()
    await expect(details.get_by_test_id("raw-json")).to_have_count(0)

    # A recording's row is a recording: a player that plays, a playable file to download.
    video = next(r for r in recordings if r["participant"]["role"] == "worker" and r["kind"] == "video")
    listed = await api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    video_item = next(i for i in listed if i["recording_id"] == video["id"])
    video_row = page.locator(f'[data-testid="evidence-row"][data-id="{video_item["id"]}"]')
    await expect(video_row).to_contain_text("张三的录像")
    await expect(video_row).to_contain_text("张三（劳动者）")
    await video_row.get_by_test_id("expand").click()
    card = page.locator('[data-testid="evidence-item"][data-kind="recording"]')
    player = card.locator('video[data-testid="player"]')
    await expect(player).to_have_attribute("src", f"/api/recordings/{video['id']}/media")
    await poll(page, PLAYER_READY, '[data-testid="evidence-item"] video[data-testid="player"]', 20_000)
    assert "{" not in await card.inner_text()
    await expect(card.locator(".ev-observed")).to_contain_text("视频")  # media: video, in words
    download = card.get_by_test_id("download-playable")
    href = await download.get_attribute("href")
    assert href == f"/api/recordings/{video['id']}/media?download=1"
    answer = await page.request.get(f"{base}{href}")
    assert answer.status == 200 and answer.headers["content-type"] == "video/webm"
    assert re.search(r"filename\*=UTF-8''%E5%BC%A0%E4%B8%89-worker-video-[0-9a-f]{8}\.webm",
                     answer.headers["content-disposition"])
    assert len(await answer.body()) > 10_000
    await card.get_by_test_id("verify").click()
    await expect(card.get_by_test_id("verify-state")).to_have_attribute("data-state", "ok")
    await expect(video_row.get_by_test_id("row-state")).to_have_text("✓ 已核验")
    # The redraw kept the player, still loaded.
    await poll(page, PLAYER_READY, '[data-testid="evidence-item"] video[data-testid="player"]', 5_000)

    await page.get_by_role("button", name="English").click()
    await expect(video_row).to_contain_text("Recording")
    await expect(video_row).to_contain_text("Video of 张三")
    await expect(card.get_by_test_id("download-playable")).to_have_text("Download a playable file")
    await expect(details.locator(".ev-observed")).to_contain_text("Network address")
    await expect(page.get_by_test_id("evidence-table").locator("th")).to_have_text(
        ["Kind", "Source", "Stored", "Size", "Verification"])
    assert errors == []
    await context.close()
