"""The live-interview benchmark: N concurrent 1:1 interviews through a real `zeromeet serve`.

    .venv/bin/python bench/rooms.py                # forwarding at 1,2,4,8,16; transcoding at 1,2,4
    .venv/bin/python bench/rooms.py --quick        # ~2 minute smoke run

For every N and forwarding mode a fresh server is started (its own data dir, its own
embedded SeaweedFS, `ZEROMEET_FORWARDING=packets` or `transcode`, recording every party as
always), an inspector account is created with `zeromeet user add`, and the HTTP API makes
one case, N interviews and one worker invitation per interview. Then 2N synthetic aiortc
parties join, one inspector and one worker per interview. By default they are cheap
(tests/support/rtc.py `cheap=True`): they send a pre-encoded 640×480 ~30 fps ~800 kbit/s
VP8 clip and Opus packets, and count what they receive without decoding it, so that the
server, not the clients, is what is measured. `--real-clients` makes them encode a test
pattern and decode what they receive, as the room tests do.

After the window every party asks the server for a keyframe on each video it receives
(an RTCP PLI, as a browser does after a loss) and times its arrival: the keyframe
recovery time. "First picture": in each interview, the party that joined second, from the
server's answer to its offer to its first video frame of the other.

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
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# At import time, before anything is spawned: the spawned client processes unpickle
# roomsbench.clients.client_process, and the package imports tests.support.
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from roomsbench.clients import Clients  # noqa: E402
from roomsbench.measure import CpuMeter, proc_rss_mb, write_speechlike_wav  # noqa: E402
from roomsbench.report import markdown, pct  # noqa: E402
from roomsbench.server import Server  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"


# ---------------------------------------------------------------- one configuration

def run_size(n: int, args: argparse.Namespace, tmp: Path, audio_file: str, live: dict[str, Any],
             solo: bool = False, mode: str = "packets") -> dict[str, Any]:
    """`n` interviews of two parties; `solo`: one interview with only its inspector (nothing forwarded)."""
    if live.get("abort"):
        raise RuntimeError("aborted")
    data_dir = tmp / f"server-{mode}-{'solo' if solo else n}"
    data_dir.mkdir()
    server = Server(data_dir, ZEROMEET_FORWARDING=mode)
    live["server"] = server
    clients: Clients | None = None
    row: dict[str, Any] = {"interviews": n, "parties": 1 if solo else 2 * n, "solo": solo, "mode": mode}
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

        cheap = not args.real_clients
        inspectors = [{"key": f"i{i}", "interview_id": iv["interview_id"], "token": staff_token, "label": 1,
                       "cheap": cheap} for i, iv in enumerate(interviews)]
        workers = [{"key": f"w{i}", "interview_id": iv["interview_id"], "token": iv["worker_token"],
                    "label": 2 + i, "cheap": cheap} for i, iv in enumerate(interviews)]
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
        if not solo:
            delays = [d for per in clients.keyframe_delays().values() for d in per]
            came = sorted(d for d in delays if d is not None)
            row["keyframe_recovery_s"] = {"asked": len(delays), "missing": len(delays) - len(came),
                                          "median": came[len(came) // 2] if came else None,
                                          "max": came[-1] if came else None}
            # Per interview, the party that joined second: its answer to its first picture.
            pairs = [(after.get(f"i{i}", {}).get("first_video_s"), after.get(f"w{i}", {}).get("first_video_s"))
                     for i in range(n)]
            firsts = sorted(min(p for p in pair if p is not None) for pair in pairs if any(pair))
            row["first_picture_s"] = {"median": firsts[len(firsts) // 2] if firsts else None,
                                      "max": firsts[-1] if firsts else None}
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

# ---------------------------------------------------------------- main

def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,2,4,8,16",
                        help="numbers of concurrent interviews, forwarding as received (default 1,2,4,8,16)")
    parser.add_argument("--baseline-sizes", default="1,2,4",
                        help="the same with the old decode-and-encode path (ZEROMEET_FORWARDING=transcode); "
                             "'' for none (default 1,2,4)")
    parser.add_argument("--real-clients", action="store_true",
                        help="parties that encode and decode (tests/support/rtc.py) instead of cheap ones")
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
        args.sizes, args.baseline_sizes = "1,2", "1"
        args.seconds, args.warmup, args.idle_seconds, args.settle = 6, 2, 2, 1
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    baseline = [int(s) for s in args.baseline_sizes.split(",") if s.strip()]
    runs = ([(1, True, "packets")] * args.solo + [(n, False, "packets") for n in sizes]
            + [(n, False, "transcode") for n in baseline])
    timeout = args.timeout or sum(60 + args.seconds + args.warmup + args.idle_seconds + 8 * n
                                  for n, _, _ in runs) + 60

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
            "cheap_clients": not args.real_clients,
            "video": ("640x480 PatternVideo ~30 fps, VP8" if args.real_clients
                      else "pre-encoded VP8 640x480 ~30 fps ~800 kbit/s, counted, not decoded"),
            "audio": "Opus from a looped 48 kHz mono WAV" if args.real_clients else "pre-encoded Opus 20 ms"}
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
            for n, solo, mode in runs:
                print(f"… {mode}: {n} interview(s), {1 if solo else 2 * n} parties", file=sys.stderr, flush=True)
                try:
                    row = run_size(n, args, tmp, str(audio_file), live, solo, mode)
                except (RuntimeError, TimeoutError, OSError) as exc:
                    row = {"interviews": n, "parties": 1 if solo else 2 * n, "solo": solo, "mode": mode,
                           "error": str(exc)}
                    log = tmp / f"server-{mode}-{'solo' if solo else n}-server.log"
                    if log.exists():
                        row["server_log_tail"] = log.read_text(errors="replace")[-3000:]
                    print(f"   failed: {exc}", file=sys.stderr, flush=True)
                rows.append(row)
                if "error" not in row:
                    print(f"   server {row['server_cpu_cores']:.2f} cores, clients {row['client_cpu_cores']:.2f}, "
                          f"machine {row['machine_busy_cores']:.2f}; video {pct(row['video_delivered'])}, "
                          f"audio {pct(row['audio_delivered'])}; stop: {row['stop']}", file=sys.stderr, flush=True)
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
