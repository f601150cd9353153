"""Cases: numbers, status, members, and who may see or change what."""

from __future__ import annotations

import asyncio
import io
import re

from tests.support.api import Api, bearer
from tests.support.complaints import PNG
from tests.support.databases import BOTH


async def test_inspector_creates_and_lists_a_case(api: Api) -> None:
    wang = await api.staff("wang")
    case = await api.case(wang, "拖欠工资 · 某工地")
    assert re.fullmatch(r"ZM-\d{4}-\d{6}", case["number"])
    assert case["status"] == "intake" and case["title"] == "拖欠工资 · 某工地"
    assert [m["username"] for m in case["members"]] == ["wang"]
    listed = await api.ok("GET", "/api/cases", headers=wang)
    assert [c["id"] for c in listed] == [case["id"]]
    one = await api.ok("GET", f"/api/cases/{case['id']}", headers=wang)
    assert one["number"] == case["number"] and one["interviews"] == []


@BOTH
async def test_case_numbers_are_unique_under_concurrency(api: Api) -> None:
    wang = await api.staff("wang")
    made = await asyncio.gather(*(api.case(wang, f"案件{i}") for i in range(8)))
    numbers = sorted(c["number"] for c in made)
    assert len(set(numbers)) == 8
    assert [int(n[-6:]) for n in numbers] == list(range(1, 9))


async def test_inspector_not_on_the_case_gets_404(api: Api) -> None:
    wang = await api.staff("wang")
    zhao = await api.staff("zhao")
    case = await api.case(wang)
    interview = await api.interview(wang, case["id"])
    assert await api.ok("GET", "/api/cases", headers=zhao) == []
    for method, path, body in (
        ("GET", f"/api/cases/{case['id']}", None),
        ("PATCH", f"/api/cases/{case['id']}", {"title": "x"}),
        ("POST", f"/api/cases/{case['id']}/interviews", {}),
        ("GET", f"/api/cases/{case['id']}/interviews", None),
        ("POST", f"/api/cases/{case['id']}/members", {"username": "zhao"}),
        ("GET", f"/api/interviews/{interview['id']}", None),
        ("POST", f"/api/interviews/{interview['id']}/invites", {"name": "a", "role": "worker"}),
        ("GET", f"/api/interviews/{interview['id']}/invites", None),
        ("POST", f"/api/interviews/{interview['id']}/end", None),
    ):
        status, answer = await api.call(method, path, headers=zhao, json=body)
        assert (status, answer["error"]) == (404, "not_found"), (method, path)


async def test_legal_staff_read_granted_cases_but_cannot_change_them(api: Api) -> None:
    wang = await api.staff("wang")
    li = await api.staff("li", "legal")
    case = await api.case(wang)
    interview = await api.interview(wang, case["id"])
    assert (await api.call("GET", f"/api/cases/{case['id']}", headers=li))[0] == 404
    granted = await api.ok("POST", f"/api/cases/{case['id']}/members", 201, headers=wang,
                           json={"username": "li"})
    assert granted["role"] == "legal"
    assert (await api.ok("GET", f"/api/cases/{case['id']}", headers=li))["id"] == case["id"]
    assert (await api.ok("GET", f"/api/interviews/{interview['id']}", headers=li))["id"] == interview["id"]
    for method, path, body in (
        ("POST", "/api/cases", {"title": "x"}),
        ("PATCH", f"/api/cases/{case['id']}", {"status": "closed"}),
        ("POST", f"/api/cases/{case['id']}/interviews", {}),
        ("POST", f"/api/cases/{case['id']}/members", {"username": "wang"}),
        ("POST", f"/api/interviews/{interview['id']}/invites", {"name": "a", "role": "worker"}),
        ("POST", f"/api/interviews/{interview['id']}/end", None),
    ):
        status, answer = await api.call(method, path, headers=li, json=body)
        assert (status, answer["error"]) == (403, "forbidden"), (method, path)


async def test_granting_access_checks_the_user(api: Api) -> None:
    wang = await api.staff("wang")
    await api.user("root", "admin")
    case = await api.case(wang)
    path = f"/api/cases/{case['id']}/members"
    assert (await api.call("POST", path, headers=wang, json={"username": "ghost"}))[1]["error"] == "unknown_user"
    assert (await api.call("POST", path, headers=wang, json={"username": "root"}))[0] == 400
    assert (await api.call("POST", path, headers=wang, json={"username": "wang"}))[0] == 409
    await api.user("zhao")
    await api.ok("POST", path, 201, headers=wang, json={"username": "zhao"})
    zhao = await api.login("zhao")
    assert len(await api.ok("GET", "/api/cases", headers=zhao)) == 1


async def test_status_moves_forward_only(api: Api) -> None:
    wang = await api.staff("wang")
    case = await api.case(wang)
    path = f"/api/cases/{case['id']}"
    moved = await api.ok("PATCH", path, headers=wang, json={"status": "investigating"})
    assert moved["status"] == "investigating"
    status, body = await api.call("PATCH", path, headers=wang, json={"status": "intake"})
    assert (status, body["error"]) == (409, "bad_transition")
    await api.ok("PATCH", path, headers=wang, json={"status": "closed", "description": "已结案"})
    status, _ = await api.call("PATCH", path, headers=wang, json={"status": "unknown"})
    assert status == 400


async def test_an_invitation_token_reaches_no_staff_endpoint(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    token = (await api.invite(wang, interview["id"]))["token"]
    for method, path in (
        ("GET", "/api/cases"), ("POST", "/api/cases"), ("GET", f"/api/cases/{case['id']}"),
        ("GET", f"/api/interviews/{interview['id']}"), ("POST", f"/api/interviews/{interview['id']}/end"),
        ("POST", f"/api/interviews/{interview['id']}/invites"), ("GET", "/api/me"),
    ):
        status, body = await api.call(method, path, headers=bearer(token), json={"title": "x"})
        assert (status, body["error"]) == (403, "staff_only"), (method, path)


async def test_the_case_list_is_searched_filtered_and_ordered_by_real_activity(api: Api) -> None:
    wang = await api.staff("wang")
    await api.staff("zhou")
    old = await api.case(wang, title="欠薪投诉：某建筑工地")
    busy = await api.case(wang, title="社保 100%_缴纳")
    other = await api.case(wang, title="工时")
    await api.ok("PATCH", f"/api/cases/{other['id']}", headers=wang, json={"status": "investigating"})
    await api.ok("POST", f"/api/cases/{old['id']}/members", 201, headers=wang, json={"username": "zhou"})
    # Something happens on the oldest case: it comes first, by its custody log's last step.
    await api.ok("POST", f"/api/cases/{old['id']}/evidence", 201, headers=wang,
                 data={"file": io.BytesIO(PNG)})
    listed = await api.ok("GET", "/api/cases", headers=wang)
    assert listed[0]["id"] == old["id"] and listed[0]["last_activity_at"] >= listed[1]["last_activity_at"]
    numbers = lambda found: [c["number"] for c in found]  # noqa: E731
    assert numbers(await api.ok("GET", "/api/cases?q=建筑", headers=wang)) == [old["number"]]
    assert numbers(await api.ok("GET", f"/api/cases?q={busy['number']}", headers=wang)) == [busy["number"]]
    assert numbers(await api.ok("GET", "/api/cases?q=100%25_", headers=wang)) == [busy["number"]]  # % and _ are letters
    assert numbers(await api.ok("GET", "/api/cases?q=0%25x", headers=wang)) == []
    assert numbers(await api.ok("GET", "/api/cases?status=investigating", headers=wang)) == [other["number"]]
    assert numbers(await api.ok("GET", "/api/cases?member=zhou", headers=wang)) == [old["number"]]
    assert await api.ok("GET", "/api/cases?awaiting_signature=1", headers=wang) == []
    status, got = await api.call("GET", "/api/cases?status=lost", headers=wang)
    assert status == 400 and "intake" in got["message"]
