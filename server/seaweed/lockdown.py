"""A check at every start that weed's own doors are shut before zeromeet trusts it.

weed falls back to plaintext gRPC and unsigned HTTP, with no more than a log line, when
it cannot use a security.toml (a renamed key in a newer weed, a file it cannot read).
So zeromeet knocks, without credentials, on each door it means to have shut.
"""

from __future__ import annotations

import contextlib
import http.client
import socket

from server.seaweed.command import ADMIN_GRPC_OFFSET, HOST, EmbeddedStoreError, WeedPorts

_TIMEOUT_S = 2.0
# The client's opening of an HTTP/2 connection: the preface and an empty SETTINGS frame.
_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_H2_SETTINGS = 4


def assert_locked(ports: WeedPorts) -> None:
    """Raise `EmbeddedStoreError` naming every door that let us in without credentials."""
    open_doors = [f"gRPC {name} port {port} in plaintext"
                  for name, port in grpc_ports(ports).items() if answers_plain_grpc(port)]
    if _http_status(ports.master, "GET", "/dir/status") == 200:
        open_doors.append("the master's HTTP API")
    if 200 <= _http_status(ports.filer, "GET", "/") < 300:
        open_doors.append("the filer's HTTP API")
    if _http_status(ports.volume, "DELETE", "/0,0000000001") != 401:  # no such file
        open_doors.append("unsigned volume deletes")
    if open_doors:
        raise EmbeddedStoreError(
            "The embedded SeaweedFS runs without its security configuration (it accepted "
            + ", ".join(open_doors) + "); refusing to store evidence in it. Check that "
            "security.toml in its directory is readable, and its log."
        )


def grpc_ports(ports: WeedPorts) -> dict[str, int]:
    return {"master": ports.master_grpc, "volume": ports.volume_grpc,
            "filer": ports.filer_grpc, "s3": ports.s3_grpc,
            "admin": ports.admin + ADMIN_GRPC_OFFSET}


def answers_plain_grpc(port: int) -> bool:
    """Whether the port speaks HTTP/2 (so gRPC) in the clear: it answers our SETTINGS."""
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), _TIMEOUT_S) as s:
        s.sendall(_H2_PREFACE)
        head = b""
        while len(head) < 9:
            chunk = s.recv(9 - len(head))
            if not chunk:
                return False
            head += chunk
        return head[3] == _H2_SETTINGS
    return False


def _http_status(port: int, method: str, path: str) -> int:
    """The status of a request without credentials; 0 when nothing answers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=_TIMEOUT_S)
    try:
        conn.request(method, path)
        return conn.getresponse().status
    except OSError:
        return 0
    finally:
        conn.close()
