"""Interviews and invitations: links, tokens, expiry, revocation."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from server.app import create_app
from server.settings import Settings

from server.appkeys import SESSIONS
from server.db.models import Invitation
from server.db.types import utcnow
from tests.support.api import Api, bearer


async def test_interview_defaults_and_detail(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    assert interview["language"] == "zh" and interview["state"] == "scheduled"
    assert interview["case_id"] == case["id"]
    english = await api.interview(wang, case["id"], title="Witness", language="en",
                                  scheduled_for="2026-12-01T09:30:00+08:00")
    assert english["language"] == "en" and english["scheduled_for"].startswith("2026-12-01T01:30:00")
    detail = await api.ok("GET", f"/api/interviews/{interview['id']}", headers=wang)
    assert detail["participants"] == [] and detail["recordings"] == []
    listed = await api.ok("GET", f"/api/cases/{case['id']}/interviews", headers=wang)
    assert [i["id"] for i in listed] == [interview["id"], english["id"]]


async def test_invitation_link_carries_a_strong_token_stored_hashed(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    made = await api.invite(wang, interview["id"], name="张三", role="worker")
    token = made["token"]
    assert made["url"].endswith(f"/j/{token}") and urlsplit(made["url"]).scheme == "http"
    assert len(base64.urlsafe_b64decode(token[4:] + "==")) * 8 >= 128
    expires = made["expires_at"]
    assert timedelta(hours=23) < _parse(expires) - utcnow() <= timedelta(hours=24)
    async with api.app[SESSIONS]() as session:
        stored = (await session.scalars(select(Invitation.token_hash))).all()
    assert token not in stored[0] and len(stored[0]) == 64
    listed = await api.ok("GET", f"/api/interviews/{interview['id']}/invites", headers=wang)
    assert listed[0]["state"] == "active" and "token" not in listed[0] and "url" not in listed[0]
    detail = await api.ok("GET", f"/api/interviews/{interview['id']}", headers=wang)
    assert [(p["name"], p["role"], p["connected"]) for p in detail["participants"]] == [("张三", "worker", False)]


async def test_party_sees_its_own_invitation_and_its_use_is_recorded(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    made = await api.invite(wang, interview["id"], name="李四", role="witness")
    own = await api.ok("GET", "/api/invitation", headers=bearer(made["token"]))
    assert own["name"] == "李四" and own["role"] == "witness"
    # The case's id is what the join page uploads evidence to; its title (an internal
    # note) is not for the parties.
    assert own["case"] == {"id": case["id"], "number": case["number"]}
    assert case["title"] not in str(own)
    assert own["interview"]["id"] == interview["id"]
    listed = await api.ok("GET", f"/api/interviews/{interview['id']}/invites", headers=wang)
    assert listed[0]["used_at"] is not None


async def test_revoked_and_expired_links_are_refused_clearly(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    revoked = await api.invite(wang, interview["id"], name="甲")
    expired = await api.invite(wang, interview["id"], name="乙", role="employer")
    after = await api.ok("POST", f"/api/invites/{revoked['id']}/revoke", headers=wang)
    assert after["state"] == "revoked"
    async with api.app[SESSIONS]() as session, session.begin():
        await session.execute(update(Invitation).where(Invitation.id == expired["id"])
                              .values(expires_at=utcnow() - timedelta(minutes=1)))
    status, body = await api.call("GET", "/api/invitation", headers=bearer(revoked["token"]))
    assert (status, body["error"]) == (410, "invitation_revoked")
    status, body = await api.call("GET", "/api/invitation", headers=bearer(expired["token"]))
    assert (status, body["error"]) == (410, "invitation_expired")
    status, body = await api.call("GET", "/api/invitation", headers=bearer("zmi_" + "A" * 43))
    assert (status, body["error"]) == (401, "invitation_invalid")
    states = {i["name"]: i["state"] for i in
              await api.ok("GET", f"/api/interviews/{interview['id']}/invites", headers=wang)}
    assert states == {"甲": "revoked", "乙": "expired"}


async def test_only_inspectors_on_the_case_revoke(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    made = await api.invite(wang, interview["id"])
    zhao = await api.staff("zhao")
    assert (await api.call("POST", f"/api/invites/{made['id']}/revoke", headers=zhao))[0] == 404
    assert (await api.call("POST", f"/api/invites/{made['id']}/revoke",
                           headers=bearer(made["token"])))[0] == 403
    assert (await api.call("POST", "/api/invites/not-an-id/revoke", headers=wang))[0] == 404


async def test_ending_an_interview(api: Api) -> None:
    wang, case, interview = await api.setup_case()
    ended = await api.ok("POST", f"/api/interviews/{interview['id']}/end", headers=wang)
    assert ended["state"] == "ended" and ended["ended_at"] is not None
    status, body = await api.call("POST", f"/api/interviews/{interview['id']}/end", headers=wang)
    assert (status, body["error"]) == (409, "interview_ended")
    status, body = await api.call("POST", f"/api/interviews/{interview['id']}/invites",
                                  headers=wang, json={"name": "迟到", "role": "worker"})
    assert (status, body["error"]) == (409, "interview_ended")


async def test_public_url_setting_shapes_the_link(settings: Settings) -> None:
    app = create_app(settings.with_(public_url="https://meet.example.gov.cn/"))
    async with TestClient(TestServer(app)) as client:
        api = Api(client)
        wang, case, interview = await api.setup_case()
        made = await api.invite(wang, interview["id"])
    assert made["url"] == f"https://meet.example.gov.cn/j/{made['token']}"


def _parse(value: str):  # noqa: ANN202
    from datetime import datetime

    return datetime.fromisoformat(value)
