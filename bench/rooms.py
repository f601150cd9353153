"""The live-interview benchmark: N concurrent 1:1 interviews through a real `zeromeet serve`.

    .venv/bin/python bench/rooms.py                # --sizes 1,2,4,8 --seconds 20
    .venv/bin/python bench/rooms.py --quick        # ~1 minute smoke run

For every N a fresh server is started (its own data dir, its own embedded SeaweedFS), an
inspector account is created with `zeromeet user add`, and the HTTP API makes one case,
N interviews and one worker invitation per interview. Then 2N synthetic aiortc parties
(tests/support/rtc.py: a 640×480 ~30 fps test pattern and Opus audio looped from a WAV
file) join, one inspector and one worker per interview.

The parties run in two client processes — every inspector in one, every worker in the
other — so each side of an interview encodes and decodes on its own event loop and the
client side can use both cores. On a 2-core machine the clients and the server compete
for the same cores; the table therefore also shows client CPU, the machine's total busy
CPU and the sent frame rate, so a reader can see when the numbers are client-bound.

Measured per N, over a window that opens after every party receives video plus a warm-up:
server CPU (utime+stime of the server process from /proc, all its threads), server RSS
(VmRSS, averaged over the window, above the same server's idle RSS before any party
joined), delivered video frames and audio packets (received by the other party / sent),
received video fps. The server records nothing (recording does not exist yet), so this is
the cost of forwarding alone. The `weed` process is measured separately and not counted.

The first row (skip it with --no-solo) is one inspector alone: its media is received and
decoded but forwarded to nobody, which separates the receive cost from the forward cost.

Each party's end state is kept in the JSON (senders started or not, connection state,
socket); the notes column flags rows where connections closed during the run (under CPU
starvation aioice's consent checks expire) or where a party's senders never started.

Results go to stdout as Markdown and to bench/out/rooms-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.proc import env_for, free_port, processes_using  # noqa: E402

ZEROMEET = str(Path(sys.executable).with_name("zeromeet"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PASSWORD = "bench-password-0123"
OUT_DIR = ROOT / "bench" / "out"


# ---------------------------------------------------------------- measurement helpers

def proc_cpu_seconds(pid: int) -> float:
    """utime+stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies over all cores, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user/nice
    return total - idle, total


class CpuMeter:
    """CPU used by a set of pids and by the whole machine between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids

    def _read(self) -> tuple[float, dict[str, float], tuple[float, float]]:
        per: dict[str, float] = {}
        for name, pids in self.pids.items():
            total = 0.0
            for pid in pids:
                try:
                    total += proc_cpu_seconds(pid)
                except OSError:
                    pass
            per[name] = total
        return time.monotonic(), per, machine_cpu()

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, float]:
        """Cores used over the interval: each name, plus `machine` and `seconds`."""
        t1, per1, (busy1, total1) = self._read()
        t0, per0, (busy0, total0) = self._start
        seconds = t1 - t0
        cores = {name: (per1[name] - per0[name]) / seconds for name in per1}
        ncpu = os.cpu_count() or 1
        cores["machine"] = (busy1 - busy0) / max(1, total1 - total0) * ncpu
        cores["seconds"] = seconds
        return cores


# ---------------------------------------------------------------- audio file

def write_speechlike_wav(path: Path, seconds: float = 10.0, rate: int = 48000) -> None:
    """A mono 16-bit WAV: voiced harmonics with a wandering pitch, syllable-like bursts and pauses."""
    import numpy as np

    n = int(seconds * rate)
    t = np.arange(n) / rate
    pitch = 140 + 30 * np.sin(2 * math.pi * 0.7 * t) + 15 * np.sin(2 * math.pi * 2.3 * t)
    phase = 2 * math.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = np.clip(np.sin(2 * math.pi * 3.5 * t), 0, None) ** 0.5
    pauses = (np.sin(2 * math.pi * 0.3 * t) > -0.6).astype(float)
    noise = np.random.default_rng(7).normal(0, 0.05, n)
    signal_ = (voice * 0.25 + noise) * syllables * pauses
    pcm = (np.clip(signal_, -1, 1) * 0.5 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


# ---------------------------------------------------------------- client processes

def client_process(conn: Any, base_url: str, parties: list[dict[str, Any]], audio_file: str,
                   parent: int, log_path: str) -> None:
    """Runs in a spawned process: connect `parties`, then answer `snapshot` / `stop`.
    Its stderr and warnings (aiortc's included) go to `log_path`."""
    import asyncio
    import logging

    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 2)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")

    def die_with_parent() -> None:
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=die_with_parent, daemon=True).start()
    asyncio.run(_client_main(conn, base_url, parties, audio_file))


async def _client_main(conn: Any, base_url: str, parties: list[dict[str, Any]], audio_file: str) -> None:
    import asyncio

    from tests.support.rtc import RtcClient

    clients = {p["key"]: RtcClient(base_url, p["interview_id"], p["token"], label=p["label"],
                                   audio_file=audio_file) for p in parties}
    loop = asyncio.get_running_loop()
    watchers: list[asyncio.Task[None]] = []
    try:
        # One after the other: 2N simultaneous handshakes on a starved machine time out.
        failed = []
        for key, client in clients.items():
            try:
                await asyncio.wait_for(client.connect(), 45)
            except Exception as exc:  # noqa: BLE001
                failed.append(f"{key}: {exc!r}")
        if failed:
            conn.send(("error", "; ".join(failed)))
            return
        conn.send(("connected", {key: c.you for key, c in clients.items()}))
        watchers += [asyncio.create_task(_watch_unstarted_senders(c)) for c in clients.values()]
        while True:
            command = await loop.run_in_executor(None, _recv_or_stop, conn)
            if command == "snapshot":
                conn.send(("snapshot", {key: await _counts(c) for key, c in clients.items()}))
            else:
                break
    finally:
        for task in watchers:
            task.cancel()
        await asyncio.gather(*(asyncio.wait_for(c.close(), 10) for c in clients.values()),
                             return_exceptions=True)
        try:
            conn.send(("stopped", None))
        except OSError:
            pass


async def _watch_unstarted_senders(client: Any) -> None:
    """Record an aiortc race seen under load on the synthetic parties.

    When the server's renegotiation offer reaches a party while its own connection is still
    being set up, aiortc (1.16) sometimes never starts that party's senders: the connection
    says "connected" but the party sends nothing, ever (re-running aiortc's connect step
    does not help). If a sendonly sender is still unstarted 3 s after "connected", the
    transceivers' state goes to the client log once and the party is counted as `unstarted`.
    """
    import asyncio

    client.bench_unstarted = 0
    connected_since = None
    for _ in range(240):
        await asyncio.sleep(0.5)
        if client.pc.connectionState != "connected":
            continue
        connected_since = connected_since or time.monotonic()
        unstarted = [t for t in client.pc.getTransceivers() if t.direction == "sendonly"
                     and not getattr(t.sender, "_RTCRtpSender__started", True)]
        if not unstarted:
            return
        if time.monotonic() - connected_since >= 3:
            client.bench_unstarted = len(unstarted)
            remote_ice = getattr(client.pc, "_RTCPeerConnection__remoteIce", {})
            states = [(t.mid, t.kind, t.direction, t.currentDirection, t.receiver.transport.state,
                       t.receiver.transport.transport.state, t in remote_ice,
                       bool(t.receiver.transport.transport.iceGatherer.getLocalCandidates()))
                      for t in client.pc.getTransceivers()]
            print(f"{time.strftime('%X')} {client.you}: {len(unstarted)} sender(s) never started; "
                  f"(mid, kind, direction, current, dtls, ice, has remote ice, has local candidates): {states}",
                  file=sys.stderr, flush=True)
            return


def _recv_or_stop(conn: Any) -> str:
    try:
        return conn.recv()
    except (EOFError, OSError):
        return "stop"


async def _counts(client: Any) -> dict[str, Any]:
    # The party's own transceivers are the sendonly ones; a sender whose track ended has
    # track None, so look them up by transceiver, not by track.
    audio_sent, video_packets, sending = 0, 0, []
    for transceiver in client.pc.getTransceivers():
        if transceiver.direction != "sendonly":
            continue
        started = getattr(transceiver.sender, "_RTCRtpSender__started", None)
        sending.append(f"{transceiver.kind}:{'live' if transceiver.sender.track is not None else 'ended'}"
                       f":{'started' if started else 'not started'}")
        for stat in (await transceiver.sender.getStats()).values():
            if stat.type == "outbound-rtp":
                if transceiver.kind == "audio":
                    audio_sent += stat.packetsSent
                else:
                    video_packets += stat.packetsSent
    video_received = sum(r["video"].frames for r in client.received.values() if "video" in r)
    audio_received = sum(r["audio"].frames for r in client.received.values() if "audio" in r)
    return {"you": client.you, "video_sent": client.video.sent, "audio_sent": audio_sent,
            "video_received": video_received, "audio_received": audio_received,
            "video_packets_sent": video_packets, "senders": sending,
            "connection": client.pc.connectionState, "errors": len(client.errors),
            "socket": f"closed {client.ws.close_code}" if client.ws.closed else "open",
            "last_messages": [m.get("type") for m in client.messages[-3:]],
            "unstarted": getattr(client, "bench_unstarted", 0)}


class Clients:
    """The two client processes of one configuration."""

    def __init__(self, base_url: str, groups: list[list[dict[str, Any]]], audio_file: str,
                 log_prefix: Path) -> None:
        ctx = mp.get_context("spawn")
        self.procs: list[Any] = []
        self.conns: list[Any] = []
        self.logs = [Path(f"{log_prefix}-{i}.log") for i in range(len(groups))]
        for group, log in zip(groups, self.logs):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=client_process,
                               args=(theirs, base_url, group, audio_file, os.getpid(), str(log)), daemon=True)
            proc.start()
            self.procs.append(proc)
            self.conns.append(ours)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]

    def _reply(self, conn: Any, timeout: float) -> tuple[str, Any]:
        if not conn.poll(timeout):
            raise TimeoutError("a client process did not answer in time")
        return conn.recv()

    def wait_connected(self, timeout: float) -> dict[str, str]:
        ids: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        for conn in self.conns:
            kind, body = self._reply(conn, max(0.1, deadline - time.monotonic()))
            if kind != "connected":
                raise RuntimeError(f"client process failed: {body}")
            ids.update(body)
        return ids

    def snapshot(self, timeout: float = 15) -> dict[str, dict[str, Any]]:
        for conn in self.conns:
            conn.send("snapshot")
        merged: dict[str, dict[str, Any]] = {}
        for conn in self.conns:
            kind, body = self._reply(conn, timeout)
            if kind != "snapshot":
                raise RuntimeError(f"client process answered {kind}: {body}")
            merged.update(body)
        return merged

    def stop(self) -> None:
        for conn in self.conns:
            try:
                conn.send("stop")
            except OSError:
                pass
        for proc in self.procs:
            proc.join(20)
        self.kill()

    def log_tails(self, chars: int = 3000) -> list[str]:
        tails = []
        for log in self.logs:
            try:
                tails.append(log.read_text(errors="replace")[-chars:])
            except OSError:
                tails.append("")
        return tails

    def kill(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.kill()
                proc.join(5)


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = env_for(data_dir, ZEROMEET_LOG_LEVEL=os.environ.get("ZEROMEET_LOG_LEVEL", "WARNING"))
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
        self.proc = subprocess.Popen([ZEROMEET, "serve", "--port", str(self.port)], env=self.env,
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


# ---------------------------------------------------------------- one configuration

def run_size(n: int, args: argparse.Namespace, tmp: Path, audio_file: str, live: dict[str, Any],
             solo: bool = False) -> dict[str, Any]:
    """`n` interviews of two parties; `solo`: one interview with only its inspector (nothing forwarded)."""
    if live.get("abort"):
        raise RuntimeError("aborted")
    data_dir = tmp / ("server-solo" if solo else f"server-{n}")
    data_dir.mkdir()
    server = Server(data_dir)
    live["server"] = server
    clients: Clients | None = None
    row: dict[str, Any] = {"interviews": n, "parties": 1 if solo else 2 * n, "solo": solo}
    try:
        server.add_inspector()
        t0 = time.monotonic()
        server.start()
        row["server_start_s"] = round(time.monotonic() - t0, 1)
        staff_token, interviews = server.setup_interviews(n)

        # Idle baseline: the same server, set up, with nobody connected.
        time.sleep(args.settle)
        idle = CpuMeter({"server": [server.pid], "weed": server.weed_pids()})
        idle.start()
        rss_idle = []
        end = time.monotonic() + args.idle_seconds
        while time.monotonic() < end:
            rss_idle.append(proc_rss_mb(server.pid))
            time.sleep(min(0.5, max(0.0, end - time.monotonic())))
        idle_cores = idle.stop()
        row["idle"] = {"server_cpu_core_pct": 100 * idle_cores["server"],
                       "weed_cpu_core_pct": 100 * idle_cores["weed"],
                       "machine_busy_cores": idle_cores["machine"],
                       "server_rss_mb": sum(rss_idle) / len(rss_idle)}

        inspectors = [{"key": f"i{i}", "interview_id": iv["interview_id"], "token": staff_token, "label": 1}
                      for i, iv in enumerate(interviews)]
        workers = [{"key": f"w{i}", "interview_id": iv["interview_id"], "token": iv["worker_token"],
                    "label": 2 + i} for i, iv in enumerate(interviews)]
        t0 = time.monotonic()
        clients = Clients(server.base, [inspectors] if solo else [inspectors, workers], audio_file,
                          tmp / f"clients-{'solo' if solo else n}")
        live["clients"] = clients
        ids = clients.wait_connected(60 + 30 * n)
        row["connect_s"] = round(time.monotonic() - t0, 1)

        # Wait until every party receives its peer's video, then warm up.
        # Under overload some may never get there: measure anyway and say who was late.
        deadline = time.monotonic() + 30 + 5 * n
        while True:
            snap = clients.snapshot()
            if solo:  # nothing comes back: wait until it has sent a second of video
                waiting = [k for k, c in snap.items() if c["video_sent"] < 30]
            else:
                waiting = [k for k, c in snap.items() if c["video_received"] < 10 or c["audio_received"] < 10]
            if not waiting:
                break
            if time.monotonic() > deadline:
                row["not_receiving_at_start"] = {k: snap[k] for k in waiting}
                print(f"   not receiving media yet, measuring anyway: {waiting}", file=sys.stderr, flush=True)
                break
            time.sleep(0.5)
        row["all_receiving_s"] = None if waiting else round(time.monotonic() - t0, 1)
        time.sleep(args.warmup)

        # The window.
        meter = CpuMeter({"server": [server.pid], "clients": clients.pids, "weed": server.weed_pids()})
        before = clients.snapshot()
        meter.start()
        rss = []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            rss.append(proc_rss_mb(server.pid))
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        cores = meter.stop()
        after = clients.snapshot()
        rss.append(proc_rss_mb(server.pid))
        row.update(summarise(n, before, after, cores, rss, row["idle"], ids, solo))
    finally:
        if clients is not None:
            clients.stop()
            row["client_log_tails"] = clients.log_tails()
        row["stop"] = server.stop()
        row["server_log_tail"] = server.log_tail(4000)
        live.pop("server", None)
        live.pop("clients", None)
    return row


def summarise(n: int, before: dict, after: dict, cores: dict[str, float], rss: list[float],
              idle: dict[str, Any], ids: dict[str, str], solo: bool = False) -> dict[str, Any]:
    seconds = cores["seconds"]
    parties = 1 if solo else 2 * n

    def delta(key: str, field: str) -> int:
        return after[key][field] - before[key][field]

    peer = {"i0": None} if solo else {f"i{i}": f"w{i}" for i in range(n)} | {f"w{i}": f"i{i}" for i in range(n)}
    video_sent = sum(delta(k, "video_sent") for k in peer)
    video_recv = sum(delta(peer[k], "video_received") for k in peer if peer[k])
    audio_sent = sum(delta(k, "audio_sent") for k in peer)
    audio_recv = sum(delta(peer[k], "audio_received") for k in peer if peer[k])
    fps = [delta(k, "video_received") / seconds for k in peer]
    sent_fps = [delta(k, "video_sent") / seconds for k in peer]
    rss_mean = sum(rss) / len(rss)
    return {
        "window_s": seconds,
        "server_cpu_cores": cores["server"],
        "server_cpu_per_party_core_pct": 100 * cores["server"] / parties,
        "server_rss_mb": rss_mean,
        "server_rss_max_mb": max(rss),
        "server_rss_per_party_mb": (rss_mean - idle["server_rss_mb"]) / parties,
        "server_rss_vs_idle": rss_mean / idle["server_rss_mb"],
        "client_cpu_cores": cores["clients"],
        "client_cpu_per_party_core_pct": 100 * cores["clients"] / parties,
        "weed_cpu_cores": cores["weed"],
        "machine_busy_cores": cores["machine"],
        "other_load_cores": cores["machine"] - cores["server"] - cores["clients"] - cores["weed"],
        "video_sent": video_sent, "video_received": video_recv,
        "video_delivered": video_recv / video_sent if video_sent and not solo else None,
        "audio_packets_sent": audio_sent, "audio_frames_received": audio_recv,
        "audio_delivered": audio_recv / audio_sent if audio_sent and not solo else None,
        "video_fps_received_mean": sum(fps) / len(fps), "video_fps_received_min": min(fps),
        "video_fps_sent_mean": sum(sent_fps) / len(sent_fps),
        "signalling_errors": sum(after[k]["errors"] for k in after),
        "parties_detail": {k: {"id": ids.get(k), "video_sent": delta(k, "video_sent"),
                               "video_received": delta(k, "video_received"),
                               "audio_sent": delta(k, "audio_sent"),
                               "audio_received": delta(k, "audio_received"),
                               "senders_at_end": after[k]["senders"],
                               "unstarted_senders": after[k]["unstarted"],
                               "connection_at_end": after[k]["connection"],
                               "socket_at_end": after[k]["socket"],
                               "last_messages": after[k]["last_messages"]} for k in peer},
    }


# ---------------------------------------------------------------- output

def markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    ncpu = meta["cpu_count"]
    lines = [
        f"Live interviews, 640×480 test pattern ~30 fps + Opus from a WAV; {meta['seconds']:g} s window "
        f"after {meta['warmup']:g} s warm-up; {ncpu} cores; no recording.",
        "",
        "| interviews | parties | server CPU per party (% core) | server RSS per party (MB) "
        "| video delivered | audio delivered | video fps received (mean / min) | video fps sent "
        "| server CPU (cores) | client CPU (cores) | machine CPU busy (cores of "
        f"{ncpu}) | notes |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {_label(r)} | {r['parties']} | failed: {r['error'][:120]} |" + " |" * 9)
            continue
        fps = "–" if r.get("solo") else f"{r['video_fps_received_mean']:.1f} / {r['video_fps_received_min']:.1f}"
        lines.append(
            f"| {_label(r)} | {r['parties']} | {r['server_cpu_per_party_core_pct']:.1f} "
            f"| {r['server_rss_per_party_mb']:.1f} | {_pct(r['video_delivered'])} | {_pct(r['audio_delivered'])} "
            f"| {fps} "
            f"| {r['video_fps_sent_mean']:.1f} | {r['server_cpu_cores']:.2f} | {r['client_cpu_cores']:.2f} "
            f"| {r['machine_busy_cores']:.2f} | {_notes(r, ncpu)} |")
    lines += [
        "",
        "Baselines (the same server before any party joined) and the rest of the machine:",
        "",
        "| interviews | idle server CPU (% core) | idle server RSS (MB) | loaded server RSS (MB) | RSS vs idle "
        "| client CPU per party (% core) | weed CPU (% core) | other load on the machine (cores) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        if "error" in r:
            continue
        lines.append(
            f"| {_label(r)} | {r['idle']['server_cpu_core_pct']:.1f} | {r['idle']['server_rss_mb']:.0f} "
            f"| {r['server_rss_mb']:.0f} | ×{r['server_rss_vs_idle']:.2f} | {r['client_cpu_per_party_core_pct']:.1f} "
            f"| {100 * r['weed_cpu_cores']:.1f} | {r['other_load_cores']:.2f} |")
    lines += [
        "",
        "Delivered = frames (video) / packets (audio) the other party received and decoded, over those sent, "
        "in the window. Server RSS per party = (mean RSS in the window − idle RSS) / parties. "
        "Other load = machine busy − server − clients − weed (other work sharing the machine). "
        "When machine CPU busy nears the core count, or sent fps falls below 30, the numbers are client-bound.",
    ]
    return "\n".join(lines)


def _notes(row: dict[str, Any], ncpu: int) -> str:
    notes = []
    if row["machine_busy_cores"] >= 0.9 * ncpu:
        notes.append("machine saturated")
    if row["video_fps_sent_mean"] < 28:
        notes.append("clients cannot send 30 fps")
    if row["other_load_cores"] >= 0.25:
        notes.append(f"other work used {row['other_load_cores']:.1f} cores")
    if row.get("not_receiving_at_start"):
        notes.append(f"{len(row['not_receiving_at_start'])} parties without media at the start")
    ended = sum(1 for d in row["parties_detail"].values() if d["connection_at_end"] != "connected")
    if ended:
        notes.append(f"{ended} parties' connections closed by the end (ICE consent expired?)")
    unstarted = sum(1 for d in row["parties_detail"].values() if d["unstarted_senders"])
    if unstarted:
        notes.append(f"{unstarted} parties whose senders never started (aiortc race)")
    return "; ".join(notes) or "clean"


def _label(row: dict[str, Any]) -> str:
    return "1 (inspector alone: received, decoded, not forwarded)" if row.get("solo") else str(row["interviews"])


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


# ---------------------------------------------------------------- main

def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,2,4,8", help="numbers of concurrent interviews (default 1,2,4,8)")
    parser.add_argument("--seconds", type=float, default=20, help="measurement window per size")
    parser.add_argument("--warmup", type=float, default=5, help="seconds after all parties receive video")
    parser.add_argument("--idle-seconds", type=float, default=5, help="idle baseline window per server")
    parser.add_argument("--settle", type=float, default=2, help="seconds after setup before the idle window")
    parser.add_argument("--no-solo", dest="solo", action="store_false",
                        help="skip the first row: one inspector alone, whose media is received but not forwarded")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 1,2, short windows (~1 min)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="hard limit for the whole run in seconds (default: from sizes and windows)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.seconds, args.warmup, args.idle_seconds, args.settle = "1,2", 6, 2, 2, 1
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    runs = [(1, True)] * args.solo + [(n, False) for n in sizes]
    timeout = args.timeout or sum(60 + args.seconds + args.warmup + args.idle_seconds + 8 * n for n, _ in runs) + 60

    live: dict[str, Any] = {}
    scratch: list[Path] = []

    def hard_stop() -> None:
        live["abort"] = True  # run_size starts nothing more
        print(f"bench/rooms.py: over the {timeout:.0f} s limit, killing everything", file=sys.stderr, flush=True)
        for _ in range(2):  # twice: the main thread may have been starting something
            if (clients := live.get("clients")) is not None:
                clients.kill()
            if (server := live.get("server")) is not None:
                server.kill()
            time.sleep(0.5)
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)
        os._exit(2)

    watchdog = threading.Timer(timeout, hard_stop)
    watchdog.daemon = True
    watchdog.start()
    signal.signal(signal.SIGTERM, _interrupt)

    rows: list[dict[str, Any]] = []
    started = time.time()
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "sizes": sizes, "seconds": args.seconds, "warmup": args.warmup, "idle_seconds": args.idle_seconds,
            "cpu_count": os.cpu_count(), "load_before": os.getloadavg(), "python": platform.python_version(),
            "clients": "2 spawned processes: all inspectors in one, all workers in the other",
            "video": "640x480 PatternVideo ~30 fps, VP8", "audio": "Opus from a looped 48 kHz mono WAV"}
    try:
        import aiortc
        import av
        meta["aiortc"], meta["av"] = aiortc.__version__, av.__version__
    except Exception:  # noqa: BLE001
        pass
    with tempfile.TemporaryDirectory(prefix="zm-bench-") as tmpdir:
        tmp = Path(tmpdir)
        scratch.append(tmp)
        audio_file = tmp / "speech.wav"
        write_speechlike_wav(audio_file)
        try:
            for n, solo in runs:
                print(f"… {n} interview(s), {1 if solo else 2 * n} parties", file=sys.stderr, flush=True)
                try:
                    row = run_size(n, args, tmp, str(audio_file), live, solo)
                except (RuntimeError, TimeoutError, OSError) as exc:
                    row = {"interviews": n, "parties": 1 if solo else 2 * n, "solo": solo, "error": str(exc)}
                    log = tmp / f"server-{'solo' if solo else n}-server.log"
                    if log.exists():
                        row["server_log_tail"] = log.read_text(errors="replace")[-3000:]
                    print(f"   failed: {exc}", file=sys.stderr, flush=True)
                rows.append(row)
                if "error" not in row:
                    print(f"   server {row['server_cpu_cores']:.2f} cores, clients {row['client_cpu_cores']:.2f}, "
                          f"machine {row['machine_busy_cores']:.2f}; video {_pct(row['video_delivered'])}, "
                          f"audio {_pct(row['audio_delivered'])}; stop: {row['stop']}", file=sys.stderr, flush=True)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            if (clients := live.get("clients")) is not None:
                clients.kill()
            if (server := live.get("server")) is not None:
                server.kill()
    watchdog.cancel()
    meta["duration_s"] = round(time.time() - started, 1)
    meta["load_after"] = os.getloadavg()

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"rooms-{time.strftime('%Y%m%d-%H%M%S', time.localtime(started))}.json"
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2, ensure_ascii=False))
    print(markdown(rows, meta))
    print(f"\n(JSON: {out.relative_to(ROOT)}; {meta['duration_s']:.0f} s; load average before "
          f"{meta['load_before'][0]:.1f}, after {meta['load_after'][0]:.1f})")
    return 0 if rows and all("error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
