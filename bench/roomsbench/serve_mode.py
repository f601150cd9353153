"""`zeromeet serve` with a chosen way of recording, for bench/recording.py only.

ZM_BENCH_RECORDING=zeromeet  as shipped: encoded frames into chained WebM segments
ZM_BENCH_RECORDING=off       nothing recorded (what forwarding alone costs)
ZM_BENCH_RECORDING=mediarecorder
                             aiortc's MediaRecorder, one MP4 per party, fed the decoded
                             frames the server already has (what RESEARCH.md measured)
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from aiortc.contrib.media import MediaRecorder

from server.cli import main
from server.recording.service import RecordingService

MODE = os.environ.get("ZM_BENCH_RECORDING", "zeromeet")


def _off(self, interview_id, peer, kind, receiver) -> None:  # noqa: ANN001
    return None


def _mediarecorder(self, interview_id, peer, kind, receiver) -> None:  # noqa: ANN001
    asyncio.get_running_loop().call_soon(_attach, peer)


def _attach(peer) -> None:  # noqa: ANN001
    if getattr(peer, "bench_recorder", None) is not None or len(peer.incoming) < 2:
        return  # one recorder per party, once both its tracks are in
    out = Path(os.environ["ZEROMEET_DATA_DIR"]) / "mediarecorder"
    out.mkdir(exist_ok=True)
    recorder = MediaRecorder(str(out / f"{peer.id}-{id(peer)}.mp4"))
    for fanout in peer.incoming.values():
        recorder.addTrack(fanout.subscribe())
    peer.bench_recorder = recorder

    async def run() -> None:
        await recorder.start()
        await peer.done.wait()
        await recorder.stop()
    asyncio.ensure_future(run())


if MODE == "off":
    RecordingService.track_started = _off
elif MODE == "mediarecorder":
    RecordingService.track_started = _mediarecorder
elif MODE != "zeromeet":
    sys.exit(f"unknown ZM_BENCH_RECORDING {MODE!r}")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
