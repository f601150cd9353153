"""A server killed with SIGKILL in the middle of a call: its next start finishes the torn
segments in its spool, stores them, and seals each recording as interrupted."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import datetime
from pathlib import Path

import aiohttp

from tests.support.api import PASSWORD
from tests.support.proc import env_for, free_port, run, start_server, wait_until_gone
from tests.support.rtc import RtcClient
from tests.test_recording import sent

FRAME_S = {"video": 1 / 30, "audio": 0.02}


async def test_sigkill_mid_call_loses_at_most_the_last_seconds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = env_for(data)
    assert run(["user", "add", "--role", "inspector", "--username", "wang", "--password-stdin"],
               env, PASSWORD + "\n").returncode == 0
    port, log = free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, log=log)
    clients: list[RtcClient] = []
    async with aiohttp.ClientSession() as http:
        try:
            auth, interview_id, token = await _interview(http, base)
            inspector = RtcClient(base, interview_id, auth["Authorization"].split()[1], label=1)
            worker = RtcClient(base, interview_id, token, label=2)
            clients += [inspector, worker]
            for client in clients:
                await client.connect()
            await worker.wait_for(lambda c: c.received.get(inspector.you, {}).get("video") is not None)
            await asyncio.sleep(8)
            before = {c.you: sent(c) for c in clients}
            killed_at = time.time()
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=10)
        finally:
            await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
            if server.poll() is None:
                server.kill()
        assert wait_until_gone(str(data)) == []

        server = start_server(env, port, log=log)
        try:
            recordings = await _wait_sealed(http, base, auth, interview_id)
            assert len(recordings) == 4
            for rec in recordings:
                assert rec["state"] == "interrupted", rec
                detail = await _get(http, f"{base}/api/recordings/{rec['id']}", auth)
                frames = sum(s["frames"] for s in detail["segments"])
                sent_s = before[rec["participant"]["id"]][rec["kind"]] * FRAME_S[rec["kind"]]
                kept_s = frames * FRAME_S[rec["kind"]]
                assert kept_s >= sent_s - 3, (rec["kind"], kept_s, sent_s)
                # The torn segment each track was writing is kept, cut at its last whole block;
                # so is a closed one still waiting in the spool for the store (a busy machine).
                recovered = [s["recovered"] for s in detail["segments"]]
                tail = len(recovered) - recovered.index(True) if True in recovered else 0
                assert 1 <= tail <= 2 and recovered == [False] * (len(recovered) - tail) + [True] * tail, recovered
                interrupted = datetime.fromisoformat(detail["interrupted_at"]).timestamp()
                assert killed_at - 3 <= interrupted <= killed_at + 0.5
                async with http.post(f"{base}/api/recordings/{rec['id']}/verify", headers=auth) as resp:
                    verified = await resp.json()
                assert verified["ok"], verified
        finally:
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0, log.read_text()[-3000:]
    assert not any((data / "spool").iterdir()), "the spool should be empty once all is stored"


async def _get(http: aiohttp.ClientSession, url: str, auth: dict[str, str]) -> dict:
    async with http.get(url, headers=auth) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def _interview(http: aiohttp.ClientSession, base: str) -> tuple[dict[str, str], str, str]:
    async with http.post(f"{base}/api/login", json={"username": "wang", "password": PASSWORD}) as resp:
        auth = {"Authorization": f"Bearer {(await resp.json())['token']}"}
    async with http.post(f"{base}/api/cases", json={"title": "欠薪"}, headers=auth) as resp:
        case = await resp.json()
    async with http.post(f"{base}/api/cases/{case['id']}/interviews", json={}, headers=auth) as resp:
        interview = await resp.json()
    async with http.post(f"{base}/api/interviews/{interview['id']}/invites",
                         json={"name": "张三", "role": "worker"}, headers=auth) as resp:
        invitation = await resp.json()
    return auth, interview["id"], invitation["token"]


async def _wait_sealed(http: aiohttp.ClientSession, base: str, auth: dict[str, str],
                       interview_id: str, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        detail = await _get(http, f"{base}/api/interviews/{interview_id}", auth)
        recordings = detail["recordings"]
        if recordings and all(r["state"] != "recording" for r in recordings):
            return recordings
        assert time.monotonic() < deadline, recordings
        await asyncio.sleep(0.5)
