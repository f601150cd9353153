"""Supervision of the embedded object store: one `weed mini` on loopback with our own keys.

Used when no S3 endpoint is configured. Everything lives in `DATA_DIR/seaweedfs/`:
credentials.json (0600), s3.json (weed's identities, 0600), security.toml and tls/ (weed's
JWT keys and gRPC certificates, 0600, new at each start), weed.pid, weed.log, a lock
file, and data/ (weed's own files).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import stat
import time
from pathlib import Path

from evidence.s3client import minio_client
from server.seaweed.command import (
    HOST,
    EmbeddedStoreError,
    WeedPorts,
    find_weed,
    unix_sockets,
    weed_command,
)
from server.seaweed.files import load_or_create_credentials, rotate_log, write_identities
from server.seaweed.lockdown import assert_locked
from server.seaweed.processes import die_with_parent, kill_stale
from server.seaweed.security import write_security
from server.settings import S3Settings

log = logging.getLogger("server.seaweed")

REGION = "us-east-1"  # SeaweedFS's default; naming it saves minio a location lookup
_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
_HEALTHY_AFTER_S = 60.0  # a weed that ran this long before dying restarts with no backoff




class EmbeddedSeaweed:
    """Starts, supervises and stops one `weed mini` for this data dir."""

    def __init__(self, data_dir: Path, *, bucket: str, weed: str | None = None,
                 volume_size_mb: int | None = None) -> None:
        self.root = Path(data_dir).resolve() / "seaweedfs"
        self.bucket = bucket
        self.volume_size_mb = volume_size_mb  # see `weed_command`
        self.weed = weed or find_weed()
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
            await asyncio.to_thread(kill_stale, self.root, self.pid_path)
            access_key, secret_key = load_or_create_credentials(self.credentials_path)
            write_identities(self.root / "s3.json", access_key, secret_key)
            write_security(self.root)
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
            await self._spawn_ready(settings, ready_timeout)
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
            if self._ports is not None:
                _remove_sockets(self._ports)
        self._settings = None
        if self._lock_fd is not None:  # only the lock's holder may touch the pid file
            self.pid_path.unlink(missing_ok=True)
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

    async def _spawn_ready(self, settings: S3Settings, timeout: float) -> None:
        """Start weed; return once its S3 API answers and its other doors are shut."""
        assert self._ports is not None
        await self._spawn()
        await self._wait_ready(settings, timeout)
        await asyncio.to_thread(assert_locked, self._ports)

    async def _spawn(self) -> None:
        assert self._ports is not None
        rotate_log(self.log_path)
        parent = os.getpid()
        with open(self.log_path, "ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                *weed_command(self.weed, self.root, self._ports, self.volume_size_mb),
                cwd=self.root,
                # WEED_* variables would override security.toml's keys.
                env={k: v for k, v in os.environ.items() if not k.startswith("WEED_")},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                # Own session: a Ctrl+C meant for zeromeet must not kill weed behind
                # the supervisor's back; stop() shuts it down in order instead.
                start_new_session=True,
                umask=0o077,  # its files and its sockets in /tmp are ours alone
                preexec_fn=lambda: die_with_parent(parent),
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
                await self._spawn_ready(self._settings, 60.0)
            except Exception as exc:  # keep supervising whatever went wrong
                log.error("Restarting embedded SeaweedFS failed: %s", exc)
                if self._proc is not None and self._proc.returncode is None:
                    await _terminate(self._proc)
                continue
            log.warning("Embedded SeaweedFS restarted (pid %s)", self.pid)


def _remove_sockets(ports: WeedPorts) -> None:
    """The sockets a stopped weed left in /tmp: ours (same owner), and sockets only."""
    for path in unix_sockets(ports).values():
        with contextlib.suppress(OSError):
            info = path.lstat()
            if stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid():
                path.unlink()


def _log_if_died(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("Supervision of embedded SeaweedFS died", exc_info=task.exception())


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
