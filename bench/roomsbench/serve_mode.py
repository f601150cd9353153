"""`zeromeet serve` with recording on or off, for bench/recording.py only.

ZM_BENCH_RECORDING=zeromeet  as shipped: encoded frames into chained WebM segments
ZM_BENCH_RECORDING=off       nothing recorded (what forwarding alone costs)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Run as a script, this folder would come first on sys.path and its server.py would
# shadow the `server` package: put the repository root there instead.
ROOT = Path(__file__).resolve().parents[2]
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

from server.cli import main  # noqa: E402
from server.recording.service import RecordingService  # noqa: E402

MODE = os.environ.get("ZM_BENCH_RECORDING", "zeromeet")


def _off(self, interview_id, peer, kind, receiver) -> None:  # noqa: ANN001
    return None


if MODE == "off":
    RecordingService.track_started = _off
elif MODE != "zeromeet":
    sys.exit(f"unknown ZM_BENCH_RECORDING {MODE!r}")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
