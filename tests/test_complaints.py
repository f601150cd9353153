"""Complaints through the HTTP API: intake, routing, first responder, transfers,
decisions, deadlines, closure with a reply, and what each token reaches."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from server.appkeys import SESSIONS, SIGNING_KEY
from server.complaints import handling, units
from server.complaints import log as complaint_log
from server.complaints.workdays import Calendar, local_day
from server.db.complaint_models import Complaint, ComplaintDeadline
from server.db.types import utcnow
from tests.support.api import Api, bearer
from tests.support.complaints import FORM, PNG, aiohttp_form, bureau, file, load_days
from tests.support.databases import BOTH


@BOTH
async def test_a_complaint_from_a_poster_to_a_reply(api: Api) -> None:
    b = await bureau(api)
    filed = await file(api, b["city"])
    assert filed["number"].startswith(f"ZM-C-{local_day(utcnow()).year}-")
    assert filed["status_url"] == f"/s/{filed['token']}" and len(filed["token"]) > 40
    me = bearer(filed["token"])
    status = await api.ok("GET", "/api/complaint", headers=me)
    assert status["state"] == "received" and status["unit"]["code"] == "lixia"  # by its district
    today = local_day(utcnow())
    assert status["deadlines"] == [{"kind": "accept", "due": Calendar({}).add(today, 5).isoformat(),
                                    "met_at": None}]
    form = aiohttp_form(PNG, "欠条.png")
    added = await api.ok("POST", "/api/complaint/evidence", 201, headers=me, data=form)
    assert added["content_type"] == "image/png"

    queue = await api.ok("GET", "/api/complaints", headers=b["zhao"])
    assert [c["number"] for c in queue] == [filed["number"]]
    assert await api.ok("GET", "/api/complaints", headers=b["sun"]) == []  # another district
    cid = queue[0]["id"]
    claimed = await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    assert claimed["owner"]["username"] == "zhao" == claimed["first_responder"]["username"]
    await api.ok("POST", f"/api/complaints/{cid}/claim", 409, headers=b["qian"])
    await api.ok("POST", f"/api/complaints/{cid}/accept", 403, headers=b["qian"])  # not the owner
    accepted = await api.ok("POST", f"/api/complaints/{cid}/accept", headers=b["zhao"])
    case = await api.ok("GET", f"/api/cases/{accepted['case_id']}", headers=b["zhao"])
    assert filed["number"] in case["title"] and "李师傅" not in case["title"] + case["description"]
    items = await api.ok("GET", f"/api/cases/{case['id']}/evidence", headers=b["zhao"])
    kinds = sorted(i["kind"] for i in items)
    assert kinds == ["complaint_form", "upload"], kinds
    assert added["sha256"] in {i["sha256"] for i in items}
    log = await api.ok("GET", f"/api/cases/{case['id']}/custody", headers=b["zhao"])
    linked = [e for e in log["events"] if e["action"] == "complaint_linked"]
    detail = (await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"]))
    assert linked and linked[0]["detail"]["log_head"] in {e["hash"] for e in detail["history"]}
    async with api.app[SESSIONS]() as session:
        logged = await complaint_log.events(session, cid)
    assert complaint_log.check(cid, logged) == []
    assert logged[linked[0]["detail"]["log_seq"] - 1]["hash"] == linked[0]["detail"]["log_head"]
    tampered = [dict(e) for e in logged]
    tampered[0]["detail"] = {**tampered[0]["detail"], "unit": "city"}
    assert "hash does not match" in complaint_log.check(cid, tampered)[0]
    close = {"result": "resolved", "reply": "已责令用人单位支付拖欠工资86000元。",
             "amount_recovered": 86000, "workers_covered": 12}
    await api.ok("POST", f"/api/complaints/{cid}/close", 404, headers=b["sun"], json=close)  # not theirs to see
    await api.ok("POST", f"/api/complaints/{cid}/close", headers=b["zhao"], json=close)
    before = len((await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"]))["history"])
    status = await api.ok("GET", "/api/complaint", headers=me)
    assert status["state"] == "closed" and status["reply"] == close["reply"]
    await api.ok("GET", "/api/complaint", headers=me)  # a second look is not logged again
    after = (await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"]))["history"]
    assert [e["action"] for e in after[before:]] == ["complaint_reply_shown"]
    steps = [h["step"] for h in status["history"]]
    assert steps[:3] == ["received", "deadline", "file_added"]
    assert {"claimed", "accepted", "closed"} <= set(steps)
    await api.ok("POST", "/api/complaint/evidence", 409, headers=me, data=aiohttp_form(PNG, "x.png"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_routing_falls_back_to_the_channels_unit(api: Api) -> None:
    b = await bureau(api)
    unknown = await file(api, b["city"], district="槐荫区")
    none = await file(api, b["lixia"], district="", phone="13900000001")
    other = await file(api, b["lixia"], district="市中区", phone="13900000002")
    for filed, unit in ((unknown, "city"), (none, "lixia"), (other, "shizhong")):
        status = await api.ok("GET", "/api/complaint", headers=bearer(filed["token"]))
        assert status["unit"]["code"] == unit, (filed, status)
    # The supervisor of 历下 sees 历下's queue, the city inspector only the city's.
    assert len(await api.ok("GET", "/api/complaints", headers=b["qian"])) == 1
    assert len(await api.ok("GET", "/api/complaints", headers=b["li"])) == 1
    # Then by category: a 历下 team for social insurance, and a city-wide one.
    async with api.app[SESSIONS]() as session, session.begin():
        await units.add_unit(session, code="lixia-ins", name="历下区社保组", parent="lixia",
                             districts=["历下区"], categories=["insurance"])
        await units.add_unit(session, code="city-ins", name="市社保稽核组", parent="city",
                             districts=[], categories=["insurance"])
    for n, (district, category, unit) in enumerate((("历下区", "insurance", "lixia-ins"),
                                                    ("历下区", "wages", "lixia"),
                                                    ("槐荫区", "insurance", "city-ins"),
                                                    ("槐荫区", "wages", "city"))):
        filed = await file(api, b["city"], district=district, category=category, phone=f"1370000000{n}")
        status = await api.ok("GET", "/api/complaint", headers=bearer(filed["token"]))
        assert status["unit"]["code"] == unit, (district, category, status["unit"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_transfer_is_taken_or_comes_back_to_the_supervisor(api: Api) -> None:
    b = await bureau(api)
    await file(api, b["city"])
    cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    await api.ok("POST", f"/api/complaints/{cid}/transfer", 400, headers=b["zhao"], json={"unit": "shizhong"})
    moved = await api.ok("POST", f"/api/complaints/{cid}/transfer", headers=b["zhao"],
                         json={"unit": "shizhong", "reason": "用工地点在市中区"})
    assert moved["transfer"]["unit"]["code"] == "shizhong"
    taken = await api.ok("POST", f"/api/complaints/{cid}/take", headers=b["sun"])
    assert taken["unit"]["code"] == "shizhong" and taken["owner"]["username"] == "sun"
    assert taken["first_responder"]["username"] == "zhao"  # 首问负责 stays named
    assert await api.ok("GET", "/api/complaints", headers=b["zhao"]) == []

    # A second one, sent to 市中 and not taken within its working day: back, and alerted.
    await file(api, b["city"], phone="13900000009")
    second = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    await api.ok("POST", f"/api/complaints/{second}/claim", headers=b["zhao"])
    await api.ok("POST", f"/api/complaints/{second}/transfer", headers=b["zhao"],
                 json={"unit": "shizhong", "reason": "试移送"})
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(ComplaintDeadline).where(
            ComplaintDeadline.complaint_id == second, ComplaintDeadline.kind == "transfer")
            .values(due=local_day(utcnow()) - timedelta(days=3)))
    # The background sweep sends it back without anyone reading a queue.
    assert any(t.get_name() == "complaint-transfers" for t in asyncio.all_tasks())
    assert await handling.return_lapsed_transfers(api.app[SESSIONS]) == 1
    async with api.app[SESSIONS]() as session:
        assert (await session.get(Complaint, second)).transfer_unit_id is None
    overdue = await api.ok("GET", "/api/complaints?overdue=1", headers=b["qian"])
    assert [c["id"] for c in overdue] == [second] and "退回" in overdue[0]["alert"]
    back = await api.ok("GET", f"/api/complaints/{second}", headers=b["zhao"])
    assert back["unit"]["code"] == "lixia" and back["transfer"] is None
    assert "transfer_returned" in [h["action"] for h in back["history"]]
    await api.ok("POST", f"/api/complaints/{second}/take", 404, headers=b["sun"])
    seen_to = await api.ok("POST", f"/api/complaints/{second}/refuse", headers=b["zhao"],
                           json={"reason": "市中区不予接收，经核实不属于监察范围"})
    assert seen_to["alert"] is None  # the owner's next step sees to the alert


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_deadlines_follow_the_calendar_and_an_extension_needs_a_supervisor(api: Api) -> None:
    b = await bureau(api)
    today = local_day(utcnow())
    # Tomorrow is a holiday, and a Saturday three weeks on a make-up working day.
    days = {today + timedelta(days=1): (False, "假日"),
            today + timedelta(days=(5 - today.weekday()) % 7 + 21): (True, "调休")}
    await load_days(api, days)
    await file(api, b["city"])
    cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    cal = Calendar({d: w for d, (w, _) in days.items()})
    got = await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"])
    assert got["deadlines"][0]["due"] == cal.add(today, 5).isoformat()
    assert cal.add(today, 5) > Calendar({}).add(today, 5) or today.weekday() in (4, 5)  # the holiday counted
    await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    await api.ok("POST", f"/api/complaints/{cid}/accept", headers=b["zhao"])
    got = await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"])
    close = [d for d in got["deadlines"] if d["kind"] == "close"][0]
    assert close["due"] == cal.add(today, 60).isoformat()
    body = {"days": 30, "reason": "涉及人数多，需调取银行流水"}
    await api.ok("POST", f"/api/complaints/{cid}/extend", 403, headers=b["zhao"], json=body)
    await api.ok("POST", f"/api/complaints/{cid}/extend", 404, headers=b["sun"], json=body)  # another unit
    extended = await api.ok("POST", f"/api/complaints/{cid}/extend", headers=b["qian"], json=body)
    new = [d for d in extended["deadlines"] if d["kind"] == "close"][0]
    assert new["due"] == cal.add(cal.add(today, 60), 30).isoformat() and new["reason"] == body["reason"]
    assert [d["due"] for d in extended["deadline_history"] if d["kind"] == "close"] == [close["due"], new["due"]]
    await api.ok("POST", f"/api/complaints/{cid}/extend", 400, headers=b["qian"], json={"days": 1, "reason": "再延"})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_unanswered_complaint_becomes_overdue(api: Api) -> None:
    b = await bureau(api)
    await file(api, b["city"])
    cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    assert await api.ok("GET", "/api/complaints?overdue=1", headers=b["zhao"]) == []
    assert await api.ok("GET", "/api/complaints?at_risk=1", headers=b["zhao"]) == []  # 5 working days left
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(ComplaintDeadline).where(ComplaintDeadline.complaint_id == cid)
                              .values(due=Calendar({}).add(local_day(utcnow()), 2)))
    assert [c["id"] for c in await api.ok("GET", "/api/complaints?at_risk=1", headers=b["zhao"])] == [cid]
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(ComplaintDeadline).where(ComplaintDeadline.complaint_id == cid)
                              .values(due=local_day(utcnow()) - timedelta(days=1)))
    late = await api.ok("GET", "/api/complaints?overdue=1", headers=b["zhao"])
    assert [c["id"] for c in late] == [cid] and late[0]["deadlines"][0]["overdue"] is True


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_refusal_and_referral_tell_the_complainant_why(api: Api) -> None:
    b = await bureau(api)
    one, two = await file(api, b["city"]), await file(api, b["city"], phone="13900000003")
    ids = [c["id"] for c in await api.ok("GET", "/api/complaints", headers=b["zhao"])]
    for cid in ids:
        await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    await api.ok("POST", f"/api/complaints/{ids[1]}/refuse", headers=b["zhao"], json={"reason": "不属于劳动保障监察范围"})
    await api.ok("POST", f"/api/complaints/{ids[0]}/refer", 400, headers=b["zhao"], json={"to": "mars", "reason": "x"})
    await api.ok("POST", f"/api/complaints/{ids[0]}/refer", headers=b["zhao"], json={"to": "arbitration", "reason": "劳动争议，请申请仲裁"})
    states = {}
    for filed in (one, two):
        status = await api.ok("GET", "/api/complaint", headers=bearer(filed["token"]))
        states[status["state"]] = status
    assert states["refused"]["reason"] == "不属于劳动保障监察范围"
    # A complaint never accepted has no case log to pin it: its own log is signed.
    key = api.app[SIGNING_KEY]
    assert await complaint_log.sign_heads(api.app[SESSIONS], key) == 2
    assert await complaint_log.sign_heads(api.app[SESSIONS], key) == 0  # nothing moved since
    async with api.app[SESSIONS]() as session:
        points = await complaint_log.checkpoints(session, ids[1])
        logged = await complaint_log.events(session, ids[1])
    assert points[-1]["seq"] == len(logged)
    assert complaint_log.check(ids[1], logged, points, key.public_key()) == []
    points[-1]["head"] = logged[0]["hash"]
    assert "not the signed head" in complaint_log.check(ids[1], logged, points, key.public_key())[0]
    assert states["referred"]["referred_to"] == "arbitration"
    await api.ok("POST", f"/api/complaints/{ids[0]}/accept", 409, headers=b["zhao"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_status_token_reaches_nothing_else_and_staff_tokens_are_not_complaints(api: Api) -> None:
    b = await bureau(api)
    filed = await file(api, b["city"])
    me = bearer(filed["token"])
    for method, path in (("GET", "/api/cases"), ("GET", "/api/complaints"), ("GET", "/api/me")):
        status, _ = await api.call(method, path, headers=me)
        assert status == 401, (path, status)
    await api.ok("GET", "/api/complaint", 401, headers=b["zhao"])
    await api.ok("GET", "/api/complaint", 401, headers=bearer("zmc_" + "A" * 43))
    await api.ok("GET", "/api/complaint", 401)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_floods_and_hostile_input_are_refused_and_nothing_is_half_stored(api: Api) -> None:
    b = await bureau(api)
    for body, code in (({"name": "张三"}, "missing_field"), ({"phone": "abc"}, "invalid_phone"),
                       ({"workers": True}, "invalid_input"), ({"amount": -1}, "invalid_input"),
                       ({"category": "ufo"}, "invalid_input"), ({"name": "a\x00b"}, "invalid_input"),
                       ({"co_complainants": []}, "unknown_field"), ({"channel": "nope"}, "no_such_channel")):
        payload = {"channel": b["city"], **FORM, **body}
        if body == {"name": "张三"}:
            payload = {"channel": b["city"], "name": "张三"}
        status, got = await api.call("POST", "/api/complaints", json=payload)
        assert status in (400, 404) and got["error"] == code, (body, got)
    for n in range(3):
        await file(api, b["city"])
    status, got = await api.call("POST", "/api/complaints", json={"channel": b["city"], **FORM})
    assert status == 429 and got["error"] == "complaints_from_phone", got
    staff_queue = await api.ok("GET", "/api/complaints", headers=b["zhao"])
    assert len(staff_queue) == 3  # the refused ones left no row


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_window_clerk_files_a_collective_complaint(api: Api) -> None:
    b = await bureau(api)
    workers = [{"name": f"工人{n}", "phone": f"1390000{n:04d}"} for n in range(30)]
    filed = await api.ok("POST", "/api/complaints", 201, headers=b["li"], json={
        "channel": b["window"], **FORM, "workers": 31, "co_complainants": workers})
    got = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]
    assert got["number"] == filed["number"] and len(got["co_complainants"]) == 30


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_confidential_complainant_is_not_named_to_the_employer(api: Api) -> None:
    b = await bureau(api)
    filed = await file(api, b["city"], name="王秘密", description="我是王秘密，工头欠我工资。")
    cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    case_id = (await api.ok("POST", f"/api/complaints/{cid}/accept", headers=b["zhao"]))["case_id"]
    interview = await api.interview(b["zhao"], case_id)
    employer = await api.invite(b["zhao"], interview["id"], name="某公司代表", role="employer")
    seen = await api.ok("GET", "/api/invitation", headers=bearer(employer["token"]))
    case = await api.ok("GET", f"/api/cases/{case_id}", headers=b["zhao"])
    assert "王秘密" not in str(seen) and "王秘密" not in case["title"]
    # The case names the complaint, not the complainant (their own words stay in its
    # description, which no party's page shows).
    assert filed["number"] in case["title"] and "投诉人" not in case["description"]
