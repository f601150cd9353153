"""Running `zeromeet` as a real subprocess, and finding what it left behind."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

ZEROMEET = str(Path(sys.executable).with_name("zeromeet"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a `zeromeet` subprocess. Transcription and live captions
    are off unless a test turns them on: the tests (and benchmarks) that run calls here
    are about other things, and a Whisper worker would take their CPU."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEROMEET_")}
    env.update(ZEROMEET_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", ZEROMEET_TRANSCRIBE="0",
               ZEROMEET_LIVE_CAPTIONS="0")
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([ZEROMEET, *args], input=stdin, env=env, capture_output=True,
                          text=True, timeout=timeout)


def start_server(env: dict[str, str], port: int, timeout: float = 90,
                 extra: list[str] | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start `zeromeet serve` and wait for the line that says where it runs. A long run
    should pass `log`: its log then goes to that file instead of a pipe nobody empties."""
    stderr = open(log, "a") if log is not None else subprocess.PIPE  # noqa: SIM115
    proc = subprocess.Popen([ZEROMEET, "serve", "--port", str(port), *(extra or [])], env=env,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if "running at" in line:
                return proc
        if proc.poll() is not None:
            details = proc.stderr.read() if proc.stderr else log.read_text()  # type: ignore[union-attr]
            raise AssertionError(f"zeromeet exited {proc.returncode}: {details[-2000:]}")
    proc.kill()
    raise AssertionError("zeromeet did not start in time")


def processes_using(marker: str) -> list[int]:
    """PIDs whose command line mentions `marker` (e.g. a test's data dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(l for l in (entry / "status").read_text().splitlines() if l.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if marker in cmdline and "zombie" not in state:
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, timeout: float = 15) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = processes_using(marker)
        if not left:
            return []
        time.sleep(0.2)
    return processes_using(marker)
