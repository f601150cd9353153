"""A throwaway PostgreSQL cluster for the test session (initdb in a temp dir).

Each test gets its database on it from tests/support/databases.py.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (make test does).")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(owner: pwd.struct_passwd | None):  # noqa: ANN202
    # initdb refuses to run as root; the cluster then runs as the postgres user.
    if owner is None:
        return None

    def drop() -> None:
        os.setgid(owner.pw_gid)
        os.setuid(owner.pw_uid)

    return drop


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[str]:
    """Start a cluster; yields a DSN (without database name) for a superuser."""
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = pwd.getpwnam("nobody")
    root = Path(tempfile.mkdtemp(prefix="zm-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if owner is not None:
        for path in (root, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    preexec = _as_owner(owner)
    run = dict(check=True, capture_output=True, preexec_fn=preexec, cwd=root)
    subprocess.run([_bin("initdb"), "-D", str(data), "-U", "zeromeet", "--auth=trust",
                    "-E", "UTF8", "--locale=C.UTF-8"], **run)
    subprocess.run([_bin("pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
                    "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
                    "start"], **run)
    try:
        yield f"postgresql://zeromeet@127.0.0.1:{port}"
    finally:
        subprocess.run([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, preexec_fn=preexec, cwd=root)
        shutil.rmtree(root, ignore_errors=True)
