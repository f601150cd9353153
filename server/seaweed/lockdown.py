"""A check at every start that weed's own doors are shut before zeromeet trusts it.

weed falls back to plaintext gRPC and unsigned HTTP, with no more than a log line, when
it cannot use a security.toml (a renamed key in a newer weed, a file it cannot read).
So zeromeet knocks, without credentials, on each door it means to have shut.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import time
from collections.abc import Callable
from typing import TypeVar

from server.seaweed.command import ADMIN_GRPC_OFFSET, HOST, EmbeddedStoreError, WeedPorts

log = logging.getLogger("server.seaweed")

_TIMEOUT_S = 2.0
# weed mini starts its servers one after another: its S3 API (all that the supervisor
# waits for) can answer before its volume server or a gRPC port listens.
ANSWER_WAIT_S = 15.0
_RETRY_S = 0.1
# The client's opening of an HTTP/2 connection: the preface and an empty SETTINGS frame.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_H2_SETTINGS = 4

T = TypeVar("T")


def assert_locked(ports: WeedPorts, *, wait_s: float = ANSWER_WAIT_S) -> None:
    """Raise `EmbeddedStoreError` naming every door that let us in without credentials.

    Blocking, for up to about `wait_s` seconds in all while doors are still silent."""
    found = open_doors(ports, wait_s)
    if found:
        raise EmbeddedStoreError(
            "The embedded SeaweedFS runs without its security configuration (it accepted "
            + ", ".join(found) + "); refusing to store evidence in it. Check that "
            "security.toml in its directory is readable, and its log."
        )


def open_doors(ports: WeedPorts, wait_s: float) -> list[str]:
    """The doors that let us in without credentials, judged by their answers only.

    Each door is knocked on until it answers, all of them within `wait_s` seconds
    together (then once each). A door that never answers is not an open door: nothing
    listens there to let a request in. It is logged, not judged — the old check counted
    "no answer" as an unsigned volume server, and failed a slow start for it.
    """
    deadline = time.monotonic() + wait_s

    def knock(door: str, ask: Callable[[], T | None]) -> T | None:
        answer = _until_answered(ask, deadline)
        if answer is None:
            log.warning("Embedded SeaweedFS: %s did not answer within %g s; not checked",
                        door, wait_s)
        return answer

    found = [f"gRPC {name} port {port} in plaintext" for name, port in grpc_ports(ports).items()
             if knock(f"gRPC {name} port {port}", lambda port=port: plain_grpc(port))]
    master = knock("the master's HTTP port", lambda: _http_status(ports.master, "GET", "/dir/status"))
    if master == 200:
        found.append("the master's HTTP API")
    filer = knock("the filer's HTTP port", lambda: _http_status(ports.filer, "GET", "/"))
    if filer is not None and 200 <= filer < 300:
        found.append("the filer's HTTP API")
    deleted = knock("the volume server's HTTP port",
                    lambda: _http_status(ports.volume, "DELETE", "/0,0000000001"))  # no such file
    if deleted is not None and deleted != 401:
        found.append("unsigned volume deletes")
    return found


def grpc_ports(ports: WeedPorts) -> dict[str, int]:
    return {"master": ports.master_grpc, "volume": ports.volume_grpc,
            "filer": ports.filer_grpc, "s3": ports.s3_grpc,
            "admin": ports.admin + ADMIN_GRPC_OFFSET}


def plain_grpc(port: int) -> bool | None:
    """Whether the port speaks HTTP/2 (so gRPC) in the clear: it answers our SETTINGS.
    None when it takes no connection; one that closes or says anything else is False."""
    try:
        s = socket.create_connection((HOST, port), _TIMEOUT_S)
    except OSError:
        return None
    with contextlib.suppress(OSError), s:
        s.sendall(_H2_PREFACE)
        head = b""
        while len(head) < 9:
            chunk = s.recv(9 - len(head))
            if not chunk:
                return False
            head += chunk
        return head[3] == _H2_SETTINGS
    return False


def _http_status(port: int, method: str, path: str) -> int | None:
    """The status of a request without credentials; None when no status comes back."""
    conn = http.client.HTTPConnection(HOST, port, timeout=_TIMEOUT_S)
    try:
        conn.request(method, path)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _until_answered(ask: Callable[[], T | None], deadline: float) -> T | None:
    while (answer := ask()) is None and time.monotonic() < deadline:
        time.sleep(_RETRY_S)
    return answer
