"""Schemathesis over the whole OpenAPI document of a real `zeromeet serve`, as staff, as an
invited party and anonymously: every 5xx and every answer that does not match the
document is a failure.

    .venv/bin/python scripts/fuzz_api.py                  # a long run (all phases)
    .venv/bin/python scripts/fuzz_api.py --max-examples 5 --phases examples,coverage

The server runs on a throwaway data dir (SQLite, the embedded SeaweedFS) with a case, an
interview, an invitation and one uploaded item, so ids in the document's examples can
name real things. Exit status 0 only when every run found nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
ZEROMEET, ST = str(BIN / "zeromeet"), str(BIN / "st")
PASSWORD = "correct horse battery staple"
# The checks that mean "a bug": a 5xx, or an answer the document does not describe.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


def main() -> int:
    args = _arguments()
    data_dir = Path(tempfile.mkdtemp(prefix="zeromeet-fuzz-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEROMEET_")}
    env.update(ZEROMEET_DATA_DIR=str(data_dir), ZEROMEET_TRANSCRIBE="0", HF_HUB_OFFLINE="1")
    server = None
    try:
        for username, role in (("fuzz", "inspector"), ("fuzzlegal", "legal")):
            subprocess.run([ZEROMEET, "user", "add", "--role", role, "--username", username,
                            "--password-stdin"], input=PASSWORD + "\n", env=env, check=True,
                           capture_output=True, text=True, timeout=120)
        port = _free_port()
        server = _start(env, port, data_dir / "server.log")
        base = f"http://127.0.0.1:{port}"
        identities, ids = _identities(base)
        real_ids = data_dir / "real-ids.toml"
        real_ids.write_text("[parameters]\n" + "".join(f'{k} = "{v}"\n' for k, v in ids.items()))
        failures = 0
        for name in args.as_:
            if args.random_ids_as is None or name in args.random_ids_as:
                failures += _run(base, name, identities[name], args, None)
            failures += _run(base, name, identities[name], args, real_ids)
        print(f"fuzz: {failures} run(s) with failures", flush=True)
        errors = _server_errors(data_dir / "server.log")
        if errors:
            print(f"fuzz: the server logged {len(errors)} unhandled error(s):", *errors[:20],
                  sep="\n  ")
        return 1 if failures or errors else 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"fuzz: data dir kept at {data_dir}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--as", dest="as_", default="staff,party,anonymous",
                        type=lambda s: s.split(","))
    parser.add_argument("--random-ids-as", default=None, type=lambda s: s.split(","),
                        help="the identities that also get a run with random path ids "
                             "(default: every one in --as)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-time", type=int, default=None,
                        help="seconds per identity for fuzzing and stateful phases")
    parser.add_argument("--workers", default="1")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and its log")
    return parser.parse_args()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([ZEROMEET, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=open(log, "a"), text=True)  # noqa: SIM115
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready and "running at" in proc.stdout.readline():
            return proc
        if proc.poll() is not None:
            raise SystemExit(f"zeromeet exited {proc.returncode}: {log.read_text()[-2000:]}")
    proc.kill()
    raise SystemExit("zeromeet did not start in time")


def _call(base: str, method: str, path: str, token: str | None = None,
          body: object = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"{}")


def _identities(base: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Bearer headers for each identity, after making a case the staff user can reach, and
    the ids of what was made."""
    staff = _call(base, "POST", "/api/login", body={"username": "fuzz", "password": PASSWORD})
    token = staff["token"]
    case = _call(base, "POST", "/api/cases", token, {"title": "模糊测试案件", "employer": "某公司"})
    interview = _call(base, "POST", f"/api/cases/{case['id']}/interviews", token, {})
    invite = _call(base, "POST", f"/api/interviews/{interview['id']}/invites", token,
                   {"name": "张三", "role": "worker"})
    invitation = _call(base, "GET", f"/api/interviews/{interview['id']}/invites", token)[0]
    item = _upload(base, f"/api/cases/{case['id']}/evidence", invite["token"])
    return {"staff": {"Authorization": f"Bearer {token}"},
            "party": {"Authorization": f"Bearer {invite['token']}"},
            "anonymous": {}}, {"case_id": case["id"], "interview_id": interview["id"],
                               "invitation_id": invitation["id"], "item_id": item["id"]}


def _upload(base: str, path: str, token: str) -> dict:
    """One small text file as evidence, so that item ids name something real."""
    boundary = "zeromeet-fuzz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"note.txt\"\r\nContent-Type: text/plain\r\n\r\n欠薪三个月\r\n"
            f"--{boundary}--\r\n").encode()
    request = urllib.request.Request(base + path, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}",
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def _run(base: str, name: str, headers: dict[str, str], args: argparse.Namespace,
         config: Path | None) -> int:
    """One schemathesis run; with `config`, path ids are those of real things."""
    command = [ST, *(["--config-file", str(config)] if config else []), "run", f"{base}/api/openapi.json", "--checks", CHECKS,
               "--phases", args.phases, "--max-examples", str(args.max_examples),
               "--workers", args.workers, "--request-timeout", "30", "--no-color",
               "--suppress-health-check", "all", "--generation-database", "none",
               "--warnings", "off", "--continue-on-failure"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if args.seed is not None:
        command += ["--seed", str(args.seed)]
    if args.max_time is not None:
        command += ["--max-time", str(args.max_time)]
    label = f"as {name}, {'real' if config else 'random'} ids"
    shown = " ".join("<token>" if "Bearer" in c else c for c in command[1:])
    print(f"fuzz: {label}: st {shown}", flush=True)
    done = subprocess.run(command, check=False)
    print(f"fuzz: {label}: exit {done.returncode}", flush=True)
    return 1 if done.returncode else 0


def _server_errors(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line[:300] for line in lines if '"unhandled error"' in line or '"status": 5' in line]


if __name__ == "__main__":
    raise SystemExit(main())
