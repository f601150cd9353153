"""One `zeromeet serve` subprocess: its inspector account, start and stop, and its HTTP API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.proc import env_for, free_port, processes_using

ZEROMEET = str(Path(sys.executable).with_name("zeromeet"))
PASSWORD = "bench-password-0123"


# ---------------------------------------------------------------- server

class Server:
    """`command` replaces `zeromeet` (e.g. a wrapper that changes how the server records)."""

    def __init__(self, data_dir: Path, command: list[str] | None = None, **env: str) -> None:
        self.data_dir = data_dir
        self.command = command or [ZEROMEET]
        self.env = env_for(data_dir, ZEROMEET_LOG_LEVEL=os.environ.get("ZEROMEET_LOG_LEVEL", "WARNING"),
                           **env)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-server.log"

    def add_inspector(self) -> None:
        made = subprocess.run([ZEROMEET, "user", "add", "--role", "inspector", "--username", "bench",
                               "--password-stdin"], input=PASSWORD + "\n", env=self.env,
                              capture_output=True, text=True, timeout=60)
        if made.returncode != 0:
            raise RuntimeError(f"user add failed: {made.stderr[-2000:]}")

    def start(self, timeout: float = 90) -> None:
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen([*self.command, "serve", "--port", str(self.port)], env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "running at" in self.log_path.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"zeromeet exited {self.proc.returncode}: {self.log_tail()}")
            time.sleep(0.2)
        raise RuntimeError("zeromeet did not start in time")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def weed_pids(self) -> list[int]:
        return [p for p in processes_using(str(self.data_dir)) if self.proc is None or p != self.proc.pid]

    def stop(self) -> dict[str, Any]:
        """SIGINT, then make sure nothing of ours (server, weed) is left."""
        result: dict[str, Any] = {"exit": None, "killed": []}
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                result["exit"] = self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                result["exit"] = self.proc.wait(10)
                result["killed"].append("server")
        elif self.proc is not None:
            result["exit"] = self.proc.returncode
        deadline = time.monotonic() + 15
        while processes_using(str(self.data_dir)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in processes_using(str(self.data_dir)):
            try:
                os.kill(pid, signal.SIGKILL)
                result["killed"].append(pid)
            except OSError:
                pass
        result["left"] = processes_using(str(self.data_dir))
        return result

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        for pid in processes_using(str(self.data_dir)):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    # -- HTTP API

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read())

    def setup_interviews(self, n: int) -> tuple[str, list[dict[str, str]]]:
        token = self.api("POST", "/api/login", {"username": "bench", "password": PASSWORD})["token"]
        case = self.api("POST", "/api/cases", {"title": f"benchmark, {n} interviews"}, token)
        made = []
        for i in range(n):
            interview = self.api("POST", f"/api/cases/{case['id']}/interviews",
                                 {"title": f"bench interview {i + 1}", "language": "zh"}, token)
            invite = self.api("POST", f"/api/interviews/{interview['id']}/invites",
                              {"name": f"worker {i + 1}", "role": "worker"}, token)
            made.append({"interview_id": interview["id"], "worker_token": invite["token"]})
        return token, made
