"""The log of a real `zeromeet serve` that transcribes a call and renders its record: every
line is JSON, the transcription worker's included; none carries the spoken words; library
chatter stays below INFO; a stop leaves no leaked semaphore behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from yarl import URL

from tests.support.api import PASSWORD, Api
from tests.support.conversation import converse
from tests.support.proc import env_for, free_port, run, start_server
from tests.support.rooms import Interview

LINES = [
    ("inspector", "Please tell me your name."),
    ("worker", "My name is Li Ming."),
    ("inspector", "Thank you for watching."),  # a subtitle credit: the filters drop it
]
SPOKEN = ("tell me your", "li ming", "for watching")  # lower case
CHATTY = ("fontTools", "faster_whisper", "aioice")


@dataclass
class Served:
    proc: subprocess.Popen
    port: int
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def read_stderr(self) -> None:
        """Collect stderr until every process writing to it has closed it: the server, its
        worker and multiprocessing's resource tracker, which warns only once the server is
        gone."""
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stderr),
                                        daemon=True)
        self._reader.start()

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(60)
        assert self._reader is not None
        self._reader.join(30)
        return code


class RemoteClient:
    """What `Api` and `Interview` use of aiohttp's TestClient, for a server in another
    process."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, URL(base)
        self.server = SimpleNamespace(app=None)

    def make_url(self, path: str) -> URL:
        return self.base.join(URL(path))

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.http.request(method, self.make_url(path), **kwargs)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    # Both worker processes, as a server runs by default: live listening and the job.
    env = env_for(tmp_path / "data", ZEROMEET_TRANSCRIBE="1", ZEROMEET_LIVE_CAPTIONS="1",
                  ZEROMEET_WHISPER_MODEL="tiny.en", ZEROMEET_WHISPER_THREADS="2")
    added = run(["user", "add", "--role", "inspector", "--username", "wang", "--password-stdin"],
                env, PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    port = free_port()
    server = Served(start_server(env, port), port)
    server.read_stderr()
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(30)


@pytest.fixture
async def remote_room(served: Served) -> AsyncIterator[Interview]:
    async with aiohttp.ClientSession() as http:
        api = Api(RemoteClient(http, f"http://127.0.0.1:{served.port}/"))
        room = Interview(api)
        room.staff = await api.login("wang")
        room.case = await api.case(room.staff)
        try:
            yield room
        finally:
            await room.close()


async def test_a_transcribing_server_logs_json_without_the_spoken_words(
        served: Served, remote_room: Interview) -> None:
    room = remote_room
    conv = await converse(room, LINES, voice="en", language="en", wait=240)
    assert conv.record["status"] == "draft", conv.record["job"]
    assert any(m["type"] == "caption" for m in conv.messages["inspector"])  # live listening ran
    async with room.api.client.request("GET", f"/api/interviews/{room.id}/record.pdf",
                                       headers=room.staff) as resp:
        assert resp.status == 200 and (await resp.read()).startswith(b"%PDF")
    assert served.stop() == 0
    assert not problems(served.lines), "\n".join(problems(served.lines))


def problems(lines: list[str]) -> list[str]:
    """Everything wrong with a server's log, all of it, so that one run shows each fault."""
    found, entries = [], []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:
            found.append(f"not JSON: {line.rstrip()[:200]}")
    text = "".join(lines).lower()
    found += [f"the spoken words {words!r} are in the log" for words in SPOKEN if words in text]
    chatter = Counter(e["logger"] for e in entries if e.get("logger", "").split(".")[0] in CHATTY
                      and e.get("level") in ("debug", "info"))
    found += [f"library chatter: {count} lines of {name}" for name, count in chatter.items()]
    if "leaked semaphore" in text:
        found.append("multiprocessing warned of leaked semaphores at the stop")
    dropped = [e for e in entries if e.get("msg") == "transcription dropped a piece"]
    if not any(e.get("reason") == "junk_phrase" and e.get("chars", 0) > 0 for e in dropped):
        found.append(f"no JSON line for the dropped subtitle credit (dropped: {dropped})")
    return found


# The runner's own worker pool, stopped as a server's stop stops it: the worker is sent
# SIGTERM, busy or not, so that a stop never waits for a Whisper call.
STOP_A_WORKER = """
import asyncio, sys, time
import concurrent.futures.process
import numpy as np
from server.settings import Settings
from server.transcribe.runner import TranscriptionRunner
from transcription import pipeline

def slow_wakeup(self):  # how a loaded machine schedules the exit hook: late
    if not self._closed:
        time.sleep(0.2)
        self._writer.send_bytes(b"")

if __name__ == "__main__":
    concurrent.futures.process._ThreadWakeup.wakeup = slow_wakeup
    settings = Settings(data_dir=sys.argv[1], database_url="", whisper_model="tiny.en",
                        whisper_threads=1)
    runner = TranscriptionRunner(settings=settings, sessions=None, store=None)
    pool = asyncio.run(runner._ensure_pool("en"))
    silence = pipeline.Speech(0.0, 1.0, 0, 0, 0, np.zeros(16_000, np.float32))
    assert pool.submit(pipeline.worker_transcribe, silence, "en").result().reason == "empty"
    runner._stop_pool()
"""


def test_a_stopped_transcription_worker_leaves_no_semaphore_and_logs_json(tmp_path: Path) -> None:
    """faster-whisper's (disabled) progress bar made tqdm create a named semaphore in the
    worker, which a terminated worker never unlinked: multiprocessing's resource tracker
    then warned of it when the server exited. And a pool stopped without waiting for its
    manager thread could close its wake-up pipe while the exit hook wrote to it ("Exception
    ignored in: <module 'threading'>"); the hook is slowed here to make that race sure."""
    done = subprocess.run([sys.executable, "-c", STOP_A_WORKER, str(tmp_path)], check=False,
                          cwd=Path(__file__).parents[1], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "leaked semaphore" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert [json.loads(line)["msg"] for line in lines] == ["transcription dropped a piece"]
