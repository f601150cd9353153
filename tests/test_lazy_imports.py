"""What starting loads. The command line loads only what a command uses: `zeromeet
verify`, which anyone checking a bundle runs, and `--help` start without the database
layer, the web server or the media stack (1.3 s → 0.2 s for `verify`, README). A server
loads the PDF layer at its first PDF, and never Whisper, which runs in its worker
process (2.1 s → 1.5 s to import the app)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "alembic", "aiohttp", "aiortc", "av", "minio", "faster_whisper", "fpdf",
         "argon2", "segno")

SCRIPT = """
import contextlib, io, json, sys
from server.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({m.split('.')[0] for m in sys.modules})}))
"""


def loaded_by(*argv: str, tmp_path: Path) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "ZEROMEET_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    return result["code"], set(result["loaded"]) & set(HEAVY)


def test_verify_loads_no_database_web_or_media_module(tmp_path: Path) -> None:
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    code, heavy = loaded_by("verify", str(tmp_path / "bad.zip"), tmp_path=tmp_path)
    assert code == 1  # it ran, and named the problem
    assert heavy == set()


def test_building_every_command_loads_none_of_them(tmp_path: Path) -> None:
    code, heavy = loaded_by("user", tmp_path=tmp_path)  # no subcommand: the parser's help
    assert code == 2
    assert heavy == set()


def test_a_database_command_still_loads_its_layer(tmp_path: Path) -> None:
    """The check above would pass if the subprocess loaded nothing at all."""
    code, heavy = loaded_by("db", "upgrade", tmp_path=tmp_path)
    assert code == 0
    assert (tmp_path / "data" / "zeromeet.sqlite3").is_file()
    assert {"sqlalchemy", "alembic"} <= heavy


def test_the_server_loads_neither_the_pdf_layer_nor_whisper_at_start(tmp_path: Path) -> None:
    script = ("import json, sys, server.app; "
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert {"aiohttp", "aiortc", "sqlalchemy"} <= loaded  # it did load the server
    assert loaded & {"fpdf", "fontTools", "faster_whisper", "ctranslate2"} == set()
