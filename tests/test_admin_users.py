"""Administrators manage staff accounts through the API: list, disable, enable, reset a
password, lift a login lock; a disabled account's sessions and interview sockets end at
once. On SQLite and PostgreSQL; the room tests on SQLite."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from sqlalchemy import select

from server import live_logins
from server.appkeys import SESSIONS
from server.db.models import Connection
from server.services import staff_admin
from server.settings import Settings
from tests.support.api import PASSWORD, Api
from tests.support.rooms import Interview

NEW_PASSWORD = "a whole new secret"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_(login_max_failures=3)


async def _admin(api: Api) -> dict[str, str]:
    return await api.staff("root", "admin")


async def _login(api: Api, username: str, password: str = PASSWORD) -> tuple[int, dict]:
    return await api.call("POST", "/api/login", json={"username": username, "password": password})


async def test_only_admins_reach_the_account_api(api: Api) -> None:
    wang = await api.staff("wang")
    li = await api.staff("li", "legal")
    paths = [("GET", "/api/admin/users")] + [("POST", f"/api/admin/users/wang/{action}")
                                              for action in ("disable", "enable", "unlock", "password")]
    api.client.session.cookie_jar.clear()  # the logins' cookies would speak for them
    for method, path in paths:
        for who in (wang, li):
            status, body = await api.call(method, path, headers=who, json={"password": NEW_PASSWORD})
            assert (status, body["error"]) == (403, "admins_only"), (method, path)
        assert (await api.call(method, path))[0] == 401
    assert (await api.ok("GET", "/api/me", headers=wang))["user"]["username"] == "wang"


async def test_list_shows_role_name_state_and_last_login(api: Api) -> None:
    root = await _admin(api)
    await api.staff("wang")
    await api.user("li", "legal")
    accounts = {a["username"]: a for a in await api.ok("GET", "/api/admin/users", headers=root)}
    assert list(accounts) == ["li", "root", "wang"]
    assert accounts["wang"]["role"] == "inspector" and accounts["wang"]["display_name"] == "Wang"
    assert accounts["wang"]["state"] == "active" and accounts["wang"]["last_login_at"].endswith("+00:00")
    assert accounts["li"]["last_login_at"] is None and accounts["li"]["disabled_at"] is None


async def test_disabled_account_is_logged_out_and_told_why(api: Api) -> None:
    root = await _admin(api)
    wang = await api.staff("wang")
    cookie_login = await _login(api, "wang")
    assert cookie_login[0] == 200
    disabled = await api.ok("POST", "/api/admin/users/wang/disable", headers=root)
    assert disabled["state"] == "disabled" and disabled["disabled_at"]
    for token in (wang, {"Authorization": f"Bearer {cookie_login[1]['token']}"}):
        status, body = await api.call("GET", "/api/cases", headers=token)
        assert (status, body["error"]) == (401, "account_disabled")
        assert "disabled by an administrator" in body["message"]
    status, body = await _login(api, "wang")
    assert (status, body["error"]) == (403, "account_disabled")
    # Only someone who knows the password learns that the account exists and is disabled.
    status, body = await _login(api, "wang", "wrong password")
    assert (status, body["error"]) == (401, "bad_credentials")

    enabled = await api.ok("POST", "/api/admin/users/wang/enable", headers=root)
    assert enabled["state"] == "active" and enabled["disabled_at"] is None
    status, body = await api.call("GET", "/api/cases", headers=wang)
    assert (status, body["error"]) == (401, "session_expired")  # old sessions stay ended
    assert (await _login(api, "wang"))[0] == 200


async def test_admin_cannot_disable_themselves_and_unknown_users_are_404(api: Api) -> None:
    root = await _admin(api)
    status, body = await api.call("POST", "/api/admin/users/root/disable", headers=root)
    assert (status, body["error"]) == (409, "own_account")
    for action in ("disable", "enable", "unlock"):
        status, body = await api.call("POST", f"/api/admin/users/ghost/{action}", headers=root)
        assert (status, body["error"]) == (404, "unknown_user")
    status, _ = await api.call("POST", f"/api/admin/users/{'x' * 300}/disable", headers=root)
    assert status == 404
    assert (await api.ok("GET", "/api/me", headers=root))["user"]["role"] == "admin"


async def test_locked_account_is_shown_and_unlocked(api: Api) -> None:
    root = await _admin(api)
    await api.user("wang")
    for _ in range(3):
        assert (await _login(api, "wang", "wrong password"))[0] == 401
    assert (await _login(api, "wang"))[0] == 429
    accounts = {a["username"]: a for a in await api.ok("GET", "/api/admin/users", headers=root)}
    assert accounts["wang"]["state"] == "locked" and accounts["wang"]["failed_logins"] >= 3
    unlocked = await api.ok("POST", "/api/admin/users/wang/unlock", headers=root)
    assert unlocked["state"] == "active" and unlocked["failed_logins"] == 0
    assert (await _login(api, "wang"))[0] == 200


async def test_password_reset_ends_sessions_and_logs_no_password(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    root = await _admin(api)
    wang = await api.staff("wang")
    path = "/api/admin/users/wang/password"
    for bad in ({}, {"password": "short"}, {"password": 12345678}, {"password": NEW_PASSWORD, "x": 1}):
        assert (await api.call("POST", path, headers=root, json=bad))[0] == 400, bad
    with caplog.at_level(logging.INFO, logger="zeromeet.admin"):
        await api.ok("POST", path, headers=root, json={"password": NEW_PASSWORD})
        await api.ok("POST", "/api/admin/users/wang/disable", headers=root)
        await api.ok("POST", "/api/admin/users/wang/enable", headers=root)
        await api.ok("POST", "/api/admin/users/wang/unlock", headers=root)
    assert (await api.call("GET", "/api/me", headers=wang))[0] == 401
    assert (await _login(api, "wang"))[0] == 401
    assert (await _login(api, "wang", NEW_PASSWORD))[0] == 200

    records = [r for r in caplog.records if r.name == "zeromeet.admin"]
    assert [r.action for r in records] == ["reset-password", "disable", "enable", "unlock"]
    assert all(r.username == "wang" and r.by == "root" for r in records)
    assert records[0].sessions_revoked == 1
    logged = json.dumps([vars(r) for r in records], default=str)
    assert NEW_PASSWORD not in logged and PASSWORD not in logged


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_disabling_closes_the_inspectors_socket_at_once(
    room: Interview, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_logins, "SWEEP_S", 3600.0)  # the API's own path, not the sweep
    root = await _admin(room.api)
    inspector = await room.inspector()
    worker = await room.join((await room.invite("张三"))["token"], label=2)
    started = time.monotonic()
    await room.api.ok("POST", "/api/admin/users/wang/disable", headers=root)
    await inspector.wait_for(lambda c: c.ws.closed, timeout=5)
    assert time.monotonic() - started < 2
    refusal = next(m for m in inspector.messages if m.get("type") == "error")
    assert refusal["error"] == "account_disabled" and "administrator" in refusal["message"]
    await worker.wait_for(lambda c: any(m.get("event") == "left" and m.get("participant") == inspector.you
                                        for m in c.messages))
    # The room tells the others before it writes the connection's end (they are told first).
    deadline = time.monotonic() + 5
    while True:
        async with room.api.app[SESSIONS]() as session:
            ended = await session.scalar(select(Connection.end_reason)
                                         .where(Connection.user_id == inspector.you))
        if ended or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert ended == "account_disabled"

    with pytest.raises(ConnectionRefusedError) as refused:  # and it cannot come back
        await room.inspector()
    assert refused.value.args[0]["error"] == "account_disabled"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_change_made_outside_this_server_closes_the_socket_within_the_sweep(
    room: Interview, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `zeromeet user disable` (another process) or another server would: the database
    changes, and this server's sweep finds the connection's login ended."""
    monkeypatch.setattr(live_logins, "SWEEP_S", 0.3)
    inspector = await room.inspector()
    async with room.api.app[SESSIONS]() as session, session.begin():
        await staff_admin.disable(session, "wang", actor="cli:test")
    await inspector.wait_for(lambda c: c.ws.closed, timeout=5)
    assert [m["error"] for m in inspector.messages if m.get("type") == "error"] == ["account_disabled"]
