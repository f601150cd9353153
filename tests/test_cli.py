"""The `zeromeet` command as a newcomer runs it: embedded defaults, real subprocesses."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from tests.support.proc import env_for, free_port, processes_using, run, start_server, wait_until_gone

PASSWORD = "correct horse battery"


def test_user_add_and_duplicate(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data")
    made = run(["user", "add", "--role", "inspector", "--username", "Wang",
                "--display-name", "王监察", "--password-stdin"], env, PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "wang" in made.stdout
    again = run(["user", "add", "--role", "legal", "--username", "wang", "--password-stdin"], env, PASSWORD + "\n")
    assert again.returncode == 1
    assert again.stderr.strip() == "zeromeet: User 'wang' already exists."
    short = run(["user", "add", "--role", "legal", "--username", "li", "--password-stdin"], env, "short\n")
    assert short.returncode == 1 and "at least 8" in short.stderr
    empty = run(["user", "add", "--role", "legal", "--username", "li", "--password-stdin"], env, "")
    assert empty.returncode == 2 and "No password" in empty.stderr
    bad_role = run(["user", "add", "--role", "boss", "--username", "li", "--password-stdin"], env, PASSWORD)
    assert bad_role.returncode == 2


def test_db_upgrade(tmp_path: Path) -> None:
    done = run(["db", "upgrade"], env_for(tmp_path / "data"))
    assert done.returncode == 0 and "up to date" in done.stdout
    assert (tmp_path / "data" / "zeromeet.sqlite3").exists()


@pytest.mark.parametrize("setting, value, expected", [
    ("ZEROMEET_DATABASE_URL", "mysql://root@localhost/x", "must use sqlite+aiosqlite:// or postgresql+asyncpg://"),
    ("ZEROMEET_DATABASE_URL", "postgresql://u:hunter2@127.0.0.1:1/x", "Cannot use the database at"),
    ("ZEROMEET_S3_ENDPOINT", "http://127.0.0.1:9000", "without a scheme"),
    ("ZEROMEET_WHISPER_DEVICE", "tpu", "'cpu' or 'cuda'"),
    ("ZEROMEET_S3_SECURE", "maybe", "must be 1 or 0"),
])
def test_bad_settings_are_one_clear_sentence(tmp_path: Path, setting: str, value: str, expected: str) -> None:
    env = env_for(tmp_path / "data", **{setting: value})
    done = run(["serve", "--port", str(free_port())], env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], done.stderr
    assert "hunter2" not in done.stderr
    assert processes_using(str(tmp_path)) == []


def test_unreachable_object_store_fails_fast_and_clearly(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", ZEROMEET_S3_ENDPOINT=f"127.0.0.1:{free_port()}",
                  ZEROMEET_S3_ACCESS_KEY="a", ZEROMEET_S3_SECRET_KEY="b")
    done = run(["serve", "--port", str(free_port())], env, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("zeromeet: The object store at 127.0.0.1:") and "could not be reached" in last


def test_port_in_use_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(["serve", "--port", str(port)], env_for(tmp_path / "data"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"zeromeet: Port {port} on 127.0.0.1 is already in use; choose another with --port."
    assert processes_using(str(tmp_path)) == []


async def test_serve_on_embedded_defaults_end_to_end(tmp_path: Path) -> None:
    """The run command's path: user add, serve, login, case, interview, invitation,
    then Ctrl-C leaves no weed behind; a SIGKILLed server leaves none either."""
    data = tmp_path / "data"
    env = env_for(data)
    assert run(["user", "add", "--role", "inspector", "--username", "wang", "--password-stdin"],
               env, PASSWORD + "\n").returncode == 0
    port = free_port()
    server = start_server(env, port)
    try:
        weeds = [p for p in processes_using(str(data)) if p != server.pid]
        assert weeds, "the embedded object store is not running"
        await _drive_api(f"http://127.0.0.1:{port}")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0, server.stderr.read()[-2000:]
    assert wait_until_gone(str(data)) == []
    assert (data / "seaweedfs" / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert (data / "signing-key.pem").stat().st_mode & 0o777 == 0o600

    # A server killed outright takes its store with it, and the next start is not blocked.
    server = start_server(env, port)
    server.kill()
    server.wait(timeout=10)
    assert wait_until_gone(str(data)) == []
    server = start_server(env, port)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}/api/login",
                                 json={"username": "wang", "password": PASSWORD}) as resp:
                assert resp.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    assert wait_until_gone(str(data)) == []


async def _drive_api(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/login", json={"username": "wang", "password": PASSWORD}) as resp:
            assert resp.status == 200
            auth = {"Authorization": f"Bearer {(await resp.json())['token']}"}
        async with http.post(f"{base}/api/cases", json={"title": "欠薪"}, headers=auth) as resp:
            assert resp.status == 201
            case = await resp.json()
        async with http.post(f"{base}/api/cases/{case['id']}/interviews", json={}, headers=auth) as resp:
            assert resp.status == 201
            interview = await resp.json()
        async with http.post(f"{base}/api/interviews/{interview['id']}/invites",
                             json={"name": "张三", "role": "worker"}, headers=auth) as resp:
            assert resp.status == 201
            invitation = await resp.json()
        assert invitation["url"].startswith(base + "/j/")
        async with http.get(invitation["url"]) as resp:
            assert resp.status == 200 and "text/html" in resp.headers["Content-Type"]
        async with http.get(f"{base}/api/invitation",
                            headers={"Authorization": f"Bearer {invitation['token']}"}) as resp:
            assert (await resp.json())["case"]["number"] == case["number"]
