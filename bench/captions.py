"""Live listening against transcribing after the end, in one run, on this machine.

    .venv/bin/python bench/captions.py                # a 10-minute two-party interview
    .venv/bin/python bench/captions.py --minutes 2    # a quick look

A two-party Mandarin interview (espeak-ng sentences, inspector and worker taking turns,
Opus in 2 s WebM segments as the server stores them; `bench/transcription.py`'s tracks),
`base`, 2 threads, one worker process each way, as the server runs them:

1. **Live on.** Each party's segments arrive in real time (one every 2 s per party) and go
   to one niced worker process through `pipeline.worker_listen`, one party at a time with
   all its pending segments (server/transcribe/live.py's loop). Measured: the delay of
   each caption (the end of its speech on the call's clock to the moment its text is
   back), the worker's CPU during the call (share of one core), and from "end" (the last
   segment stored) to the draft's turns: the last step of each party, then merge_turns.
2. **Live off.** The same stored segments, after the end, as the durable job hears them
   when live listening did not run: `worker_prepare_from` per party, then
   `worker_transcribe` per utterance, then merge_turns.

Both give the same turns (checked). Results: a Markdown table on stdout, JSON in
bench/out/captions-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.transcription import DATA_DIR, OUT_DIR, interview_tracks  # noqa: E402
from server.transcribe import worker  # noqa: E402
from server.transcribe.live import NICE  # noqa: E402
from tests.test_transcription_audio import T0, segments_of  # noqa: E402
from transcription import pipeline  # noqa: E402
from transcription.listen import Listening  # noqa: E402
from transcription.models import resolve_model  # noqa: E402
from transcription.pipeline import Speaker  # noqa: E402
from transcription.turns import merge_turns  # noqa: E402

SEGMENT_S = 2.0
PARTIES = [Speaker("p-insp", "王检查", "inspector", "r-insp"), Speaker("p-work", "李工人", "worker", "r-work")]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(pool: ProcessPoolExecutor) -> int:
    return next(iter(pool._processes))  # noqa: SLF001 - the bench reads the worker's CPU


def turns_of(heard: list[list[pipeline.Heard]]) -> list[tuple[str, float, str]]:
    results = [pipeline.party_result(p, h) for p, h in zip(PARTIES, heard)]
    return [(t.speaker, t.start, t.text)
            for t in merge_turns([u for r in results for u in r.utterances], "zh")]


def live_on(pool: ProcessPoolExecutor, stored: list[list[bytes]]) -> dict[str, Any]:
    """Segments arrive in real time; the worker hears each party's pending ones in turn."""
    count = max(len(s) for s in stored)
    states = [Listening() for _ in PARTIES]
    heard: list[list[pipeline.Heard]] = [[] for _ in PARTIES]
    pending: list[list[tuple[int, bytes]]] = [[] for _ in PARTIES]
    delays: list[float] = []
    pid = worker_pid(pool)
    started, cpu0 = time.monotonic(), cpu_seconds(pid)
    arrived, turn, running = 0, 0, None  # running: (party, Future)

    def collect(party: int, future: Future) -> None:
        states[party], got = future.result()
        heard[party] += got
        now = time.monotonic() - started
        delays.extend(now - h.end for h in got if h.reason is None)

    while arrived < count or any(pending) or running:
        now = time.monotonic() - started
        while arrived < count and now >= (arrived + 1) * SEGMENT_S:
            for party, segments in enumerate(stored):
                if arrived < len(segments):
                    pending[party].append((arrived + 1, segments[arrived]))
            arrived += 1
        if running and running[1].done():
            collect(*running)
            running = None
        if running is None and any(pending):
            while not pending[turn % len(PARTIES)]:
                turn += 1
            party = turn % len(PARTIES)
            batch, pending[party] = pending[party], []
            running = (party, pool.submit(pipeline.worker_listen, states[party], batch, T0, "zh", False))
            turn += 1
        time.sleep(0.02)
    call_s = count * SEGMENT_S
    cpu_call = cpu_seconds(pid) - cpu0
    ended = time.monotonic()  # the last segment is stored: the interview has ended
    for party in range(len(PARTIES)):
        collect(party, pool.submit(pipeline.worker_listen, states[party], [], T0, "zh", True))
    turns = turns_of(heard)
    draft_s = time.monotonic() - ended
    behind = max(0.0, ended - started - call_s)
    return {"call_s": call_s, "cpu_share": cpu_call / call_s, "draft_after_end_s": draft_s,
            "behind_at_end_s": behind, "captions": len(delays),
            "delay_median_s": statistics.median(delays) if delays else None,
            "delay_p90_s": statistics.quantiles(delays, n=10)[-1] if len(delays) >= 10 else None,
            "delay_max_s": max(delays, default=None), "turns": turns}


def live_off(pool: ProcessPoolExecutor, stored: list[list[bytes]]) -> dict[str, Any]:
    began = time.monotonic()
    speeches = [pool.submit(pipeline.worker_prepare_from, Listening(),
                            list(enumerate(segments, start=1)), T0).result() for segments in stored]
    heard = [[pool.submit(pipeline.worker_transcribe, s, "zh").result() for s in party]
             for party in speeches]
    turns = turns_of(heard)
    return {"draft_after_end_s": time.monotonic() - began, "turns": turns,
            "utterances": sum(len(s) for s in speeches)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="per party (default 10)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    model_dir = resolve_model("base", DATA_DIR)
    stored = [segments_of(track, T0) for track in interview_tracks(args.minutes)]
    with worker.new_pool(model_dir, "cpu", args.threads, "WARNING", NICE) as pool:
        pool.submit(time.sleep, 0).result()  # the model is loaded before the clock starts
        on = live_on(pool, stored)
        off = live_off(pool, stored)
    same = on["turns"] == off["turns"]
    party_s = 2 * on["call_s"]
    rows = ["| | live on | live off (the job after the end) |", "| --- | --- | --- |",
            f"| end → draft (s) | **{on['draft_after_end_s']:.1f}** | {off['draft_after_end_s']:.1f} |",
            f"| RTF (Whisper seconds per party second) | – | {off['draft_after_end_s'] / party_s:.3f} |",
            f"| live worker CPU during the call (share of one core) | {on['cpu_share']:.2f} | – |",
            f"| caption delay, speech end → text (median / p90 / max, s) | "
            f"{on['delay_median_s']:.1f} / {on['delay_p90_s'] or 0:.1f} / {on['delay_max_s']:.1f} | – |",
            f"| behind at the end (s) | {on['behind_at_end_s']:.1f} | – |",
            f"| turns | {len(on['turns'])} | {len(off['turns'])} (same: {same}) |"]
    print(f"### {args.minutes:g}-minute two-party Mandarin interview, base, {args.threads} threads\n")
    print("\n".join(rows))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"captions-{time.strftime('%Y%m%d-%H%M%S')}.json"
    result = {"cpus": os.cpu_count(), "minutes_per_party": args.minutes, "threads": args.threads,
              "utterances": off["utterances"], "same_turns": same,
              "live_on": {k: v for k, v in on.items() if k != "turns"},
              "live_off": {k: v for k, v in off.items() if k != "turns"}}
    out.write_text(json.dumps(result, indent=1))
    print(f"\nJSON: {out.relative_to(ROOT)}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
