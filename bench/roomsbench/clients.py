"""The two spawned client processes that run the synthetic aiortc parties."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

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
                                   width=640, height=480, audio_file=audio_file,
                                   cheap=p.get("cheap", False))
               for p in parties}
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
            elif command == "probe":
                delays = await asyncio.gather(*(c.keyframe_delays() for c in clients.values()))
                conn.send(("probe", dict(zip(clients, delays))))
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
    firsts = [r["video"].first_at for r in client.received.values()
              if "video" in r and r["video"].first_at is not None]
    first_video_s = min(firsts) - client.answered_at if firsts else None
    return {"you": client.you, "video_sent": client.video.sent, "audio_sent": audio_sent,
            "first_video_s": first_video_s,
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

    def keyframe_delays(self, timeout: float = 20) -> dict[str, list[float | None]]:
        """Every party asks for a keyframe on each video it receives: seconds until it came."""
        return self._ask_all("probe", timeout)

    def snapshot(self, timeout: float = 15) -> dict[str, dict[str, Any]]:
        return self._ask_all("snapshot", timeout)

    def _ask_all(self, command: str, timeout: float) -> dict[str, Any]:
        """Send `command` to every client process; their answers, merged by party."""
        for conn in self.conns:
            conn.send(command)
        merged: dict[str, Any] = {}
        for conn in self.conns:
            kind, body = self._reply(conn, timeout)
            if kind != command:
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
