"""`zeromeet user list | disable | enable | reset-password | unlock` as real subprocesses,
on the database of a running server (in this process), whose inspector is in a room."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from server.settings import Settings
from tests.support.api import PASSWORD
from tests.support.proc import ZEROMEET, env_for
from tests.support.rooms import Interview

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
NEW_PASSWORD = "a whole new secret"


async def zeromeet(env: dict[str, str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    # Not subprocess.run: the server and the room's peers live on this event loop.
    proc = await asyncio.create_subprocess_exec(
        ZEROMEET, *args, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    return proc.returncode, out.decode(), err.decode()


def rows(listing: str) -> dict[str, list[str]]:
    header, *lines = listing.splitlines()
    assert header == "username\trole\tdisplay name\tstate\tlast login\tbadge"
    return {line.split("\t")[0]: line.split("\t")[1:] for line in lines}


def logged(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


async def test_user_commands_on_a_live_server(room: Interview, settings: Settings, tmp_path: Path) -> None:
    env = env_for(tmp_path / "cli", ZEROMEET_DATABASE_URL=settings.database_url)
    api = room.api
    code, out, err = await zeromeet(env, "user", "add", "--role", "legal", "--username", "li",
                                    "--display-name", "李法制", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 0, err
    assert [e["action"] for e in logged(err)] == ["add"] and PASSWORD not in err
    for _ in range(10):  # the default limit: ten failures in fifteen minutes
        await api.call("POST", "/api/login", json={"username": "li", "password": "wrong password"})

    code, out, err = await zeromeet(env, "user", "list")
    assert code == 0, err
    listed = rows(out)
    assert listed["li"] == ["legal", "李法制", "locked", "never", "-"]
    assert listed["wang"][:3] == ["inspector", "Wang", "active"] and listed["wang"][3].endswith("+00:00")

    # An inspector's enforcement certificate number, which records name beside the officer.
    code, out, err = await zeromeet(env, "user", "badge", "wang", "37010020261234")
    assert code == 0 and "37010020261234" in out, err
    assert rows((await zeromeet(env, "user", "list"))[1])["wang"][4] == "37010020261234"
    code, _, err = await zeromeet(env, "user", "badge", "wang", "x" * 33)
    assert code == 1 and "at most 32" in err

    code, out, err = await zeromeet(env, "user", "unlock", "li")
    assert code == 0 and "unlocked 'li'" in out, err
    await api.ok("POST", "/api/login", json={"username": "li", "password": PASSWORD})

    inspector = await room.inspector()
    code, out, err = await zeromeet(env, "user", "disable", "wang")
    assert code == 0 and "disabled inspector 'wang'" in out, err
    (line,) = logged(err)
    assert line["action"] == "disable" and line["username"] == "wang" and line["by"].startswith("cli")
    assert line["sessions_revoked"] == 1 and line["logger"] == "zeromeet.admin"
    await inspector.wait_for(lambda c: c.ws.closed, timeout=5)  # the server's sweep, 2 s
    assert [m["error"] for m in inspector.messages if m.get("type") == "error"] == ["account_disabled"]
    status, body = await api.call("GET", "/api/cases", headers=room.staff)
    assert (status, body["error"]) == (401, "account_disabled")
    assert rows((await zeromeet(env, "user", "list"))[1])["wang"][2] == "disabled"

    assert (await zeromeet(env, "user", "enable", "wang"))[0] == 0
    code, out, err = await zeromeet(env, "user", "reset-password", "wang", "--password-stdin",
                                    stdin=NEW_PASSWORD + "\n")
    assert code == 0 and "new password set for 'wang'" in out, err
    assert NEW_PASSWORD not in err and logged(err)[0]["action"] == "reset-password"
    assert (await api.call("POST", "/api/login", json={"username": "wang", "password": PASSWORD}))[0] == 401
    await api.ok("POST", "/api/login", json={"username": "wang", "password": NEW_PASSWORD})


async def test_user_commands_refuse_clearly(settings: Settings, tmp_path: Path) -> None:
    env = env_for(tmp_path / "cli", ZEROMEET_DATABASE_URL=settings.database_url)
    for args in (["disable", "ghost"], ["enable", "ghost"], ["unlock", "ghost"]):
        code, out, err = await zeromeet(env, "user", *args)
        assert (code, err.strip()) == (1, "zeromeet: There is no account 'ghost'."), args
    reset = ["user", "reset-password", "ghost", "--password-stdin"]
    code, _, err = await zeromeet(env, *reset, stdin="short\n")
    assert code == 1 and "at least 8" in err
    code, _, err = await zeromeet(env, *reset, stdin="")
    assert code == 2 and "No password" in err
    assert (await zeromeet(env, *reset[:3]))[0] == 2  # --password-stdin is required
    code, out, _ = await zeromeet(env, "user", "list")
    assert (code, out) == (0, "username\trole\tdisplay name\tstate\tlast login\tbadge\n")
