"""What evidence-grade recording costs, and what a crash loses.

    .venv/bin/python bench/recording.py            # all three parts (~5 min)
    .venv/bin/python bench/recording.py --quick    # shorter windows (~3 min)

1. **Recorder alone** (in-process, precise): 60 s of one 640×480 party — real VP8 frames
   (encoded once with libvpx from the moving test pattern the call benchmark sends) and
   real Opus frames — go through zeromeet's recording path exactly as the tap hands them
   over: TrackRecorder → spool file → SHA-256 → chain → write-once PUT into a real
   SeaweedFS → SQLite row. Fed as fast as it goes; the process CPU time until everything
   is stored, per second of media, is the cost per party. Measured in the same run on the
   same frames: aiortc's MediaRecorder writing them to MP4 (libx264 + AAC, fed the decoded
   frames), decoding the VP8 (what aiortc does for every received track anyway), and a
   bare SHA-256 over the bytes.
2. **Whole server** (end to end, noisy): one 1:1 interview through a real `zeromeet serve`
   with recording off and on, each `--rounds` times, interleaved; server CPU per party
   over the window. The synthetic parties run on the same 2 cores, so read it with the
   machine column. (MediaRecorder is not run inside the server: fed the fan-out's shared,
   restamped frames it fails to mux, "Invalid argument" — the silent loss RESEARCH.md
   describes — so its cost is measured in part 1 instead.)
3. **SIGKILL**: a call, `kill -9` of the server, a restart; per track, the seconds the
   participant had sent before the kill minus the seconds the sealed recording holds.

Results: Markdown on stdout, JSON in bench/out/recording-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from roomsbench.clients import Clients  # noqa: E402
from roomsbench.measure import CpuMeter, write_speechlike_wav  # noqa: E402
from roomsbench.recorder_alone import recorder_alone  # noqa: E402
from roomsbench.server import Server  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
SERVE_MODE = [sys.executable, str(ROOT / "bench" / "roomsbench" / "serve_mode.py")]
MODES = ("off", "zeromeet")


# ---------------------------------------------------------------- 2. the whole server

def wait_receiving(clients: Clients, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = clients.snapshot()
        if all(c["video_received"] >= 10 and c["audio_received"] >= 10 for c in snap.values()):
            return True
        time.sleep(0.5)
    return False


def start_call(server: Server, tmp: Path, audio_file: str, tag: str) -> tuple[Clients, str, str]:
    server.add_inspector()
    server.start()
    token, interviews = server.setup_interviews(1)
    iv = interviews[0]
    clients = Clients(server.base, [[{"key": "i0", "interview_id": iv["interview_id"], "token": token, "label": 1}],
                                    [{"key": "w0", "interview_id": iv["interview_id"],
                                      "token": iv["worker_token"], "label": 2}]],
                      audio_file, tmp / f"clients-{tag}")
    clients.wait_connected(90)
    return clients, token, iv["interview_id"]


def whole_server(mode: str, args: argparse.Namespace, tmp: Path, audio_file: str, tag: str) -> dict[str, Any]:
    data_dir = tmp / f"server-{tag}"
    data_dir.mkdir()
    server = Server(data_dir, command=SERVE_MODE, ZM_BENCH_RECORDING=mode)
    clients = None
    row: dict[str, Any] = {"mode": mode}
    try:
        clients, token, interview_id = start_call(server, tmp, audio_file, tag)
        row["receiving"] = wait_receiving(clients, 60)
        time.sleep(args.warmup)
        meter = CpuMeter({"server": [server.pid], "clients": clients.pids, "weed": server.weed_pids()})
        before = clients.snapshot()
        meter.start()
        time.sleep(args.seconds)
        cores = meter.stop()
        after = clients.snapshot()
        sent = sum(after[k]["video_sent"] - before[k]["video_sent"] for k in after)
        received = sum(after[k]["video_received"] - before[k]["video_received"] for k in after)
        row.update(server_core_pct_per_party=100 * cores["server"] / 2,
                   weed_core_pct=100 * cores["weed"], client_cores=cores["clients"],
                   machine_busy_cores=cores["machine"], video_delivered=received / sent if sent else None)
        if mode == "zeromeet":
            detail = server.api("GET", f"/api/interviews/{interview_id}", token=token)
            row["stored"] = [{k: r[k] for k in ("kind", "segments", "bytes", "duration")}
                             for r in detail["recordings"]]
    finally:
        if clients is not None:
            clients.stop()
        row["stop"] = server.stop()
        row["server_log_tail"] = server.log_tail(2000)
    return row


# ---------------------------------------------------------------- 3. SIGKILL

def sigkill_loss(args: argparse.Namespace, tmp: Path, audio_file: str) -> dict[str, Any]:
    data_dir = tmp / "server-kill"
    data_dir.mkdir()
    server = Server(data_dir)
    clients = None
    result: dict[str, Any] = {}
    try:
        clients, token, interview_id = start_call(server, tmp, audio_file, "kill")
        wait_receiving(clients, 60)
        time.sleep(args.kill_after)
        snap = clients.snapshot()
        server.proc.kill()
        server.proc.wait(10)
        clients.stop()
        clients = None
        server.start()
        deadline = time.monotonic() + 90
        while True:
            try:
                detail = server.api("GET", f"/api/interviews/{interview_id}", token=token)
            except urllib.error.URLError:
                detail = {"recordings": []}
            recs = detail["recordings"]
            if recs and all(r["state"] != "recording" for r in recs):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"recordings not sealed after restart: {recs}")
            time.sleep(0.5)
        sent_by_party = {c["you"]: c for c in snap.values()}
        tracks = []
        for rec in recs:
            full = server.api("GET", f"/api/recordings/{rec['id']}", token=token)
            frames = sum(s["frames"] for s in full["segments"])
            party = sent_by_party[rec["participant"]["id"]]
            frame_s = 1 / 30 if rec["kind"] == "video" else 0.02
            sent = party["video_sent"] if rec["kind"] == "video" else party["audio_sent"]
            verified = server.api("POST", f"/api/recordings/{rec['id']}/verify", token=token)
            tracks.append({"kind": rec["kind"], "state": rec["state"], "sent_s": sent * frame_s,
                           "kept_s": frames * frame_s, "lost_s": (sent - frames) * frame_s,
                           "verified": verified["ok"]})
        result["tracks"] = tracks
    finally:
        if clients is not None:
            clients.stop()
        result["stop"] = server.stop()
    return result


# ---------------------------------------------------------------- report

def report(alone: dict[str, Any], rows: list[dict[str, Any]], kill: dict[str, Any]) -> str:
    out = ["### Recorder alone (one 640×480 party, audio + video, in-process)", "",
           "| zeromeet recording (tap → WebM → SHA-256 → chain → PUT → row) | aiortc MediaRecorder "
           "(MP4: libx264 + AAC) | VP8 decode of the same frames | bare SHA-256 | bytes per minute "
           "| video bitrate |", "| --- | --- | --- | --- | --- | --- |",
           f"| {alone['core_pct_per_party']:.2f}% of a core | {alone['mediarecorder_core_pct']:.1f}% "
           f"({alone['mediarecorder_core_pct'] / alone['core_pct_per_party']:.0f}× zeromeet's) | "
           f"{alone['decode_core_pct']:.2f}% "
           f"(recording = {alone['core_pct_per_party'] / alone['decode_core_pct']:.2f}× decode) | "
           f"{alone['sha256_core_pct']:.3f}% | {alone['bytes_per_minute'] / 1e6:.1f} MB | "
           f"{alone['video_kbit_s']:.0f} kbit/s |", "",
           "### Whole server, one 1:1 interview (server CPU per party, % of a core)", "",
           "| mode | rounds | mean | each round | machine busy (cores) | video delivered |",
           "| --- | --- | --- | --- | --- | --- |"]
    for mode in MODES:
        mine = [r for r in rows if r["mode"] == mode and "server_core_pct_per_party" in r]
        if not mine:
            continue
        values = [r["server_core_pct_per_party"] for r in mine]
        each = ", ".join(f"{v:.1f}" for v in values)
        busy = ", ".join(f"{r['machine_busy_cores']:.2f}" for r in mine)
        delivered = ", ".join(f"{100 * (r['video_delivered'] or 0):.0f}%" for r in mine)
        out.append(f"| {mode} | {len(mine)} | {sum(values) / len(values):.1f} | {each} | {busy} | "
                   f"{delivered} |")
    stored = [r["stored"] for r in rows if r.get("stored")]
    if stored:
        out += ["", f"Stored during a zeromeet round: {json.dumps(stored[-1])}"]
    out += ["", "### SIGKILL mid-call", "", "| track | sent before the kill (s) | kept (s) | lost (s) | "
            "state | verifies |", "| --- | --- | --- | --- | --- | --- |"]
    for t in kill.get("tracks", []):
        out.append(f"| {t['kind']} | {t['sent_s']:.2f} | {t['kept_s']:.2f} | {t['lost_s']:.2f} | "
                   f"{t['state']} | {t['verified']} |")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="window per whole-server round")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per mode, interleaved")
    parser.add_argument("--alone-seconds", type=float, default=60, help="media fed to the recorder alone")
    parser.add_argument("--kill-after", type=float, default=15, help="seconds of call before SIGKILL")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup, args.rounds, args.alone_seconds, args.kill_after = 8, 3, 1, 20, 8
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="zm-recbench-") as tmpdir:
        tmp = Path(tmpdir)
        audio_file = str(tmp / "speech.wav")
        write_speechlike_wav(Path(audio_file))
        print("1/3 recorder alone…", file=sys.stderr, flush=True)
        alone = asyncio.run(recorder_alone(args.alone_seconds, tmp / "alone"))
        rows = []
        for round_ in range(args.rounds):
            for mode in MODES:
                print(f"2/3 whole server, {mode}, round {round_ + 1}…", file=sys.stderr, flush=True)
                rows.append(whole_server(mode, args, tmp, audio_file, f"{mode}-{round_}"))
        print("3/3 SIGKILL…", file=sys.stderr, flush=True)
        kill = sigkill_loss(args, tmp, audio_file)
        shutil.rmtree(tmp / "alone", ignore_errors=True)
    text = report(alone, rows, kill)
    print(text)
    path = OUT_DIR / f"recording-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"alone": alone, "rounds": rows, "sigkill": kill,
                                "cpu_count": os.cpu_count(), "args": vars(args)}, indent=2))
    print(f"\n(full data: {path.relative_to(ROOT)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
