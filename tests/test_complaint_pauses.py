"""A complaint's clock stops and runs again: more material asked of the complainant
(补正), an accepted complaint suspended (中止); and the bureau's own list of results."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import update

from server.appkeys import SESSIONS
from server.complaints.workdays import Calendar, local_day
from server.db.complaint_models import Complaint, ComplaintDeadline
from server.db.types import utcnow
from server.settings import Settings
from tests.support.api import Api, bearer
from tests.support.complaints import PNG, aiohttp_form, bureau, file

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(complaint_results=(("paid_in_full", "已全额支付"), ("mediated", ""), ("other", "")))


async def _claimed(api: Api, b: dict) -> tuple[dict, str]:
    filed = await file(api, b["city"])
    cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    return filed, cid


async def test_asking_for_material_stops_the_clock_until_it_arrives(api: Api) -> None:
    b = await bureau(api)
    filed, cid = await _claimed(api, b)
    me = bearer(filed["token"])
    await api.ok("POST", f"/api/complaints/{cid}/ask", 403, headers=b["qian"], json={"what": "x"})  # not the owner
    await api.ok("POST", f"/api/complaints/{cid}/ask", 400, headers=b["zhao"], json={})
    asked = await api.ok("POST", f"/api/complaints/{cid}/ask", headers=b["zhao"],
                         json={"what": "请补充劳动合同或工资条的照片"})
    assert asked["paused"]["kind"] == "material"
    await api.ok("POST", f"/api/complaints/{cid}/ask", 409, headers=b["zhao"], json={"what": "再问"})
    # Days pass while the complainant looks for it: not overdue, the clock is stopped.
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(ComplaintDeadline).where(ComplaintDeadline.complaint_id == cid)
                              .values(due=local_day(utcnow()) - timedelta(days=2)))
    assert await api.ok("GET", "/api/complaints?overdue=1", headers=b["zhao"]) == []
    status = await api.ok("GET", "/api/complaint", headers=me)
    assert status["paused"] == {"kind": "material", "reason": "请补充劳动合同或工资条的照片",
                                "since": asked["paused"]["since"]}
    assert status["history"][-1]["step"] == "material_requested"
    await api.ok("POST", "/api/complaint/evidence", 201, headers=me, data=aiohttp_form(PNG, "工资条.png"))
    got = await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"])
    today = local_day(utcnow())
    accept = [d for d in got["deadlines"] if d["kind"] == "accept"][0]
    assert got["paused"] is None and accept["counted_from"] == today.isoformat()
    assert accept["due"] == Calendar({}).add(today, 5).isoformat() and accept["cause"] == "resumed"
    assert [h["action"] for h in got["history"]][-3:] == ["complaint_file_added", "complaint_resumed", "deadline_set"]
    assert (await api.ok("GET", "/api/complaint", headers=me))["paused"] is None
    # Refusing while material is asked for ends the wait.
    await api.ok("POST", f"/api/complaints/{cid}/ask", headers=b["zhao"], json={"what": "请提供用工地点"})
    refused = await api.ok("POST", f"/api/complaints/{cid}/refuse", headers=b["zhao"],
                           json={"reason": "逾期未补正材料"})
    assert refused["state"] == "refused" and refused["paused"] is None


async def test_a_suspension_moves_the_closing_deadline_by_the_working_days_it_lasted(api: Api) -> None:
    b = await bureau(api)
    _, cid = await _claimed(api, b)
    await api.ok("POST", f"/api/complaints/{cid}/suspend", 409, headers=b["zhao"], json={"reason": "x"})  # not accepted
    await api.ok("POST", f"/api/complaints/{cid}/accept", headers=b["zhao"])
    before = await api.ok("GET", f"/api/complaints/{cid}", headers=b["zhao"])
    close = [d for d in before["deadlines"] if d["kind"] == "close"][0]
    await api.ok("POST", f"/api/complaints/{cid}/resume", 409, headers=b["zhao"], json={"reason": "x"})
    await api.ok("POST", f"/api/complaints/{cid}/suspend", headers=b["zhao"],
                 json={"reason": "用人单位负责人下落不明，等待公安协查"})
    closing = {"result": "mediated", "reply": "已调解。", "amount_recovered": 0, "workers_covered": 12}
    got = await api.call("POST", f"/api/complaints/{cid}/close", headers=b["zhao"], json=closing)
    assert got[0] == 409 and got[1]["error"] == "complaint_paused"
    ten_days_ago = utcnow() - timedelta(days=10)
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Complaint).where(Complaint.id == cid).values(paused_at=ten_days_ago))
    resumed = await api.ok("POST", f"/api/complaints/{cid}/resume", headers=b["zhao"], json={"reason": "已找到负责人"})
    stopped = Calendar({}).between(local_day(ten_days_ago), local_day(utcnow()))
    new = [d for d in resumed["deadlines"] if d["kind"] == "close"][0]
    assert stopped >= 6 and new["due"] == Calendar({}).add(date.fromisoformat(close["due"]), stopped).isoformat()
    assert new["cause"] == "resumed" and f"{stopped}" in new["reason"]
    assert [d["due"] for d in resumed["deadline_history"] if d["kind"] == "close"] == [close["due"], new["due"]]
    # A resumption is not an extension: the supervisor may still grant all 30 days.
    await api.ok("POST", f"/api/complaints/{cid}/extend", headers=b["qian"], json={"days": 30, "reason": "案情复杂"})
    await api.ok("POST", f"/api/complaints/{cid}/close", headers=b["zhao"], json=closing)


async def test_the_bureau_sets_its_own_list_of_results(api: Api) -> None:
    b = await bureau(api)
    _, cid = await _claimed(api, b)
    await api.ok("POST", f"/api/complaints/{cid}/accept", headers=b["zhao"])
    options = await api.ok("GET", "/api/complaint-options", headers=b["zhao"])
    assert options["results"] == [{"code": "paid_in_full", "label": "已全额支付"},
                                  {"code": "mediated", "label": None}, {"code": "other", "label": None}]
    await api.ok("GET", "/api/complaint-options", 401)
    status, got = await api.call("POST", f"/api/complaints/{cid}/close", headers=b["zhao"],
                                 json={"result": "resolved", "reply": "x", "amount_recovered": 0,
                                       "workers_covered": 1})  # standard, but not this bureau's
    assert status == 400, got
    done = await api.ok("POST", f"/api/complaints/{cid}/close", headers=b["zhao"],
                        json={"result": "paid_in_full", "reply": "已全额支付拖欠工资。"}, status=400)
    assert "amount_recovered" in str(done)  # a closure says how much came back and for how many
    done = await api.ok("POST", f"/api/complaints/{cid}/close", headers=b["zhao"],
                        json={"result": "paid_in_full", "reply": "已全额支付拖欠工资。",
                              "amount_recovered": 86000, "workers_covered": 12})
    assert done["result"] == "paid_in_full"
