"""The set-up behind `make run` (the test run itself came through `make test`'s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_run_setup_succeeds_on_an_installed_environment() -> None:
    venv = Path(sys.prefix)
    stamp = venv / ".zeromeet-installed"
    done = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], cwd=ROOT,
                          env={**os.environ, "VENV": str(venv)}, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert stamp.exists() and len(stamp.read_text().strip()) == 64
    again = subprocess.run(["bash", str(ROOT / "scripts" / "setup.sh")], cwd=ROOT,
                           env={**os.environ, "VENV": str(venv)}, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and "installing" not in again.stderr  # nothing to redo
