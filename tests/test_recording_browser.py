"""Recording in a real headless Chromium: the console shows each track's recording health
(and its alarms), and the playback page plays a recorded interview on its clock, gaps
included, and has its recordings verified."""

from __future__ import annotations

import asyncio
import io
import re
import time

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from evidence.s3client import minio_client
from server.appkeys import STORE
from server.settings import Settings
from tests.support.api import PASSWORD, bearer
from tests.support.complaints import PNG, aiohttp_form
from tests.support.rooms import Interview
from tests.support.rtc import PatternVideo, RtcClient
from tests.test_rooms_browser import csp_watch, open_console, poll

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class FreezingVideo(PatternVideo):
    """A camera that can stop sending (as a phone's does when another app takes it) and
    go on later where its clock left off, without a burst of catch-up frames."""

    def __init__(self, label: int) -> None:
        super().__init__(label=label)
        self.running = asyncio.Event()
        self.running.set()
        self.frozen_at = 0.0

    def freeze(self) -> None:
        self.frozen_at = time.time()
        self.running.clear()

    def thaw(self) -> None:
        if hasattr(self, "_start"):
            self._start += time.time() - self.frozen_at  # aiortc's pacing of next_timestamp()
        self.running.set()

    async def recv(self):  # noqa: ANN201
        await self.running.wait()
        return await super().recv()


async def test_console_shows_recording_health_and_its_alarms(room: Interview, browser: Browser) -> None:
    invite = await room.invite("张三")
    worker_id = invite["id"]
    desk, console = await open_console(browser, room.base.rstrip("/"), room.id)
    errors = csp_watch(console, "console")
    await console.get_by_test_id("join").click()
    await expect(console.locator("#room-status")).to_have_text("已连接", timeout=15_000)
    await expect(console.get_by_test_id("playback")).to_be_visible()  # live now: recorded

    worker = RtcClient(room.base, room.id, invite["token"], label=2)
    camera = worker.video = FreezingVideo(label=2)
    room.clients.append(worker)
    await worker.connect()

    # Each of the worker's tracks: recording, with segments stored.
    badges = {kind: console.get_by_test_id(f"rec-{worker_id}-{kind}") for kind in ("audio", "video")}
    for badge in badges.values():
        await expect(badge).to_have_attribute("data-state", "ok", timeout=10_000)
        await expect(badge).to_contain_text(re.compile(r"录制中 · 已存 [1-9]\d* 段"), timeout=10_000)
    overall = console.get_by_test_id("rec-overall")
    await expect(overall).to_have_attribute("data-state", "ok")
    await expect(overall).to_contain_text("录制正常")
    await expect(console.locator(".self-card .rec")).to_have_count(2)  # the inspector's own

    # The worker's camera stops sending: the server's no_frames alarm turns the video
    # indicator red with a translated summary (its English message in the tooltip), the
    # header says so, and the events log records it; the audio stays fine.
    camera.freeze()
    await expect(badges["video"]).to_have_attribute("data-state", "alarm", timeout=12_000)
    await expect(badges["video"]).to_contain_text("录制告警：收不到数据")
    await expect(badges["video"]).to_have_attribute("title", re.compile("no video has arrived"))
    await expect(badges["audio"]).to_have_attribute("data-state", "ok")
    await expect(overall).to_have_attribute("data-state", "alarm")
    await expect(overall).to_contain_text("录制告警")
    log = console.locator("#event-log")
    await expect(log).to_contain_text("张三（劳动者）的视频录制告警：收不到数据")

    # In English the same indicator reads in English.
    await console.get_by_role("button", name="English").click()
    await expect(badges["video"]).to_contain_text("Recording problem: nothing arriving")
    await expect(badges["audio"]).to_contain_text("stored")
    await console.get_by_role("button", name="中文").click()

    camera.thaw()
    await expect(badges["video"]).to_have_attribute("data-state", "ok", timeout=8_000)
    await expect(overall).to_have_attribute("data-state", "ok")
    await expect(log).to_contain_text("张三（劳动者）的视频录制已恢复正常")

    # The worker opens the link on a second phone: the console says it was taken over.
    second = RtcClient(room.base, room.id, invite["token"], label=3)
    room.clients.append(second)
    await second.connect()
    await expect(log).to_contain_text("张三（劳动者） 在另一部设备上打开了链接", timeout=15_000)
    # The link is withdrawn: the tile says so (never 重新连接中), and nothing says 录制中.
    await room.api.ok("POST", f"/api/invites/{worker_id}/revoke", headers=room.staff)
    tile = console.locator(".tile", has_text="张三")
    await expect(tile.locator(".badge.state-revoked")).to_have_text("链接已收回", timeout=10_000)
    await expect(log).to_contain_text("张三（劳动者） 的链接已收回")
    await asyncio.sleep(1)
    await expect(tile).not_to_contain_text("重新连接中")
    for kind in ("audio", "video"):
        running = console.locator(f'[data-testid="rec-{worker_id}-{kind}"][data-state="ok"]')
        await expect(running).to_have_count(0, timeout=10_000)
    await expect(console.locator(f'[data-testid^="rec-{worker_id}-"]', has_text="录制中")).to_have_count(0)
    assert errors == []
    await desk.close()


async def log_in_at(browser: Browser, base: str, path: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{base}{path}")
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.get_by_label("用户名").fill("wang")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await expect(page).to_have_url(f"{base}{path}")
    return context, page


# A media element that plays: not paused, has data, and its clock moved on by more than
# half a second since the first look (a video also shows the recorded 320×240 picture).
ADVANCING = """(selector) => {
  const el = document.querySelector(selector);
  if (!el || el.paused || el.readyState < 2) return false;
  if (el.tagName === 'VIDEO' && el.videoWidth !== 320) return false;
  if (el.dataset.t0 === undefined || el.currentTime < Number(el.dataset.t0)) el.dataset.t0 = String(el.currentTime);
  return el.currentTime > Number(el.dataset.t0) + 0.5;
}"""
DESCRIBE = """(selector) => { const el = document.querySelector(selector); return el && {
  src: el.currentSrc, time: el.currentTime, paused: el.paused, ready: el.readyState,
  width: el.videoWidth, error: el.error && el.error.code,
  clock: document.querySelector('#clock').textContent }; }"""
SEEK = """([selector, value]) => {
  const slider = document.querySelector(selector);
  slider.value = String(value);
  slider.dispatchEvent(new Event('input'));
}"""


async def advancing(page: Page, selector: str, timeout: float = 15_000) -> None:
    await page.evaluate("(s) => { const el = document.querySelector(s); if (el) delete el.dataset.t0; }", selector)
    await poll(page, ADVANCING, selector, timeout, lambda: page.evaluate(DESCRIBE, selector))


async def test_playback_plays_each_party_on_the_interview_clock_with_its_gap(
        room: Interview, browser: Browser, settings: Settings) -> None:
    # A call with a worker who drops out for 3 s and comes back.
    invite = await room.invite("张三")
    worker_id = invite["id"]
    await room.inspector()
    worker = await room.join(invite["token"], label=2)
    await asyncio.sleep(3)
    await worker.close()
    await asyncio.sleep(3)
    await room.join(invite["token"], label=2)
    await asyncio.sleep(3)
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    video = next(r for r in detail["recordings"]
                 if r["participant"]["id"] == worker_id and r["kind"] == "video")
    spans = (await room.api.ok("GET", f"/api/recordings/{video['id']}", headers=room.staff))["spans"]
    assert len(spans) == 2, spans

    # From the case page's interview card to the playback page.
    base = room.base.rstrip("/")
    context, page = await log_in_at(browser, base, f"/cases/{room.case['id']}")
    errors = csp_watch(page, "playback")
    await page.get_by_role("link", name="回放").click()
    await expect(page).to_have_url(f"{base}/console/interviews/{room.id}/playback")
    column = page.get_by_test_id(f"col-{worker_id}")
    await expect(column).to_contain_text("张三")
    await expect(page.locator(".pb-col")).to_have_count(2)  # the inspector and the worker
    # The worker's interruption is drawn on both of its tracks' bars.
    await expect(column.locator(".pb-break")).to_have_count(2)
    await expect(page.get_by_test_id(f"break-{video['id']}")).to_be_visible()

    await page.get_by_test_id("play").click()
    await expect(page.get_by_test_id("play")).to_have_text("暂停")
    await advancing(page, f'[data-testid="video-{worker_id}"]')
    await advancing(page, f'[data-testid="audio-{worker_id}"]')
    await expect(page.get_by_test_id(f"overlay-{worker_id}")).to_be_hidden()

    # Into the gap: the worker's picture gives way to the notice; the inspector plays on.
    middle = (spans[0]["end"] + spans[1]["start"]) / 2
    await page.evaluate(SEEK, ['[data-testid="seek"]', middle])
    await expect(page.get_by_test_id(f"overlay-{worker_id}")).to_have_text("无录像（中断）")
    await expect(page.get_by_test_id(f"video-{worker_id}")).to_have_class(re.compile("is-gap"))
    # Out of it again: the second span plays from its own stream.
    await page.evaluate(SEEK, ['[data-testid="seek"]', spans[1]["start"] + 0.5])
    await expect(page.get_by_test_id(f"overlay-{worker_id}")).to_be_hidden()
    await advancing(page, f'[data-testid="video-{worker_id}"]')
    src = await page.get_by_test_id(f"video-{worker_id}").evaluate("(v) => v.currentSrc")
    assert f"from={spans[1]['from']}" in src and f"to={spans[1]['to']}" in src, src

    # The recording list: the chain head, and a verification the server passes.
    row = page.locator(f'tr[data-recording="{video["id"]}"]')
    await expect(row).to_contain_text(video["head"][:16])
    await expect(row).to_contain_text("已封存")
    await page.get_by_test_id(f"verify-{video['id']}").click()
    result = page.get_by_test_id(f"verify-result-{video['id']}")
    await expect(result).to_have_attribute("data-state", "ok", timeout=10_000)
    await expect(result).to_contain_text(f"校验通过：{video['segments']} 段完整")

    # Someone with the store's keys writes over one of the inspector's segments: its
    # verification names the segment and what was put over it (in the server's words).
    inspector = next(r for r in detail["recordings"]
                     if r["participant"]["kind"] == "staff" and r["kind"] == "video")
    segment = (await room.api.ok("GET", f"/api/recordings/{inspector['id']}", headers=room.staff))["segments"][0]
    forged = bytearray(await room.api.client.app[STORE].get(segment["key"]))
    forged[len(forged) // 2] ^= 0xFF
    raw = minio_client(settings.s3.endpoint, settings.s3.access_key, settings.s3.secret_key)
    await asyncio.to_thread(raw.put_object, settings.s3.bucket, segment["key"], io.BytesIO(bytes(forged)),
                            len(forged), metadata={"sha256": segment["sha256"]})
    await page.get_by_test_id(f"verify-{inspector['id']}").click()
    result = page.get_by_test_id(f"verify-result-{inspector['id']}")
    await expect(result).to_have_attribute("data-state", "bad", timeout=10_000)
    await expect(result).to_contain_text("校验未通过，发现 1 处问题")
    await expect(result.locator("li")).to_have_text(re.compile(r"segment 1 .*a newer version was written over it"))
    assert errors == []
    await context.close()


async def test_the_console_shows_a_party_already_waiting_before_the_inspector_joins(
        room: Interview, browser: Browser) -> None:
    invite = await room.invite("张三")
    worker = RtcClient(room.base, room.id, invite["token"], label=2)
    room.clients.append(worker)
    await worker.connect()
    desk, console = await open_console(browser, room.base.rstrip("/"), room.id)
    await expect(console.get_by_test_id("waiting")).to_have_text("张三（劳动者） 已在等候，请加入视频。")
    await expect(console.locator("#end")).to_be_visible()  # someone joined: it is live, and can be ended
    await expect(console.get_by_test_id("cancel-interview")).to_be_hidden()
    await console.get_by_test_id("join").click()
    await expect(console.get_by_test_id("waiting")).to_be_hidden()
    await expect(console.locator("#room-status")).to_have_text("已连接", timeout=15_000)
    # The worker sends a photo from the phone: the console's log announces it.
    await room.api.ok("POST", f"/api/cases/{room.case['id']}/evidence", 201, headers=bearer(invite["token"]),
                      data=aiohttp_form(PNG, "工资条.png"))
    await expect(console.locator("#event-log")).to_contain_text("张三（劳动者） 提交了材料：工资条.png")
    await desk.close()
