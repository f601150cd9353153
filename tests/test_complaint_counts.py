"""The counts staff read (per unit, channel, category, month), the channels they file
on, and the address limit that stops a script but not a 12333 desk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from server.appkeys import SESSIONS
from server.complaints.workdays import local_day
from server.db.complaint_models import Complaint, ComplaintDeadline
from server.db.types import utcnow
from tests.support.api import Api
from tests.support.complaints import bureau, file

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_counts_per_unit_channel_category_and_month(api: Api) -> None:
    b = await bureau(api)
    await file(api, b["city"], phone="13900000001")
    await file(api, b["lixia"], phone="13900000002", category="insurance", district="")
    await file(api, b["city"], phone="13900000003", district="市中区")  # 市中's, not seen by 历下
    ids = [c["id"] for c in await api.ok("GET", "/api/complaints", headers=b["zhao"])]
    assert len(ids) == 2
    first, second = ids
    await api.ok("POST", f"/api/complaints/{first}/claim", headers=b["zhao"])
    await api.ok("POST", f"/api/complaints/{first}/accept", headers=b["zhao"])
    await api.ok("POST", f"/api/complaints/{first}/close", headers=b["zhao"],
                 json={"result": "resolved", "reply": "已支付。", "amount_recovered": 5000,
                       "workers_covered": 1})
    two_days = utcnow() - timedelta(days=2)
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Complaint).where(Complaint.id == first).values(received_at=two_days))
        await session.execute(update(ComplaintDeadline).where(ComplaintDeadline.complaint_id == second)
                              .values(due=local_day(utcnow()) - timedelta(days=1)))
    by_unit = await api.ok("GET", "/api/complaint-counts", headers=b["zhao"])
    assert by_unit["by"] == "unit" and len(by_unit["rows"]) == 1
    row = by_unit["rows"][0]
    assert (row["label"], row["received"], row["accepted"], row["closed"], row["overdue"]) == ("历下区大队", 2, 1, 1, 1)
    assert 1.9 < row["median_days_to_contact"] <= 2.0 and 1.9 < row["median_days_to_close"] <= 2.0
    by_category = await api.ok("GET", "/api/complaint-counts?by=category", headers=b["zhao"])
    assert {r["key"]: r["received"] for r in by_category["rows"]} == {"insurance": 1, "wages": 1}
    by_channel = await api.ok("GET", "/api/complaint-counts?by=channel", headers=b["zhao"])
    assert sorted(r["label"] for r in by_channel["rows"]) == ["工地海报", "短信"]
    by_month = await api.ok("GET", "/api/complaint-counts?by=month", headers=b["zhao"])
    assert sum(r["received"] for r in by_month["rows"]) == 2
    supervisor = await api.ok("GET", "/api/complaint-counts", headers=b["qian"])
    assert sum(r["received"] for r in supervisor["rows"]) == 2  # 历下 has no unit under it
    city = await api.ok("GET", "/api/complaint-counts", headers=b["sun"])
    assert [r["received"] for r in city["rows"]] == [1]
    await api.ok("GET", "/api/complaint-counts?by=weather", 400, headers=b["zhao"])
    await api.ok("GET", "/api/complaint-counts", 401)
    channels = await api.ok("GET", "/api/complaint-channels", headers=b["li"])
    assert {c["medium"] for c in channels} == {"qr", "window"}  # the city's own


async def test_one_address_is_limited_but_a_staff_desk_is_not(api: Api) -> None:
    b = await bureau(api)
    for n in range(10):
        await file(api, b["city"], phone=f"1390000{n:04d}")
    status, got = await api.call("POST", "/api/complaints", json={
        "channel": b["city"], "name": "张三", "phone": "13911112222"})
    assert status == 429 and got["error"] == "complaints_from_address", got
    for n in range(12):  # a 12333 operator files call after call from one desk
        await api.ok("POST", "/api/complaints", 201, headers=b["li"], json={
            "channel": b["window"], "name": f"来电{n}", "phone": f"1370000{n:04d}"})


CLUES = """线索编号,投诉人,联系电话,被投诉单位,所在区县,问题类别,涉及人数,拖欠金额,诉求内容
WX-2026-0001,周一,13800000001,某劳务公司,历下区,欠薪,5,"42,000",工地停工两个月未发工资
WX-2026-0002,吴二,13800000001,某餐饮公司,,社保,,,未缴社会保险
WX-2026-0003,郑三,13800000001,某建筑公司,市中区,欠薪,12,,
"""


async def test_clues_from_another_platform_are_imported_once_keeping_their_numbers(api: Api) -> None:
    b = await bureau(api)
    url = f"/api/complaints/import?channel={b['city']}&source=12345"
    done = await api.ok("POST", url, 201, headers={**b["li"], "Content-Type": "text/csv"},
                        data=CLUES.encode("gb18030"))  # as Excel in Chinese saves it
    assert len(done["filed"]) == 3 and done["skipped"] == []
    lixia = await api.ok("GET", "/api/complaints", headers=b["zhao"])
    assert [(c["external_ref"], c["name"], c["amount"], c["category"]) for c in lixia] == [
        ("12345:WX-2026-0001", "周一", 42000, "wages")]
    city = await api.ok("GET", "/api/complaints", headers=b["li"])
    assert [c["external_ref"] for c in city] == ["12345:WX-2026-0002"]  # no district: the channel's unit
    full = await api.ok("GET", f"/api/complaints/{city[0]['id']}", headers=b["li"])
    assert full["history"][0]["action"] == "complaint_received" and full["files"][0]["kind"] == "form"
    again = await api.ok("POST", url, 201, headers={**b["li"], "Content-Type": "text/csv"}, data=CLUES.encode())
    assert again == {"filed": [], "skipped": ["WX-2026-0001", "WX-2026-0002", "WX-2026-0003"]}
    bad = CLUES.replace("WX-2026-0003,郑三,13800000001", "WX-2026-0004,郑三,电话不详")
    status, got = await api.call("POST", url.replace("12345", "wage-clues"), headers=b["li"], data=bad.encode())
    assert status == 400 and got["error"] == "import_invalid" and "Line 4" in got["message"], got
    assert len(await api.ok("GET", "/api/complaints", headers=b["li"])) == 1  # nothing of that file filed
    for query, code in ((f"channel={b['city']}", 400), (f"channel={b['lixia']}&source=x", 403),
                        ("channel=nope&source=x", 404)):
        status, got = await api.call("POST", f"/api/complaints/import?{query}", headers=b["li"], data=CLUES.encode())
        assert status == code, (query, got)
    status, got = await api.call("POST", url, headers=b["li"], data="名字,电话\n张三,1\n".encode())
    assert status == 400 and "no column for number" in got["message"]
