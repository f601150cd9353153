"""The inspector's console on a desktop screen (1440×900) in a real headless Chromium,
with a worker's phone in the call: one party's video enlarged and back again, and the
snapshot the inspector takes shown from the evidence store, small and then large."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.api import PASSWORD, Api
from tests.test_rooms_browser import MEDIA, csp_watch, live, open_phone, poll

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

DESKTOP = {"width": 1440, "height": 900}
LOADED = "(img) => img.complete && img.naturalWidth > 0"
NATURAL = "(img) => [img.naturalWidth, img.naturalHeight]"


async def open_desk(browser: Browser, base: str, interview_id: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=DESKTOP, permissions=MEDIA)
    page = await context.new_page()
    await page.goto(f"{base}/console/interviews/{interview_id}")
    await page.get_by_label("用户名").fill("wang")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}/console/interviews/{interview_id}")
    return context, page


async def width_of(page: Page, selector: str) -> float:
    box = await page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["width"]


async def test_the_inspector_enlarges_a_party_and_sees_the_stored_snapshot(
        api: Api, browser: Browser) -> None:
    inspector, case, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    base = str(api.client.server.make_url("/")).rstrip("/")
    desk, console = await open_desk(browser, base, interview["id"])
    phone, worker = await open_phone(browser, invitation["url"])
    errors = csp_watch(console, "console")
    await console.get_by_test_id("join").click()
    await worker.get_by_test_id("join").click()
    await live(console, "#tiles video")

    # Side by side, the worker's video is one tile among the room's columns.
    video = f".tile[data-participant='{invitation['id']}'] video"
    tile = console.locator(".tile", has_text="张三")
    small = await width_of(console, video)
    enlarge = tile.get_by_role("button", name="放大 张三 的画面（也可双击画面）")
    await expect(enlarge).to_have_text("放大")

    # From the keyboard: Enter on the button fills the stage; Esc brings it back.
    await enlarge.focus()
    await console.keyboard.press("Enter")
    restore = tile.get_by_role("button", name="还原为并排显示所有人（Esc）")
    await expect(restore).to_have_text("还原")
    large = await width_of(console, video)
    assert large > 2.5 * small, (small, large)
    height = (await console.locator(video).bounding_box() or {})["height"]
    assert height > 500, height  # most of the 900 px screen, not a wider sliver
    await console.keyboard.press("Escape")
    await expect(enlarge).to_be_visible()
    assert abs(await width_of(console, video) - small) < 2

    # With the mouse: a double-click on the video, then the same button says 还原.
    await console.locator(video).dblclick()
    await expect(restore).to_be_visible()
    assert await width_of(console, video) > 2.5 * small
    await restore.click()
    await expect(enlarge).to_be_visible()
    assert abs(await width_of(console, video) - small) < 2

    # A snapshot: once stored, its picture comes back from the evidence store, with the time.
    async with console.expect_response(re.compile(r"/api/evidence/[^/]+/content$")) as shown:
        await tile.get_by_role("button", name="截取 张三 的画面作为证据").click()
        await expect(tile.locator(".tile-snap-result")).to_have_text("截图已保存", timeout=15_000)
    preview = console.get_by_test_id("snapshot-preview")
    await expect(preview).to_have_count(1)
    await expect(preview).to_be_visible()
    await poll(console, f"() => ({LOADED})(document.querySelector('[data-testid=snapshot-preview]'))",
               None, 10_000)
    response = await shown.value
    assert response.status == 200
    assert response.headers["content-type"] in ("image/jpeg", "image/png")
    listed = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=inspector)
    [snap] = [i for i in listed if i["kind"] == "snapshot"]
    [thumb] = [i for i in listed if i["kind"] == "thumbnail" and i["derived_from"] == snap["id"]]
    # The picture shown is the stored item's, byte for byte: what the case holds as evidence.
    assert await preview.get_attribute("src") == f"/api/evidence/{thumb['id']}/content"
    assert response.url == f"{base}/api/evidence/{thumb['id']}/content"
    assert hashlib.sha256(await response.body()).hexdigest() == thumb["sha256"]
    opener = console.get_by_role("button", name=re.compile(r"^查看大图：张三 的截图（\d{1,2}:\d{2}:\d{2}）$"))
    await expect(opener).to_contain_text(re.compile(r"张三 · \d{1,2}:\d{2}:\d{2}"))

    # A click shows the stored original large; Esc closes it and leaves the stage alone.
    small_preview = await width_of(console, "[data-testid=snapshot-preview]")
    await opener.click()
    dialog = console.get_by_test_id("snapshot-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("heading")).to_contain_text("张三 的截图")
    await expect(dialog).to_contain_text(snap["sha256"])
    picture = console.get_by_test_id("snapshot-large")
    await poll(console, f"() => ({LOADED})(document.getElementById('snapshot-dialog-img'))", None, 10_000)
    frame = snap["observed"]["frame"]
    assert await picture.evaluate(NATURAL) == [frame["width"], frame["height"]]
    assert await width_of(console, "#snapshot-dialog-img") > 2 * small_preview
    await console.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(opener).to_be_focused()

    # In English too.
    await console.get_by_role("button", name="English").click()
    enlarge = tile.get_by_role("button", name="Show 张三's video large (or double-click it)")
    await expect(enlarge).to_have_text("Enlarge")
    await expect(console.locator("#snapshots-heading")).to_have_text("Snapshots in this interview")
    await expect(console.get_by_role("button", name=re.compile(r"^Open large: snapshot of 张三 \("))).to_be_visible()
    await enlarge.click()
    await expect(tile.get_by_role("button", name="Show everyone side by side again (Esc)")).to_have_text("Back to all")

    # A reload mid-interview: the snapshot taken before is shown again once back in the call.
    await console.reload()
    await console.get_by_test_id("join").click()
    await expect(console.get_by_test_id("snapshot-preview")).to_have_count(1)
    assert await console.get_by_test_id("snapshot-preview").get_attribute("src") == f"/api/evidence/{thumb['id']}/content"
    await poll(console, f"() => ({LOADED})(document.querySelector('[data-testid=snapshot-preview]'))",
               None, 10_000)

    assert errors == []
    await desk.close()
    await phone.close()
