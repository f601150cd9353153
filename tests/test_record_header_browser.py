"""A real 询问笔录's header on the pages: the inspector names the second officer with the
执法证号 and writes what the worker said of themselves (desktop, 1440×900); the worker
reads it on the phone (360×640), signs, and downloads the signed copy. Real Chromium,
SeaweedFS and SQLite; the draft is written as the transcription job writes it."""

from __future__ import annotations

import io

import pytest
from playwright.async_api import Browser, expect
from pypdf import PdfReader

from server.settings import Settings
from tests.support.api import Api, bearer
from tests.test_record_header_api import drafted
from tests.test_recording_browser import log_in_at
from tests.test_records_browser import NO_SIDEWAYS_SCROLL, open_phone, sign
from tests.test_rooms_browser import csp_watch

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(record_officers=2)


async def test_the_header_is_filled_in_read_signed_and_the_copy_downloaded(
        api: Api, browser: Browser) -> None:
    wang, path, invitation, worker = await drafted(api)
    interview_id = path.split("/")[3]
    base = str(api.client.server.make_url("/")).rstrip("/")
    desk, page = await log_in_at(browser, base, f"/console/interviews/{interview_id}/record")
    await page.set_viewport_size({"width": 1440, "height": 900})
    errors = csp_watch(page, "record")
    form = page.get_by_test_id("header-form")
    await expect(form).to_be_visible()
    await expect(page.locator("#rd-facts")).to_contain_text("王检查（执法证号：37010020261234）")
    await expect(page.locator("#rd-facts")).to_contain_text("Asia/Shanghai")

    # Sending before two officers are named is refused, in Chinese.
    await page.get_by_test_id("send").click()
    await expect(page.locator("#send-message")).to_contain_text("执法证号")

    await page.get_by_test_id("add-officer").click()
    await page.get_by_test_id("officer-name").last.fill("张监察")
    await page.get_by_test_id("officer-badge").last.fill("37010020265678")
    await page.get_by_test_id("recorder").fill("张监察")
    await page.get_by_test_id("id-type").select_option("居民身份证")
    await page.get_by_test_id("id-number").fill("370102199001011234")
    await page.get_by_test_id("phone").fill("13812345678")
    await page.get_by_test_id("address").fill("济南市历下区某某路1号")
    await page.get_by_test_id("save").click()
    await expect(page.locator("#save-message")).to_contain_text("第 2 版")
    await expect(page.locator("#rd-facts")).to_contain_text("张监察（执法证号：37010020265678）")
    saved = await api.ok("GET", path, headers=wang)
    assert saved["header"]["interviewees"][0]["phone"] == "13812345678"
    assert saved["header"]["recorder"] == "张监察"
    await page.get_by_test_id("send").click()
    await expect(page.get_by_test_id("request-state").last).to_have_text("等待确认")

    phone_context, phone, phone_errors = await open_phone(browser, invitation["url"])
    await phone.get_by_test_id("record-open").click()
    text = phone.get_by_test_id("record-text")
    for line in ("询问人：王检查（执法证号：37010020261234）、张监察（执法证号：37010020265678）",
                 "记录人：张监察", "证件：居民身份证 370102199001011234", "联系电话：13812345678"):
        await expect(text).to_contain_text(line)
    await expect(text).not_to_contain_text("相符")  # the formula stands by the signature only
    assert await phone.evaluate(NO_SIDEWAYS_SCROLL)
    copy = phone.get_by_test_id("record-copy")
    await expect(copy).to_be_hidden()  # nothing to download before signing
    await phone.get_by_test_id("choose-confirm").click()
    await sign(phone)
    await phone.get_by_test_id("confirm").click()
    await expect(phone.get_by_test_id("record-state")).to_contain_text("已")
    await expect(copy).to_be_visible()
    async with phone.expect_download() as download_info:
        await copy.click()
    download = await download_info.value
    pdf = PdfReader(io.BytesIO((await download.path()).read_bytes()))
    words = "".join("".join(p.extract_text().split()) for p in pdf.pages)
    assert "执法证号：37010020265678" in words and "以上笔录我看过，与我说的相符" in words
    assert download.suggested_filename.endswith(".pdf")
    # The download is a custody event of the stored PDF, by the party.
    case_id = (await api.ok("GET", f"/api/interviews/{interview_id}", headers=wang))["case_id"]
    events = (await api.ok("GET", f"/api/cases/{case_id}/custody", headers=wang))["events"]
    [event] = [e for e in events if e["action"] == "downloaded"]
    assert event["actor"]["kind"] == "party" and event["actor"]["name"] == "李工人"
    assert errors == [] and phone_errors == []
    await phone_context.close()
    await desk.close()


async def test_no_copy_before_signing(api: Api) -> None:
    wang, path, invitation, worker = await drafted(api)
    status, body = await api.call("GET", "/api/invitation/record.pdf", headers=worker)
    assert (status, body["error"]) == (404, "no_record")  # nothing sent yet
    assert (await api.call("GET", "/api/invitation/record.pdf", headers=bearer("not a token")))[0] == 401


async def test_the_inspector_signs_on_the_record_page(api: Api, browser: Browser) -> None:
    from tests.test_officer_signature import name_wang  # noqa: PLC0415 - one helper

    wang, path, invitation, worker = await drafted(api)
    await name_wang(api, wang, path, 1)
    interview_id = path.split("/")[3]
    base = str(api.client.server.make_url("/")).rstrip("/")
    desk, page = await log_in_at(browser, base, f"/console/interviews/{interview_id}/record")
    errors = csp_watch(page, "record")
    submit = page.get_by_test_id("officer-submit")
    await expect(submit).to_be_disabled()  # nothing drawn yet
    await sign(page, "officer-pad")
    await submit.click()
    await expect(page.get_by_test_id("officer-signature")).to_contain_text("Wang（执法证号：37010020261234）")
    await expect(page.get_by_test_id("officer-pad")).to_be_hidden()  # signed once
    listed = (await api.ok("GET", path, headers=wang))["officer_signatures"]
    assert [(s["username"], s["version"]) for s in listed] == [("wang", 2)]
    assert errors == []
    await desk.close()
