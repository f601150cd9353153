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


def test_what_a_user_runs_is_installed_by_the_run_command_not_only_by_the_tests() -> None:
    """`zeromeet channel add` draws its QR code with segno, and README tells bundle readers
    to run `bagit.py --validate`: both come with `make run`, not with the test extras."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {line.split(">")[0].split("[")[0].strip() for line in project["dependencies"]}
    assert {"segno", "bagit"} <= needed
    assert (Path(sys.prefix) / "bin" / "bagit.py").exists()
