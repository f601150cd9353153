"""What exporting and verifying an evidence bundle costs, against raw SHA-256.

    .venv/bin/python bench/bundle.py              # a 1 GB case (~3 min, ~3 GB of disk)
    .venv/bin/python bench/bundle.py --size-mb 256

1. **Raw SHA-256** over the same amount of bytes in memory: the floor, since both export
   and verify must hash every byte at least once.
2. **Export**: a real `zeromeet serve` (embedded SeaweedFS, SQLite) holding a case of
   50 MB PDF uploads, `POST /api/cases/{id}/bundle` streamed to a file. Throughput, and
   the server's resident memory sampled every 20 ms during the export, against its
   resident memory just before.
3. **Verify**: `zeromeet verify --public-key` on that zip, in a child process: throughput
   and that process's peak resident memory (a bare Python with zeromeet imported is
   ~60 MB of it).

Results: Markdown on stdout, JSON in bench/out/bundle-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from roomsbench.server import PASSWORD, Server  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
FILE_MB = 50
# `zeromeet verify` in a child that reports its own peak memory.
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, from this script's own peak.
VERIFY = ("import sys; from server.cli import main; "
          "rc = main(['verify', sys.argv[1], '--public-key', sys.argv[2]]); "
          "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0], "
          "file=sys.stderr); sys.exit(rc)")


def raw_sha256(total: int) -> float:
    """MB/s of hashlib over `total` bytes in 4 MB pieces."""
    piece = os.urandom(4 << 20)
    started = time.perf_counter()
    digest = hashlib.sha256()
    for _ in range(total // len(piece)):
        digest.update(piece)
    return total / (1 << 20) / (time.perf_counter() - started)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)


def call(base: str, method: str, path: str, token: str = "", body: bytes | None = None,
         content_type: str = "application/json") -> Any:
    request = urllib.request.Request(base + path, data=body, method=method)
    request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def upload(base: str, token: str, case_id: str, data: bytes) -> None:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"doc.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    call(base, "POST", f"/api/cases/{case_id}/evidence", token, body,
         f"multipart/form-data; boundary={boundary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    files = max(1, args.size_mb // FILE_MB)
    total = files * FILE_MB << 20
    work = Path(tempfile.mkdtemp(prefix="zm-bundle-bench-"))
    result: dict[str, Any] = {"case_mb": total >> 20, "files": files}
    server = Server(work / "data", ZEROMEET_MAX_UPLOAD_MB=str(FILE_MB + 8), ZEROMEET_TRANSCRIBE="0")
    try:
        result["sha256_mb_s"] = raw_sha256(total)
        server.add_inspector()
        server.start()
        token = call(server.base, "POST", "/api/login", body=json.dumps(
            {"username": "bench", "password": PASSWORD}).encode())["token"]
        case = call(server.base, "POST", "/api/cases", token, json.dumps({"title": "bench"}).encode())
        for n in range(files):
            upload(server.base, token, case["id"], b"%PDF-1.4\n" + os.urandom((FILE_MB << 20) - 9))
            print(f"uploaded {n + 1}/{files}", file=sys.stderr, end="\r")
        before = rss_kb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        zipped = work / "bundle.zip"
        request = urllib.request.Request(f"{server.base}/api/cases/{case['id']}/bundle", method="POST",
                                         headers={"Authorization": f"Bearer {token}"})
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=1800) as response, open(zipped, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        export_s = time.perf_counter() - started
        sampler.stop.set()
        sampler.join()
        result.update(export_s=export_s, export_mb_s=total / (1 << 20) / export_s,
                      server_rss_before_mb=before / 1024, server_rss_peak_mb=sampler.peak / 1024,
                      zip_mb=zipped.stat().st_size / (1 << 20))
        key = work / "key.pem"
        with urllib.request.urlopen(f"{server.base}/api/keys") as response:
            key.write_bytes(response.read())
        server.stop()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", VERIFY, str(zipped), str(key)],
                              capture_output=True, text=True, cwd=ROOT)
        verify_s = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"verify failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        result.update(verify_s=verify_s, verify_mb_s=total / (1 << 20) / verify_s,
                      verify_peak_rss_mb=int(done.stderr.strip().splitlines()[-1]) / 1024,
                      verify_says=done.stdout.strip())
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(result)


def report(r: dict[str, Any]) -> None:
    sha = r["sha256_mb_s"]
    print(f"\n## Bundle export and verify, a {r['case_mb']} MB case ({r['files']} uploads)\n")
    print("| step | MB/s | × raw SHA-256 | memory |")
    print("| --- | ---: | ---: | --- |")
    print(f"| raw SHA-256 (hashlib, in memory) | {sha:.0f} | 1.00 | – |")
    print(f"| export (server, S3 → zip over HTTP) | {r['export_mb_s']:.0f} | {r['export_mb_s'] / sha:.2f} | "
          f"server RSS {r['server_rss_before_mb']:.0f} → peak {r['server_rss_peak_mb']:.0f} MB |")
    print(f"| verify (`zeromeet verify`, zip on disk) | {r['verify_mb_s']:.0f} | {r['verify_mb_s'] / sha:.2f} | "
          f"peak RSS {r['verify_peak_rss_mb']:.0f} MB |")
    print(f"\nzip: {r['zip_mb']:.0f} MB; verify said: {r['verify_says']}")
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / f"bundle-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(r, indent=1))
    print(f"\n(JSON: {path.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
