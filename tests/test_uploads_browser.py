"""Evidence from the pages in a real headless Chromium: a worker sends photos and files
from the phone's join page, and an inspector takes a snapshot of the worker's live video
from the console. Both arrive as evidence items with the bytes the browser sent."""

from __future__ import annotations

import hashlib
import io
import os

import cv2
import numpy as np
import pytest
from playwright.async_api import Browser, Route, expect

from server.settings import Settings
from tests.support.api import Api, bearer
from tests.test_rooms_browser import console_and_phone, csp_watch, live, open_phone
from tests.test_uploads import download, photo

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(max_upload_mb=1)


async def test_a_worker_sends_photos_and_files_from_the_phone(api: Api, browser: Browser) -> None:
    inspector, case, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    context, page = await open_phone(browser, invitation["url"])
    errors = csp_watch(page, "phone")

    # Before joining the call: two big buttons, reachable with a thumb on a 360 px screen.
    await expect(page.get_by_test_id("upload-card")).to_be_visible()
    for name in ("上传照片或文件", "拍照上传"):
        box = await page.locator("label.upload-button", has_text=name).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 280, (name, box)
    assert await page.locator("#upload-camera").get_attribute("capture") == "environment"

    slip = photo(800, 600)
    await page.set_input_files("#upload-file", files=[
        {"name": "工资条.jpg", "mimeType": "image/jpeg", "buffer": slip},
        {"name": "劳动合同.pdf", "mimeType": "application/pdf", "buffer": PDF},
        {"name": "工具.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" * 64},
        {"name": "大照片.jpg", "mimeType": "image/jpeg",
         "buffer": b"\xff\xd8\xff\xe0" + os.urandom(2 * 1024 * 1024)},
    ])
    lines = page.get_by_test_id("upload-list").locator("li")
    await expect(lines).to_have_count(4)
    line = {name: lines.filter(has_text=name) for name in ("工资条", "劳动合同", "工具", "大照片")}
    await expect(line["工资条"]).to_have_attribute("data-state", "done", timeout=15_000)
    await expect(line["劳动合同"]).to_have_attribute("data-state", "done", timeout=15_000)
    await expect(line["工具"]).to_have_attribute("data-state", "failed", timeout=15_000)
    await expect(line["工具"]).to_contain_text("不支持这种文件")
    await expect(line["大照片"]).to_have_attribute("data-state", "failed", timeout=15_000)
    await expect(line["大照片"]).to_contain_text("文件太大")
    await expect(line["工资条"]).to_contain_text("已上传 ✓")

    listed = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=inspector)
    uploads = {i["claimed"]["filename"]: i for i in listed if i["kind"] == "upload"}
    assert sorted(uploads) == ["劳动合同.pdf", "工资条.jpg"]  # nothing refused was kept
    for name, data in (("工资条.jpg", slip), ("劳动合同.pdf", PDF)):
        item = uploads[name]
        assert item["sha256"] == hashlib.sha256(data).hexdigest()
        assert item["observed"]["uploader"] == {"kind": "party", "id": invitation["id"],
                                                "name": "张三", "role": "worker"}
        assert item["interview_id"] == interview["id"]
        assert (await download(api, item["id"], inspector)).body == data
    # After a reload the phone lists what it sent (only its own: a witness's is not there).
    witness = await api.invite(inspector, interview["id"], name="李四", role="witness")
    await api.ok("POST", f"/api/cases/{case['id']}/evidence", 201, headers=bearer(witness["token"]),
                 data={"file": io.BytesIO(PDF)})
    await page.reload()
    await expect(lines).to_have_count(2)
    await expect(lines.filter(has_text="工资条.jpg")).to_have_attribute("data-state", "done")
    await expect(lines.filter(has_text="劳动合同.pdf")).to_contain_text("已上传 ✓")
    own = await api.ok("GET", "/api/invitation/evidence", headers=bearer(invitation["token"]))
    assert sorted(i["filename"] for i in own) == ["劳动合同.pdf", "工资条.jpg"]
    assert await api.ok("GET", "/api/invitation/evidence", headers=bearer(witness["token"])) != own
    await api.ok("GET", "/api/invitation/evidence", 401)
    assert errors == []
    await context.close()


async def test_a_photo_the_network_dropped_is_sent_again_with_one_tap(
        api: Api, browser: Browser) -> None:
    inspector, case, interview = await api.setup_case()
    invitation = await api.invite(inspector, interview["id"], name="张三", role="worker")
    context, page = await open_phone(browser, invitation["url"])
    errors = csp_watch(page, "phone")
    tries: list[str] = []

    async def flaky(route: Route) -> None:  # the first try is lost on the way; then a busy server
        tries.append(route.request.method)
        if len(tries) == 1:
            await route.abort("connectionreset")
        elif len(tries) == 2:
            await route.fulfill(status=503, json={"error": "store_unavailable", "message": "busy"})
        else:
            await route.continue_()

    await page.route("**/api/cases/*/evidence", flaky)
    slip = photo(640, 480)
    await page.set_input_files("#upload-file", files=[
        {"name": "考勤记录.jpg", "mimeType": "image/jpeg", "buffer": slip}])
    line = page.get_by_test_id("upload-list").locator("li")
    await expect(line).to_have_attribute("data-state", "failed", timeout=15_000)
    await expect(line).to_contain_text("网络断了")
    await line.get_by_role("button", name="重新上传").click()
    await expect(line).to_contain_text("服务器暂时无法接收", timeout=15_000)
    await line.get_by_role("button", name="重新上传").click()
    await expect(line).to_have_attribute("data-state", "done", timeout=15_000)
    await expect(line.get_by_role("button", name="重新上传")).to_have_count(0)
    assert len(tries) == 3

    listed = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=inspector)
    uploads = [i for i in listed if i["kind"] == "upload"]
    assert [i["sha256"] for i in uploads] == [hashlib.sha256(slip).hexdigest()]
    # A refusal is not offered again: sending the same bytes would be refused the same way.
    await page.unroute("**/api/cases/*/evidence")
    await page.set_input_files("#upload-file", files=[
        {"name": "工具.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" * 64}])
    refused = page.get_by_test_id("upload-list").locator("li", has_text="工具.exe")
    await expect(refused).to_have_attribute("data-state", "failed", timeout=15_000)
    await expect(refused.get_by_role("button")).to_have_count(0)
    assert errors == []
    await context.close()


async def test_the_inspector_snapshots_the_workers_video_as_the_server_received_it(
        api: Api, browser: Browser) -> None:
    call = await console_and_phone(api, browser)
    inspector, case, interview, invitation = call.inspector, call.case, call.interview, call.invitation
    console, worker = call.console, call.worker
    errors = csp_watch(console, "console")
    await console.get_by_test_id("join").click()
    await worker.get_by_test_id("join").click()
    await live(console, "#tiles video")

    tile = console.locator(".tile", has_text="张三")
    measure = "(v) => [v.videoWidth, v.videoHeight]"
    sizes = [await tile.locator("video").evaluate(measure)]
    button = tile.get_by_role("button", name="截取 张三 的画面作为证据")
    await expect(button).to_have_text("截图")
    await button.click()
    await expect(tile.locator(".tile-snap-result")).to_have_text("截图已保存", timeout=15_000)
    sizes.append(await tile.locator("video").evaluate(measure))

    listed = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=inspector)
    snapshots = [i for i in listed if i["kind"] == "snapshot"]
    assert len(snapshots) == 1, listed
    snap = snapshots[0]
    assert snap["observed"]["participant"] == {"id": invitation["id"], "name": "张三",
                                               "role": "worker", "kind": "party"}
    assert snap["observed"]["uploader"]["kind"] == "staff"
    assert snap["interview_id"] == interview["id"] and snap["content_type"] == "image/png"
    body = (await download(api, snap["id"], inspector)).body
    assert hashlib.sha256(body).hexdigest() == snap["sha256"]
    image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
    # The frame as the server received it from the phone (the size the console is sent
    # too; the phone's encoder may change it between two readings), not as the tile draws it.
    taken = [image.shape[1], image.shape[0]]
    assert taken == [snap["observed"]["frame"]["width"], snap["observed"]["frame"]["height"]]
    assert taken in sizes and taken[0] >= 320, (taken, sizes)
    assert image.std() > 5  # a picture, not a blank canvas
    assert errors == []
    await call.close()
