"""Text messages to parties' phones (issue #16, "brought back to sign"): the invitation, a
reminder before the scheduled start and the request to sign, each a custody event of the
case with the number masked; through the `file` plug-in, and through the `sms` plug-in
to a real local HTTP server standing in for the provider, which may fail or hang without
failing the invitation."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, expect

from server.appkeys import NOTIFICATIONS, SESSIONS, STORE
from server.db.models import Interview
from server.records import write_version
from server.settings import NotifySettings, Settings
from tests.support.api import Api, bearer
from tests.support.notify import Provider, custody_events, messages, sms_gateway
from tests.test_recording_browser import log_in_at
from transcription.bureau_time import format_time
from transcription.record import build_draft

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PHONE, SHOWN = "13812345678", "138****5678"
TOKEN = "gateway-secret-token"
PUBLIC = "https://meet.example.gov.cn"


@pytest.fixture
def gateway() -> str:
    return "file"


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    async with sms_gateway() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, gateway: str, provider: Provider) -> Settings:
    notify = NotifySettings(gateway=gateway, sms_url=provider.url, sms_token=TOKEN,
                            sms_timeout=timedelta(seconds=0.5))
    return settings.with_(notify=notify, public_url=PUBLIC)


async def _invite(api: Api, headers: dict[str, str], interview_id: str, phone: object = PHONE,
                  status: int = 201, name: str = "张三") -> dict:
    return await api.ok("POST", f"/api/interviews/{interview_id}/invites", status, headers=headers,
                        json={"name": name, "role": "worker", "phone": phone})


async def test_an_invitation_with_a_phone_number_goes_by_text_message(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    start = datetime.now(UTC) + timedelta(days=2)
    interview = await api.interview(wang, case["id"], scheduled_for=start.isoformat())
    invite = await _invite(api, wang, interview["id"], phone="+86 138-1234-5678")
    assert invite["url"].startswith(f"{PUBLIC}/j/") and invite["phone_masked"] == SHOWN
    notified = invite["notified"]
    assert notified["state"] == "sent" and notified["provider"] == "file" and notified["phone"] == SHOWN
    [sent] = messages(api)
    assert sent["id"] == notified["message_id"] and sent["to"] == PHONE and sent["kind"] == "invitation"
    assert invite["url"] in sent["text"] and "劳动保障监察机构" in sent["text"] and "12333" in sent["text"]
    assert format_time(start.isoformat(), "zh") in sent["text"]
    for private in ("张三", case["title"], case["number"], case["employer"]):  # nothing about the case
        assert private not in json.dumps(sent, ensure_ascii=False)
    [event] = await custody_events(api, wang, case["id"], "notified")
    assert event["actor"]["username"] == "wang"
    assert event["detail"] == {"message": "invitation", "invitation": invite["id"], "provider": "file",
                               "phone": SHOWN, "message_id": notified["message_id"]}
    log = json.dumps(await custody_events(api, wang, case["id"]))
    assert PHONE not in log and invite["token"] not in log
    listed = await api.ok("GET", f"/api/interviews/{interview['id']}/invites", headers=wang)
    assert [i["phone_masked"] for i in listed] == [SHOWN]
    own = await api.ok("GET", "/api/invitation", headers=bearer(invite["token"]))
    assert own["bureau"]["name"] == "劳动保障监察机构" and PHONE not in json.dumps(own)
    # Without a number nothing goes, and an English interview's message is English.
    plain = await api.invite(wang, interview["id"], name="李四")
    assert plain["notified"] == {"state": "no_phone"} and plain["phone_masked"] is None
    english = await api.interview(wang, case["id"], language="en")
    await _invite(api, wang, english["id"], phone="13912345678", name="Zhang San")
    assert len(messages(api)) == 2
    assert messages(api)[-1]["text"].startswith("劳动保障监察机构 invites you to a remote interview")


async def test_a_phone_number_that_is_no_mainland_mobile_is_refused(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    for bad in ("12345", "23812345678", "1381234567", "138123456789", "1381234567x",
                "١٣٨١٢٣٤٥٦٧٨", 13812345678, ["13812345678"], "1" * 40):
        status, body = await api.call("POST", f"/api/interviews/{interview['id']}/invites",
                                      headers=wang, json={"name": "张三", "role": "worker", "phone": bad})
        assert status == 400 and body["error"] == "invalid_phone", (bad, body)
    assert await api.ok("GET", f"/api/interviews/{interview['id']}/invites", headers=wang) == []
    assert messages(api) == [] and await custody_events(api, wang, case["id"]) == []
    empty = await _invite(api, wang, interview["id"], phone="")  # an empty field is no number
    assert empty["notified"] == {"state": "no_phone"}


async def test_the_reminder_goes_once_before_the_start_and_never_for_a_dead_link(api: Api) -> None:
    wang, case, _ = await api.setup_case()
    now = datetime.now(UTC)
    start = now + timedelta(hours=2)
    interview = await api.interview(wang, case["id"], scheduled_for=start.isoformat())
    worker = await _invite(api, wang, interview["id"])
    await api.invite(wang, interview["id"], name="李四")  # no number: no reminder
    revoked = await _invite(api, wang, interview["id"], phone="13900001111", name="王五")
    await api.ok("POST", f"/api/invites/{revoked['id']}/revoke", headers=wang)
    notes = api.app[NOTIFICATIONS]
    window = start - timedelta(minutes=30)
    assert await notes.remind_due(window - timedelta(minutes=1)) == 0  # too early
    assert await notes.remind_due(window + timedelta(minutes=1)) == 1
    assert await notes.remind_due(window + timedelta(minutes=2)) == 0  # once
    reminders = [m for m in messages(api) if m["kind"] == "reminder"]
    assert [m["to"] for m in reminders] == [PHONE]
    assert worker["url"] in reminders[0]["text"]  # the same link, kept sealed
    assert format_time(start.isoformat(), "zh") in reminders[0]["text"]
    events = await custody_events(api, wang, case["id"], "notified")
    assert events[-1]["actor"] == {"kind": "server"}
    assert events[-1]["detail"]["message"] == "reminder" and events[-1]["detail"]["phone"] == SHOWN
    # A new time gets its own reminder; a cancelled interview none.
    later = start + timedelta(hours=1)
    await api.ok("POST", f"/api/interviews/{interview['id']}/reschedule", headers=wang,
                 json={"scheduled_for": later.isoformat()})
    assert await notes.remind_due(later - timedelta(minutes=29)) == 1
    await api.ok("POST", f"/api/interviews/{interview['id']}/reschedule", headers=wang,
                 json={"scheduled_for": (later + timedelta(hours=1)).isoformat()})
    await api.ok("POST", f"/api/interviews/{interview['id']}/cancel", headers=wang, json={"reason": "已支付"})
    assert await notes.remind_due(later + timedelta(minutes=31)) == 0
    # An invitation made inside the window told the time itself.
    soon = await api.interview(wang, case["id"], scheduled_for=(now + timedelta(minutes=10)).isoformat())
    await _invite(api, wang, soon["id"], phone="13700001111")
    assert await notes.remind_due(now + timedelta(minutes=1)) == 0
    assert len([m for m in messages(api) if m["kind"] == "reminder"]) == 2


async def test_sending_a_record_asks_the_party_to_read_and_sign(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    worker = await _invite(api, wang, interview["id"], name="Zhang San")
    plain = await api.invite(wang, interview["id"], name="Li Si")
    sessions = api.app[SESSIONS]
    async with sessions() as session:
        row = await session.get(Interview, interview["id"])
    now = datetime.now(UTC)
    draft = build_draft(
        interview_id=row.id, case_id=row.case_id, language="zh", case_number=case["number"],
        case_title=case["title"], employer=case["employer"], started_at=now - timedelta(minutes=5),
        ended_at=now, inspectors=["Wang"], interviewees=[("Zhang San", "worker")], turns=[
            {"speaker": "Wang", "role": "inspector", "start": 0, "end": 2, "text": "你在这里工作多久了？"},
            {"speaker": "Zhang San", "role": "worker", "start": 2, "end": 4, "text": "两年。"}])
    await write_version(sessions, api.app[STORE], row, draft, number=1, based_on=None, author_id=None)
    path = f"/api/interviews/{interview['id']}/record/send"
    sent = await api.ok("POST", path, 201, headers=wang, json={"invitation_id": worker["id"]})
    assert sent["state"] == "awaiting" and sent["notified"]["state"] == "sent"
    message = messages(api)[-1]
    assert message["kind"] == "sign" and message["to"] == PHONE and message["id"] == sent["notified"]["message_id"]
    assert worker["url"] in message["text"] and "签字" in message["text"]
    assert "两年" not in message["text"] and "Zhang San" not in message["text"]
    [event] = [e for e in await custody_events(api, wang, case["id"], "notified")
               if e["detail"]["message"] == "sign"]
    assert event["detail"]["invitation"] == worker["id"] and event["detail"]["phone"] == SHOWN
    other = await api.ok("POST", path, 201, headers=wang, json={"invitation_id": plain["id"]})
    assert other["notified"] == {"state": "no_phone"}


@pytest.mark.parametrize("gateway", ["sms"])
async def test_the_sms_gateway_gets_the_message_and_its_id_is_logged(api: Api, provider: Provider) -> None:
    wang, case, interview = await api.setup_case()
    invite = await _invite(api, wang, interview["id"])
    [got] = provider.requests
    assert got["headers"]["Authorization"] == f"Bearer {TOKEN}"
    body = got["json"]
    assert body["to"] == PHONE and body["kind"] == "invitation" and body["language"] == "zh"
    assert body["params"]["url"] == invite["url"] and invite["url"] in body["text"]
    assert invite["notified"] == {"state": "sent", "provider": "sms", "phone": SHOWN, "message_id": "sms-1"}
    [event] = await custody_events(api, wang, case["id"], "notified")
    assert event["detail"]["provider"] == "sms" and event["detail"]["message_id"] == "sms-1"
    assert messages(api) == []  # the file plug-in is not in play


@pytest.mark.parametrize("gateway", ["sms"])
async def test_a_gateway_that_fails_or_hangs_never_fails_the_invitation(api: Api, provider: Provider) -> None:
    wang, case, interview = await api.setup_case()
    reasons = {}
    for mode in ("error", "slow", "not_json"):
        provider.mode = mode
        began = time.monotonic()
        invite = await _invite(api, wang, interview["id"], name=f"张三{mode}")
        assert time.monotonic() - began < 3, mode  # the timeout (0.5 s) holds
        notified = invite["notified"]
        assert notified["state"] == "failed" and notified["phone"] == SHOWN, notified
        reasons[mode] = notified["reason"]
    assert "HTTP 500" in reasons["error"] and "did not answer within 0.5 s" in reasons["slow"]
    assert "not JSON" in reasons["not_json"]
    failed = await custody_events(api, wang, case["id"], "notify_failed")
    assert [e["detail"]["reason"] for e in failed] == list(reasons.values())
    assert all(e["detail"]["phone"] == SHOWN and "message_id" not in e["detail"] for e in failed)
    assert await custody_events(api, wang, case["id"], "notified") == []
    listed = await api.ok("GET", f"/api/interviews/{interview['id']}/invites", headers=wang)
    assert len(listed) == 3 and all(i["state"] == "active" for i in listed)
    assert provider.url not in json.dumps(failed) and TOKEN not in json.dumps(failed)


@pytest.mark.parametrize("gateway", ["off"])
async def test_with_messages_off_the_number_is_kept_and_nothing_goes(api: Api, provider: Provider) -> None:
    wang, case, interview = await api.setup_case()
    invite = await _invite(api, wang, interview["id"])
    assert invite["notified"] == {"state": "off"} and invite["phone_masked"] == SHOWN
    assert await api.app[NOTIFICATIONS].remind_due(datetime.now(UTC) + timedelta(days=1)) == 0
    assert messages(api) == [] and provider.requests == []
    assert await custody_events(api, wang, case["id"], "notified", "notify_failed") == []


async def test_the_invite_form_takes_a_phone_number_and_says_whether_the_message_went(
        api: Api, browser: Browser) -> None:
    wang, case, interview = await api.setup_case()
    base = str(api.client.server.make_url("/")).rstrip("/")
    context, page = await log_in_at(browser, base, f"/console/interviews/{interview['id']}")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.get_by_label("被邀请人姓名").fill("张三")
    await page.get_by_label(re.compile("^手机号")).fill("12345")
    await page.get_by_role("button", name="生成邀请链接").click()
    await expect(page.get_by_role("alert")).to_contain_text("请填写 11 位手机号")
    await page.get_by_label(re.compile("^手机号")).fill("138 1234 5678")
    await page.get_by_role("button", name="生成邀请链接").click()
    await expect(page.get_by_test_id("invite-sms")).to_have_text(f"已向 {SHOWN} 发送短信，内含此链接。")
    await expect(page.locator("input[readonly]")).to_have_value(re.compile(r"/j/zmi_"))
    await expect(page.locator("td", has_text=SHOWN)).to_be_visible()
    [sent] = messages(api)
    assert await page.locator("input[readonly]").input_value() in sent["text"]
    await page.get_by_role("button", name="English").click()
    await expect(page.get_by_test_id("invite-sms")).to_have_text(
        f"A text message with this link went to {SHOWN}.")
    assert errors == []
    await context.close()
