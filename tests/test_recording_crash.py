"""A server killed with SIGKILL in the middle of a call: its next start finishes the torn
segments in its spool, stores them, and seals each recording as interrupted."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp

from tests.support.api import PASSWORD
from tests.support.proc import env_for, free_port, run, start_server, wait_until_gone
from tests.support.rtc import RtcClient
from tests.test_recording import sent

FRAME_S = {"video": 1 / 30, "audio": 0.02}


@dataclass
class Killed:
    """A server killed 8 s into a call between an inspector and a worker."""

    data: Path
    env: dict[str, str]
    port: int
    log: Path
    auth: dict[str, str]
    interview_id: str
    sent: dict[str, dict[str, int]]  # frames each participant had sent, by kind
    at: float


async def test_sigkill_mid_call_loses_at_most_the_last_seconds(tmp_path: Path) -> None:
    killed = await _call_then_kill(tmp_path)
    recordings = await _restart_and_check(killed)
    for rec in recordings:
        # The torn segment each track was writing is kept, cut at its last whole block;
        # so is a closed one not yet renamed or chained when the kill came (a busy machine).
        recovered = [s["recovered"] for s in rec["segments"]]
        tail = len(recovered) - recovered.index(True) if True in recovered else 0
        assert 1 <= tail <= 3 and recovered == [False] * (len(recovered) - tail) + [True] * tail, recovered


async def test_a_kill_between_rename_and_sidecar_or_between_removals_loses_nothing(
        tmp_path: Path) -> None:
    """The kill lands in the narrow windows of the spool's bookkeeping, for one track: its
    last segment renamed to its place in the chain but its sidecar not yet written (half
    of it in a .tmp file), and the sidecar of a stored segment left behind by a removal
    cut short. The renamed segment is chained, stored and kept; the rest is cleared."""
    killed = await _call_then_kill(tmp_path)
    with sqlite3.connect(killed.data / "zeromeet.sqlite3") as db:
        rec_id, stored = db.execute(
            "SELECT id, segment_count FROM recordings WHERE kind = 'video' AND segment_count > 0"
            " ORDER BY id LIMIT 1").fetchone()
    directory = killed.data / "spool" / rec_id
    opened = sorted(directory.glob("open-*.webm"))
    assert opened, list(directory.iterdir())
    chained = [int(p.stem) for p in directory.glob("[0-9]*.json")]
    renamed_seq = max([stored, *chained]) + 1
    renamed = directory / f"{renamed_seq:06d}.webm"
    opened[0].rename(renamed)
    renamed_bytes = renamed.stat().st_size
    (directory / f"{renamed_seq:06d}.json.tmp").write_text('{"seq": ')
    assert not (directory / "000001.webm").exists()  # stored and removed long ago
    (directory / "000001.json").write_text('{"seq": 1}')

    recordings = await _restart_and_check(killed)
    rec = next(r for r in recordings if r["id"] == rec_id)
    kept = next(s for s in rec["segments"] if s["seq"] == renamed_seq)
    assert kept["recovered"] and 0 < kept["size"] <= renamed_bytes, kept


async def _call_then_kill(tmp_path: Path) -> Killed:
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
    return Killed(data, env, port, log, auth, interview_id, before, killed_at)


async def _restart_and_check(killed: Killed) -> list[dict]:
    """Start again; every recording is sealed as interrupted, keeps all but the last
    seconds, verifies, and the spool is empty. Returns the recordings in detail."""
    base = f"http://127.0.0.1:{killed.port}"
    auth = killed.auth
    server = start_server(killed.env, killed.port, log=killed.log)
    details = []
    async with aiohttp.ClientSession() as http:
        try:
            recordings = await _wait_sealed(http, base, auth, killed.interview_id)
            assert len(recordings) == 4
            for rec in recordings:
                assert rec["state"] == "interrupted", rec
                detail = await _get(http, f"{base}/api/recordings/{rec['id']}", auth)
                assert [s["seq"] for s in detail["segments"]] == list(
                    range(1, len(detail["segments"]) + 1))
                frames = sum(s["frames"] for s in detail["segments"])
                sent_s = killed.sent[rec["participant"]["id"]][rec["kind"]] * FRAME_S[rec["kind"]]
                kept_s = frames * FRAME_S[rec["kind"]]
                assert kept_s >= sent_s - 3, (rec["kind"], kept_s, sent_s)
                interrupted = datetime.fromisoformat(detail["interrupted_at"]).timestamp()
                assert killed.at - 3 <= interrupted <= killed.at + 0.5
                async with http.post(f"{base}/api/recordings/{rec['id']}/verify", headers=auth) as resp:
                    verified = await resp.json()
                assert verified["ok"], verified
                details.append(detail)
        finally:
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=30) == 0, killed.log.read_text()[-3000:]
    left = sorted(str(p.relative_to(killed.data)) for p in (killed.data / "spool").rglob("*"))
    assert left == [], f"the spool should be empty once all is stored: {left}"
    return details


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
