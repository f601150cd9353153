"""The HTTP server as `zeromeet serve` runs it, over raw sockets: what aiohttp answers on
its own (requests it cannot parse), what reaches the log, sockets that are idle or slow,
and clients that go away mid-answer."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.support.proc import env_for, free_port, run, start_server

PASSWORD = "correct horse battery"
TIMEOUT_S = 2  # ZEROMEET_CLIENT_TIMEOUT_SECONDS for this server; bodies get 3 × that


@dataclass
class Server:
    port: int
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log_text().splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("http-server")
    env = env_for(data, ZEROMEET_CLIENT_TIMEOUT_SECONDS=str(TIMEOUT_S))
    assert run(["user", "add", "--role", "inspector", "--username", "wang", "--password-stdin"],
               env, PASSWORD + "\n").returncode == 0
    port, log = free_port(), data / "server.log"
    proc = start_server(env, port, log=log)
    try:
        yield Server(port, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()


async def exchange(server: Server, raw: bytes, *, wait: float = 10) -> bytes:
    """Send `raw` as it is and read until the server closes or `wait` passes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(raw)
    await writer.drain()
    got = b""
    try:
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                got += chunk
    except TimeoutError:
        pass
    writer.close()
    return got


def answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize("request_bytes, code", [
    (b"GET /api/cases?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "too_long"),
    (b"GET /api/cases HTTP/1.1\r\nHost: x\r\nCookie: zm_session=zms_SECRETCOOKIE\r\n"
     b"this line has no colon\r\n\r\n", "bad_request"),
    (b"GET /api/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer zms_SECRETBEARER\x00\r\n\r\n",
     "bad_request"),
    (b"GET /api/cases HTTP/1.1\r\nHost: x\r\nX-Long: " + b"y" * 9000 + b"\r\n\r\n", "too_long"),
], ids=["long-url", "no-colon", "nul-in-authorization", "long-header"])
async def test_unparseable_requests_get_json_and_no_raw_line_is_logged(
        server: Server, request_bytes: bytes, code: str) -> None:
    status, headers, body = answer(await exchange(server, request_bytes))
    assert status == 400
    assert headers["content-type"].startswith("application/json"), headers
    assert json.loads(body)["error"] == code
    log = server.log_text()
    assert "SECRETCOOKIE" not in log and "SECRETBEARER" not in log
    assert "Traceback" not in log


@pytest.mark.parametrize("path", ["//j/zmi_TOKENA", "/J/zmi_TOKENB", "/static/../j/zmi_TOKENC",
                                  "/j//zmi_TOKEND", "/api/x/zmi_TOKENE"])
async def test_invitation_tokens_never_reach_the_log(server: Server, path: str) -> None:
    await exchange(server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    time.sleep(0.2)
    token = path.rsplit("zmi_", 1)[1]
    assert token not in server.log_text()
    assert any(line.get("msg") == "request" and "<redacted>" in line.get("path", "")
               for line in server.log_lines())


async def test_an_idle_socket_is_closed(server: Server) -> None:
    started = time.monotonic()
    assert await exchange(server, b"", wait=TIMEOUT_S * 5) == b""
    assert time.monotonic() - started < TIMEOUT_S * 3


async def test_a_slow_request_head_is_closed(server: Server) -> None:
    """Slowloris: a byte every half second, never a whole head."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    started = time.monotonic()
    closed_after = None
    for byte in b"GET /api/cases HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 100:
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            closed_after = time.monotonic() - started
            break
        if reader.at_eof() or writer.transport.is_closing():
            closed_after = time.monotonic() - started
            break
        try:
            async with asyncio.timeout(0.5):
                if await reader.read(1) == b"":
                    closed_after = time.monotonic() - started
                    break
        except TimeoutError:
            pass
        except ConnectionError:  # closed with bytes of ours unread: a reset, not an EOF
            closed_after = time.monotonic() - started
            break
    writer.close()
    assert closed_after is not None and closed_after < TIMEOUT_S * 3, closed_after


async def test_a_stalled_body_is_a_408(server: Server) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 200\r\n\r\n{\"username\": ")
    started = time.monotonic()
    async with asyncio.timeout(TIMEOUT_S * 6):
        status, headers, _ = answer(await reader.readuntil(b"\r\n\r\n"))
        body = await reader.readexactly(int(headers["content-length"]))
    writer.close()
    assert status == 408 and json.loads(body)["error"] == "request_timeout"
    assert headers.get("connection", "").lower() == "close"
    assert TIMEOUT_S * 3 - 0.5 < time.monotonic() - started < TIMEOUT_S * 5


async def test_a_client_that_leaves_mid_download_is_an_abort_not_a_500(server: Server) -> None:
    base = f"http://127.0.0.1:{server.port}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/api/login", json={"username": "wang", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{base}/api/cases", json={"title": "中断下载"}, headers=auth) as r:
            case = await r.json()
        form = aiohttp.FormData()
        form.add_field("file", b"a" * (40 * 1024 * 1024), filename="big.txt",
                       content_type="text/plain")
        async with http.post(f"{base}/api/cases/{case['id']}/evidence", data=form, headers=auth) as r:
            assert r.status == 201, await r.text()
            item = await r.json()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(f"GET /api/evidence/{item['id']}/content HTTP/1.1\r\nHost: x\r\n"
                 f"Authorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    writer.transport.abort()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done = [line for line in server.log_lines() if line.get("msg") == "request"
                and line.get("path", "").endswith(f"{item['id']}/content")]
        if done:
            break
        await asyncio.sleep(0.1)
    assert done and done[-1]["status"] is None and "aborted" in done[-1], done
    assert not [line for line in server.log_lines() if line.get("msg") == "unhandled error"]
