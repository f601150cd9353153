"""weed processes: dying with zeromeet, and finding and stopping stale ones."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import time
from pathlib import Path

from server.seaweed.command import EmbeddedStoreError

log = logging.getLogger("server.seaweed")

_PR_SET_PDEATHSIG = 1


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: dlopen after fork is not safe


def die_with_parent(parent: int) -> None:
    """In the child, before exec: have the kernel SIGKILL weed if zeromeet dies.

    SIGKILL, not SIGTERM: weed's graceful stop takes seconds (longer under load) with
    its ports open, and a zeromeet started again meanwhile would meet it. Nothing is
    lost: what weed acknowledged is already in its files, and its client is gone.
    The signal follows the *thread* that forked, so weed must be spawned from the
    event loop's thread (asyncio does), never from a short-lived worker thread.
    """
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # zeromeet died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


def kill_stale(root: Path, pid_path: Path) -> None:
    """Kill a weed left running on this data dir by a zeromeet that crashed.

    Only called while holding the data dir's lock, so no live zeromeet owns it.
    """
    for pid in _stale_pids(root, pid_path):
        log.warning("Killing stale embedded SeaweedFS (pid %s) left on %s", pid, root)
        signal_and_wait(pid)
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
        and alive(pid)
    )


def alive(pid: int) -> bool:
    """Running and not a zombie (a zombie holds no ports or files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def signal_and_wait(pid: int) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.1)
    raise EmbeddedStoreError(f"A stale SeaweedFS (pid {pid}) would not die, even on SIGKILL.")
