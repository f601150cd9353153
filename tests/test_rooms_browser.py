"""The live interview in a real headless Chromium: the inspector's console and a worker's
phone (two browser contexts, fake camera and microphone) see and hear each other through
the server, and the phone comes back by itself after its connection drops."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from server.appkeys import ROOMS
from tests.support.api import PASSWORD, Api

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

MEDIA = ["camera", "microphone"]

# Live: a <video> (not the self-view) with a decoded picture whose clock advances by more
# than half a second while we watch. The first reading is kept on the element.
LIVE_VIDEO = """(selector) => {
  const videos = [...document.querySelectorAll(selector)].filter((v) => v.videoWidth > 0);
  return videos.some((v) => {
    if (v.dataset.t0 === undefined) v.dataset.t0 = String(v.currentTime);
    return v.currentTime > Number(v.dataset.t0) + 0.5;
  });
}"""
FORGET_BASELINE = "(selector) => document.querySelectorAll(selector).forEach((v) => { delete v.dataset.t0; })"

# Test instrumentation only: remember every WebSocket the page opens, to cut one later.
KEEP_SOCKETS = """(() => {
  const Original = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Original {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
})();"""


def csp_watch(page: Page, name: str = "page") -> list[str]:
    """Collect CSP violations and uncaught errors; echo the page's console (shown by
    pytest when a test fails)."""
    errors: list[str] = []
    page.on("console", lambda m: print(f"[{name}] {m.type}: {m.text}"))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    return errors


DESCRIBE_VIDEOS = """(selector) => [...document.querySelectorAll(selector)].map((v) => ({
  size: `${v.videoWidth}x${v.videoHeight}`, time: v.currentTime, ready: v.readyState,
  paused: v.paused, hidden: v.hidden,
  tracks: v.srcObject ? v.srcObject.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted ? 'muted' : 'live'}`) : null,
}))"""


async def live(page: Page, selector: str, timeout: float = 20_000) -> None:
    """Wait until `selector` matches a playing video; say what the videos look like if not."""
    await page.evaluate(FORGET_BASELINE, selector)
    await poll(page, LIVE_VIDEO, selector, timeout, lambda: page.evaluate(DESCRIBE_VIDEOS, selector))


async def poll(page: Page, predicate: str, arg: object, timeout: float,
               describe: Callable[[], Awaitable[object]] | None = None) -> None:
    """`page.wait_for_function` evaluates its predicate with eval, which the pages' CSP
    forbids; `page.evaluate` is exempt, so poll with it instead."""
    deadline = time.monotonic() + timeout / 1000
    while not await page.evaluate(predicate, arg):
        if time.monotonic() > deadline:
            detail = await describe() if describe else ""
            raise AssertionError(f"timed out waiting for {predicate[:60]!r} ({arg}): {detail}")
        await asyncio.sleep(0.25)


async def open_console(browser: Browser, base: str, interview_id: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, permissions=MEDIA)
    page = await context.new_page()
    await page.goto(f"{base}/console/interviews/{interview_id}")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("用户名").fill("wang")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}/console/interviews/{interview_id}")
    return context, page


async def open_phone(browser: Browser, url: str, *, height: int = 740,
                     timezone_id: str | None = None) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 360, "height": height}, is_mobile=True,
                                        has_touch=True, permissions=MEDIA, timezone_id=timezone_id)
    await context.add_init_script(KEEP_SOCKETS)
    page = await context.new_page()
    await page.goto(url)
    await expect(page.locator("#who-person")).to_contain_text("张三")
    return context, page


@dataclass
class Call:
    """An inspector's console and a worker's phone, both on the interview's pages."""

    inspector: dict[str, str]
    case: dict
    interview: dict
    invitation: dict
    desk: BrowserContext
    console: Page
    phone: BrowserContext
    worker: Page

    async def close(self) -> None:
        await self.desk.close()
        await self.phone.close()


async def console_and_phone(api: Api, browser: Browser) -> Call:
    inspector, case, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    base = str(api.client.server.make_url("/")).rstrip("/")
    desk, console = await open_console(browser, base, interview["id"])
    phone, worker = await open_phone(browser, invitation["url"])
    return Call(inspector, case, interview, invitation, desk, console, phone, worker)


async def test_console_and_phone_see_each_other_and_recover(api: Api, browser: Browser) -> None:
    inspector, case, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    base = str(api.client.server.make_url("/")).rstrip("/")

    desk, console = await open_console(browser, base, interview["id"])
    console_errors = csp_watch(console, "console")
    await expect(console.locator("#iv-heading")).to_be_visible()
    await expect(console.locator("#crumb-case")).to_have_text(case["number"])
    await console.get_by_test_id("join").click()
    await expect(console.locator("#room-status")).to_have_text("已连接", timeout=15_000)

    phone, worker = await open_phone(browser, invitation["url"])
    worker_errors = csp_watch(worker, "phone")
    await worker.get_by_test_id("join").click()
    await expect(worker.locator("#room")).to_be_visible()

    # Each side shows the other's live video (the console also names the worker).
    await live(console, "#tiles video")
    await live(worker, "#remotes video")
    tile = console.locator(".tile", has_text="张三")
    await expect(tile).to_contain_text("劳动者")
    await expect(tile).to_contain_text("已连接")
    await expect(tile.locator(".tile-quality")).to_contain_text("丢包", timeout=10_000)
    await expect(worker.locator("#remotes figcaption")).to_contain_text("监察员")
    await expect(console.locator("#event-log")).to_contain_text("张三（劳动者） 加入")
    # The phone says it is being recorded and for how long; its self-view covers no control.
    await expect(worker.get_by_test_id("room-rec")).to_have_text("● 录音录像中")
    await expect(worker.get_by_test_id("room-timer")).to_have_text(re.compile(r"^00:0[1-9]$"), timeout=5_000)
    view, bar = await worker.locator("#self-view").bounding_box(), await worker.locator(".room-bar").bounding_box()
    assert view and bar and view["y"] + view["height"] <= bar["y"], (view, bar)
    # Chromium's VP8 and Opus are forwarded as received: no decoder runs in the server.
    peers = api.client.app[ROOMS].find(interview["id"]).peers
    assert len(peers) == 2 and all(
        source.frames > 0 and source.tap.decoded == 0 and peer.decoded == {}
        for peer in peers.values() for source in peer.incoming.values())

    # The inspector mutes the worker for the others: both pages show it.
    await tile.get_by_role("button", name=re.compile("让其他人听不到")).click()
    await expect(tile.locator(".badge", has_text="已静音")).to_be_visible()
    await expect(worker.locator("#room-muted")).to_be_visible()
    await tile.get_by_role("button", name=re.compile("恢复转发")).click()
    await expect(worker.locator("#room-muted")).to_be_hidden()

    # The phone's connection drops; nobody touches anything; the video comes back.
    cut = time.monotonic()
    await worker.evaluate("window.__sockets.at(-1).close()")
    await poll(worker, "() => window.__sockets.length >= 2", None, 10_000)
    await expect(console.locator("#event-log")).to_contain_text("张三（劳动者） 重新连接", timeout=10_000)
    await live(console, "#tiles video", timeout=max(1.0, 10 - (time.monotonic() - cut)) * 1000)
    await live(worker, "#remotes video")
    await expect(tile).to_contain_text("已连接")

    # Ending the interview reaches the phone, which thanks the worker.
    console.once("dialog", lambda dialog: dialog.accept())
    await console.get_by_role("button", name="结束询问").click()
    await expect(worker.locator("#problem-title")).to_have_text("询问已结束，谢谢", timeout=10_000)
    await expect(console.locator("#iv-state")).to_have_text("已结束")
    await expect(console.get_by_test_id("join")).to_be_hidden()

    assert console_errors == []
    assert worker_errors == []
    await desk.close()
    await phone.close()


async def test_both_join_at_once_and_the_phone_comes_back_after_going_offline(
        api: Api, browser: Browser) -> None:
    call = await console_and_phone(api, browser)
    console, worker, phone = call.console, call.worker, call.phone
    # Both tap at the same moment: each one's tracks reach the other however the
    # negotiations interleave.
    await asyncio.gather(console.get_by_test_id("join").click(), worker.get_by_test_id("join").click())
    await live(console, "#tiles video")
    await live(worker, "#remotes video")

    await phone.set_offline(True)
    await expect(worker.locator("#room-status")).to_contain_text("正在重新连接")
    await worker.wait_for_timeout(2000)
    cut = time.monotonic()
    await phone.set_offline(False)
    await expect(worker.locator("#room-status")).to_be_hidden(timeout=10_000)
    await live(console, "#tiles video", timeout=max(1.0, 10 - (time.monotonic() - cut)) * 1000)
    await live(worker, "#remotes video")

    # The worker hangs up (after a confirm): the console says they left, and the phone
    # is back on the invitation, where one tap brings them back in.
    worker.once("dialog", lambda dialog: dialog.accept())
    await worker.get_by_test_id("hang-up").click()
    await expect(worker.locator("#room")).to_be_hidden()
    await expect(console.locator("#event-log")).to_contain_text("张三（劳动者） 离开")
    await expect(worker.get_by_test_id("join")).to_be_enabled()
    await worker.get_by_test_id("join").click()
    await live(worker, "#remotes video")
    await call.close()


async def test_join_page_explains_denied_camera(api: Api, browser: Browser) -> None:
    inspector, _, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    # Chromium's fake-UI flag grants every request, so refuse the way a person tapping
    # "Block" on the permission prompt does.
    context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    await context.add_init_script("""
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    """)
    page = await context.new_page()
    errors = csp_watch(page)
    await page.goto(invitation["url"])
    await page.get_by_test_id("join").click()
    await expect(page.locator("#join-note")).to_contain_text("无法使用摄像头或麦克风")
    await expect(page.locator("#join-note")).to_contain_text("允许")
    # It names the button this page has (there is no "重试" here), and that is the one to press.
    await expect(page.locator("#join-note")).to_contain_text("然后点击“加入视频询问”")
    await expect(page.get_by_test_id("join")).to_be_enabled()
    assert errors == []
    await context.close()



# Test instrumentation only: end the console's own camera track as Android does when
# another app takes the camera (stop() alone fires no `ended`, so dispatch it too).
END_OWN_CAMERA = """() => {
  const track = document.querySelector('#self-view').srcObject.getVideoTracks()[0];
  track.stop();
  track.dispatchEvent(new Event('ended'));
  return track.id;
}"""
OWN_CAMERA_REPLACED = """(oldId) => {
  const track = document.querySelector('#self-view').srcObject.getVideoTracks()[0];
  return Boolean(track) && track.id !== oldId && track.readyState === 'live';
}"""


async def test_a_camera_the_phone_lost_is_reopened_and_sent_again(api: Api, browser: Browser) -> None:
    call = await console_and_phone(api, browser)
    console, worker = call.console, call.worker
    await console.get_by_test_id("join").click()
    await worker.get_by_test_id("join").click()
    await live(worker, "#remotes video")
    old = await console.evaluate(END_OWN_CAMERA)
    await poll(console, OWN_CAMERA_REPLACED, old, 10_000)
    # The new camera track is what the other party sees now.
    await live(worker, "#remotes video")
    await call.close()
