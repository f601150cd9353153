"""A complaint in a real Chromium: the worker on a small phone from a poster's QR link,
the inspector at a desk, and the worker's status link at the end."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.support.api import PASSWORD, Api
from tests.support.complaints import bureau

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}


async def test_a_worker_complains_from_a_poster_and_reads_the_reply(api: Api, browser: Browser, tmp_path) -> None:  # noqa: ANN001
    b = await bureau(api)
    base = str(api.client.server.make_url("/")).rstrip("/")
    phone = await browser.new_context(**PHONE)
    page = await phone.new_page()
    await page.goto(f"{base}/r/{b['city']}")
    await expect(page.locator("#rp-unit")).to_contain_text("济南市劳动保障监察支队")
    await page.get_by_role("button", name="English").click()  # the form in English, and back
    await expect(page.get_by_role("heading", level=1)).to_have_text("Report unpaid wages or other labour problems")
    await expect(page.get_by_label("Your name (required)")).to_be_visible()
    await page.get_by_role("button", name="中文").click()
    submit = page.get_by_test_id("submit")
    box = await submit.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 640  # reachable without scrolling
    await submit.click()  # nothing filled in: told what is needed, nothing sent
    await expect(page.locator("#rp-message")).to_contain_text("请填写姓名和手机号码")
    await page.get_by_label("您的姓名（必填）").fill("李师傅")
    await page.get_by_label("手机号码（必填）").fill("138 0013 8000")
    await page.get_by_text("补充情况（可不填）").click()
    await page.get_by_label("用人单位或项目名称").fill("某建设有限公司")
    await page.get_by_label("用工所在区县").fill("历下区")
    await page.get_by_label("问题类别").select_option("wages")
    await page.get_by_label("发生了什么").fill("工头三个月没发工资。")
    assert await page.get_by_label(re.compile("不向用人单位透露我的身份")).is_checked()
    await submit.click()
    number = page.get_by_test_id("complaint-number")
    await expect(number).to_have_text(re.compile(r"^ZM-C-\d{4}-\d{6}$"))
    filed_number = str(await number.text_content())
    link = await page.get_by_test_id("status-link").get_attribute("href")
    assert link and link.startswith("/s/zmc_")
    await page.get_by_test_id("status-link").click()
    await expect(page.get_by_test_id("complaint-state")).to_have_text("已收到，等待受理")
    await expect(page.locator("#cs-unit")).to_have_text("历下区大队")

    desk = await browser.new_context(viewport={"width": 1440, "height": 900})
    staff = await desk.new_page()
    await staff.goto(f"{base}/login?next=/complaints")
    await staff.get_by_label("用户名").fill("zhao")
    await staff.get_by_label("密码").fill(PASSWORD)
    await staff.get_by_role("button", name="登录").click()
    await expect(staff).to_have_url(f"{base}/complaints")
    row = staff.get_by_test_id("complaint-row")
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("due")).to_contain_text("受理")
    await row.get_by_role("link").click()
    await staff.get_by_test_id("claim").click()
    await expect(staff.get_by_test_id("complaint-state")).to_have_text("已有专人负责")
    # More material is asked for; the worker's status page says what, and takes a photo.
    await staff.get_by_test_id("ask").click()
    await staff.get_by_label("需要补充什么（投诉人可见）").fill("欠条或工资条的照片")
    await staff.get_by_test_id("confirm-ask").click()
    await expect(staff.get_by_test_id("complaint-paused")).to_contain_text("等待补充材料")
    await expect(staff.get_by_test_id("accept")).to_be_visible()
    await page.reload()
    await expect(page.get_by_test_id("complaint-paused")).to_contain_text("需要您补充材料：欠条或工资条的照片")
    photo = tmp_path / "欠条.png"
    photo.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c63f8cfc0f01f0005000100ff89993d1d0000000049454e44ae426082"))
    await page.locator("#cs-file").set_input_files(str(photo))
    await expect(page.locator("#cs-message")).to_contain_text("已收到您的材料")
    await expect(page.get_by_test_id("complaint-paused")).to_be_hidden()
    await staff.reload()
    await expect(staff.get_by_test_id("complaint-paused")).to_have_count(0)
    await staff.get_by_test_id("accept").click()
    await expect(staff.get_by_test_id("complaint-state")).to_have_text("已受理，正在调查")
    await staff.get_by_test_id("complaint-case").click()
    await expect(staff.locator("#case-heading")).to_contain_text(filed_number)
    case_id = staff.url.rsplit("/", 1)[1]
    items = await api.ok("GET", f"/api/cases/{case_id}/evidence", headers=b["zhao"])
    assert sorted(i["kind"] for i in items) == ["complaint_form", "upload"]
    await staff.go_back()
    await staff.get_by_test_id("close").click()
    await staff.get_by_label("给投诉人的答复").fill("已责令该公司支付拖欠工资，请注意查收。")
    await staff.get_by_label("追回金额（元）").fill("86000")
    await staff.locator("#cp-f-workers_covered").fill("12")
    await staff.get_by_test_id("confirm-close").click()
    await expect(staff.get_by_test_id("complaint-state")).to_have_text("已办结")

    await page.reload()
    await expect(page.get_by_test_id("complaint-state")).to_have_text("已办结")
    await expect(page.get_by_test_id("complaint-reply")).to_contain_text("已责令该公司支付拖欠工资")
    await expect(page.get_by_test_id("complaint-reply")).to_contain_text("追回金额：86000 元")
    await expect(page.locator("#cs-add")).to_be_hidden()  # finished: no more files
    await page.get_by_role("button", name="English").click()  # the same page in English
    await expect(page.get_by_test_id("complaint-state")).to_have_text("Closed")
    await expect(page.get_by_test_id("complaint-reply")).to_contain_text("Recovered: 86000 yuan")
    await expect(page.locator("#cs-history")).to_contain_text("More material asked for")
    await phone.close()
    await desk.close()


async def test_a_12333_operator_files_a_collective_complaint_and_reads_the_counts(api: Api, browser: Browser) -> None:
    b = await bureau(api)
    base = str(api.client.server.make_url("/")).rstrip("/")
    desk = await browser.new_context(viewport={"width": 1440, "height": 900})
    staff = await desk.new_page()
    await staff.goto(f"{base}/login?next=/complaints")
    await staff.get_by_label("用户名").fill("li")
    await staff.get_by_label("密码").fill(PASSWORD)
    await staff.get_by_role("button", name="登录").click()
    await expect(staff.locator("#cf")).to_be_visible()
    await staff.locator("#cf-name").fill("王师傅")
    await staff.locator("#cf-phone").fill("139 0000 1111")
    await staff.locator("#cf-employer").fill("某劳务公司")
    await staff.locator("#cf-category").select_option("wages")
    await staff.locator("#cf-co").fill("张一 13900000001\n李二 13900000002\n赵三")
    await staff.get_by_test_id("file-for-caller").click()
    await expect(staff.locator("#cf-message")).to_contain_text(re.compile(r"已登记，编号 ZM-C-\d{4}-\d{6}.*/s/zmc_"))
    number = await staff.locator("#cf-message").get_attribute("data-number")
    await expect(staff.get_by_test_id("complaint-row")).to_contain_text(str(number))
    await expect(staff.get_by_test_id("count-row")).to_contain_text("济南市劳动保障监察支队")
    rows = await api.ok("GET", "/api/complaints", headers=b["li"])
    assert [(w["name"], w["phone"]) for w in rows[0]["co_complainants"]] == [
        ("张一", "13900000001"), ("李二", "13900000002"), ("赵三", "")]
    assert rows[0]["channel"] == b["window"] and rows[0]["confidential"] is True
    await staff.locator("#cc-by").select_option("category")
    await expect(staff.get_by_test_id("count-row")).to_contain_text("欠薪")
    await staff.get_by_role("button", name="English").click()
    await expect(staff.locator("#cf h2")).to_have_text("File a complaint for a caller or visitor")
    await expect(staff.get_by_test_id("count-row")).to_contain_text("Unpaid wages")
    await desk.close()
