"""The record's header through the API: the officers' 执法证号 from their accounts, the
header fields an inspector fills in, the bureau's rule of two officers before signing,
and what the party reads. Real SeaweedFS and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.appkeys import SESSIONS, STORE
from server.db.models import Connection, Interview, User
from server.records import write_version
from server.services import records
from server.settings import Settings
from tests.support.api import Api, bearer
from transcription.record import build_draft

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(record_officers=2)


async def drafted(api: Api) -> tuple[dict[str, str], str, dict, dict[str, str]]:
    """A Chinese draft naming one officer, as the transcription job writes it."""
    wang, case, interview = await api.setup_case()
    invitation = await api.invite(wang, interview["id"], name="李工人")
    async with api.app[SESSIONS]() as session:
        row = await session.get(Interview, interview["id"])
    now = datetime.now(UTC)
    draft = build_draft(
        interview_id=row.id, case_id=row.case_id, language="zh", case_number=case["number"],
        case_title=case["title"], employer=case["employer"], started_at=now - timedelta(minutes=5),
        ended_at=now, inspectors=[("王检查", "37010020261234")], interviewees=[("李工人", "worker")],
        turns=[{"speaker": "王检查", "role": "inspector", "start": 0, "end": 2, "text": "你在这里干了多久？"},
               {"speaker": "李工人", "role": "worker", "start": 2, "end": 4, "text": "两年。"}])
    await write_version(api.app[SESSIONS], api.app[STORE], row, draft, number=1, based_on=None,
                        author_id=None)
    return wang, f"/api/interviews/{interview['id']}/record", invitation, bearer(invitation["token"])


async def test_two_officers_with_numbers_before_a_record_is_signed(api: Api) -> None:
    wang, path, invitation, worker = await drafted(api)
    send = {"invitation_id": invitation["id"]}
    status, body = await api.call("POST", f"{path}/send", headers=wang, json=send)
    assert (status, body["error"]) == (409, "officers_missing"), body
    record = await api.ok("GET", path, headers=wang)
    turns = [{k: t[k] for k in ("speaker", "role", "kind", "start", "end", "text")} for t in record["turns"]]
    header = {"inspectors": [{"name": "王检查", "badge": "37010020261234"},
                             {"name": "张监察", "badge": "37010020265678"}],
              "recorder": "张监察",
              "interviewees": [{"id_type": "居民身份证", "id_number": "370102199001011234",
                                "phone": "13812345678", "address": "济南市历下区某某路1号"}]}
    status, body = await api.call("POST", f"{path}/versions", headers=wang,
                                  json={"based_on": 1, "turns": turns, "header": {"case_title": "x"}})
    assert (status, body["error"]) == (400, "invalid_record") and "case_title" in body["message"]
    saved = await api.ok("POST", f"{path}/versions", 201, headers=wang,
                         json={"based_on": 1, "turns": turns, "header": header})
    assert saved["header"]["recorder"] == "张监察" and saved["header"]["time_zone"] == "Asia/Shanghai"
    await api.ok("POST", f"{path}/send", 201, headers=wang, json=send)
    shown = (await api.ok("GET", "/api/invitation/record", headers=worker))["text"]
    for line in ("询问人：王检查（执法证号：37010020261234）、张监察（执法证号：37010020265678）",
                 "记录人：张监察", "证件：居民身份证 370102199001011234", "联系电话：13812345678",
                 "住址：济南市历下区某某路1号"):
        assert f"\n{line}\n" in shown, line
    assert "相符" not in shown  # the formula stands beside the signature only


async def test_the_draft_names_each_officer_with_the_number_of_their_account(api: Api) -> None:
    await api.user("root", "admin")
    root = await api.login("root")
    wang, _, interview = await api.setup_case()
    answer = await api.ok("POST", "/api/admin/users/wang/badge", headers=root,
                          json={"badge_number": " 37010020261234 "})
    assert answer["badge_number"] == "37010020261234"
    status, body = await api.call("POST", "/api/admin/users/wang/badge", headers=root,
                                  json={"badge_number": "x" * 33})
    assert (status, body["error"]) == (400, "invalid_badge")
    assert (await api.call("POST", "/api/admin/users/wang/badge", headers=wang,
                           json={"badge_number": "1"}))[0] == 403
    async with api.app[SESSIONS]() as session, session.begin():  # as the room writes them
        user_id = await session.scalar(select(User.id).where(User.username == "wang"))
        session.add(Connection(interview_id=interview["id"], participant_id="p1", user_id=user_id,
                               name="Wang", role="inspector", node="test"))
    async with api.app[SESSIONS]() as session:
        facts = await records.header_facts(session, await session.get(Interview, interview["id"]))
    assert facts["inspectors"] == [("Wang", "37010020261234")]
