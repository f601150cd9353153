"""The embedded weed's other doors, knocked on without credentials against the real weed:
filer and master HTTP, volume HTTP, every gRPC port. Object lock binds the S3 API only,
so each of these must refuse on its own — while S3 with our keys works as before."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from evidence.hashing import sha256_bytes
from evidence.store import S3ObjectStore
from server.seaweed import EmbeddedSeaweed, EmbeddedStoreError, WeedPorts, weed_command
from server.seaweed.command import ADMIN_GRPC_OFFSET, unix_sockets
from server.seaweed.files import load_or_create_credentials, write_identities
from server.seaweed.lockdown import assert_locked
from server.settings import S3Settings
from tests.support.proc import free_port
from tests.support.s3 import store_for
from tests.test_seaweed import answers, wait_for, weeds_on

BUCKET = "zeromeet-evidence"
KEY = "case-1/interview-1/video/000001.webm"
PAYLOAD = os.urandom(64 << 10)
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


@dataclass
class Locked:
    seaweed: EmbeddedSeaweed
    ports: WeedPorts
    store: S3ObjectStore
    version_id: str
    fid: str  # the volume file that holds the object's bytes

    @property
    def version_path(self) -> str:
        return f"/buckets/{BUCKET}/{KEY}.versions/v_{self.version_id}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def locked(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Locked]:
    seaweed = EmbeddedSeaweed(tmp_path_factory.mktemp("locked"), bucket=BUCKET)
    settings = await seaweed.start()
    try:
        assert seaweed.ports is not None
        store = store_for(settings, BUCKET)
        stored = await store.put(KEY, PAYLOAD, sha256=sha256_bytes(PAYLOAD))
        assert stored.version_id
        path = f"/buckets/{BUCKET}/{KEY}.versions/v_{stored.version_id}"
        meta = weed_shell(seaweed, seaweed.root, f"fs.meta.cat {path}")
        fids = re.findall(r'"fileId":\s*"([^"]+)"', meta.stdout)
        assert len(fids) == 1, meta
        yield Locked(seaweed, seaweed.ports, store, stored.version_id, fids[0])
    finally:
        await seaweed.stop()


def weed_shell(seaweed: EmbeddedSeaweed, config_dir: Path, commands: str,
               timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`weed shell` against `seaweed`, with the security.toml (if any) in `config_dir`."""
    ports = seaweed.ports
    assert ports is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEED_")}
    env["HOME"] = str(config_dir)  # no ~/.seaweedfs/security.toml either
    return subprocess.run(
        [seaweed.weed, f"-config_dir={config_dir}", "shell",
         f"-master=127.0.0.1:{ports.master}.{ports.master_grpc}",
         f"-filer=127.0.0.1:{ports.filer}.{ports.filer_grpc}"],
        input=commands + "\n", capture_output=True, text=True, timeout=timeout,
        cwd=config_dir, env=env,
    )


def status(method: str, port: int, path: str, data: bytes | None = None,
           token: str | None = None, accept_json: bool = False) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if accept_json:  # the filer's directory listing
        request.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def jwt_keys(root: Path) -> list[str]:
    """weed's four signing keys: volume writes and reads, filer writes and reads."""
    jwt = tomllib.loads((root / "security.toml").read_text())["jwt"]
    return [jwt["signing"]["key"], jwt["signing"]["read"]["key"],
            jwt["filer_signing"]["key"], jwt["filer_signing"]["read"]["key"]]


def volume_jwt(key: str, fid: str) -> str:
    """A token for one fid, as weed's master mints them (HS256)."""
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signed = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
        {"fid": fid, "exp": int(time.time()) + 10})
    mac = hmac.new(key.encode(), signed.encode(), hashlib.sha256).digest()
    return signed + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


async def still_there(locked: Locked) -> None:
    assert await locked.store.get(KEY, locked.version_id) == PAYLOAD
    assert await locked.store.shadowing(KEY, locked.version_id) == ""


async def test_the_filer_refuses_to_delete_a_version_file(locked: Locked) -> None:
    code, _ = status("DELETE", locked.ports.filer, locked.version_path)
    assert not 200 <= code < 300, code
    code, _ = status("DELETE", locked.ports.filer, f"/buckets/{BUCKET}?recursive=true")
    assert not 200 <= code < 300, code
    await still_there(locked)


async def test_the_filer_refuses_a_put_over_a_version_or_beside_it(locked: Locked) -> None:
    code, _ = status("PUT", locked.ports.filer, locked.version_path, data=b"forged")
    assert not 200 <= code < 300, code
    code, _ = status("PUT", locked.ports.filer, f"/buckets/{BUCKET}/{KEY}.forged", data=b"x")
    assert not 200 <= code < 300, code
    code, _ = status("GET", locked.ports.filer, f"/buckets/{BUCKET}/")  # nor lists
    assert not 200 <= code < 300, code
    await still_there(locked)
    assert not await locked.store.exists(f"{KEY}.forged")


async def test_the_volume_server_wants_a_signed_token_to_delete_overwrite_or_read(
    locked: Locked,
) -> None:
    volume, fid = locked.ports.volume, locked.fid
    assert status("DELETE", volume, f"/{fid}")[0] == 401
    assert status("PUT", volume, f"/{fid}", data=b"forged")[0] == 401
    assert status("GET", volume, f"/{fid}")[0] == 401
    forged = volume_jwt("a guessed key", fid)
    assert status("DELETE", volume, f"/{fid}", token=forged)[0] == 401
    # Control: the fid is real, and a token signed with weed's read key opens it.
    read = volume_jwt(jwt_keys(locked.seaweed.root)[1], fid)
    code, body = status("GET", volume, f"/{fid}", token=read)
    assert (code, body) == (200, PAYLOAD)
    await still_there(locked)


async def test_the_master_http_api_is_off(locked: Locked) -> None:
    master = locked.ports.master
    for path in (f"/col/delete?collection={BUCKET}", "/dir/assign", "/vol/vacuum",
                 f"/vol/grow?collection={BUCKET}&count=1", "/dir/status"):
        code, _ = status("GET", master, path)
        assert not 200 <= code < 300, (path, code)
    await still_there(locked)
    await locked.store.put(f"{KEY}.after", b"after", sha256=sha256_bytes(b"after"))
    assert await locked.store.get(f"{KEY}.after") == b"after"


def h2_answer(sock: socket.socket) -> str:
    """What an HTTP/2 server says to a client's opening: "settings" if it speaks to us."""
    try:
        sock.sendall(H2_PREFACE)
        head = b""
        while len(head) < 9:
            chunk = sock.recv(9 - len(head))
            if not chunk:
                return "closed"
            head += chunk
    except (OSError, ssl.SSLError) as exc:
        return f"refused: {exc}"
    return "settings" if head[3] == 4 else f"frame {head[3]}"


def h2_over_tls(port: int, root: Path, with_our_certificate: bool) -> str:
    tls = ssl.create_default_context(cafile=root / "tls" / "ca.crt")
    tls.check_hostname = False
    tls.set_alpn_protocols(["h2"])
    if with_our_certificate:
        tls.load_cert_chain(root / "tls" / "weed.crt", root / "tls" / "weed.key")
    try:
        with socket.create_connection(("127.0.0.1", port), 5) as raw, tls.wrap_socket(raw) as s:
            return h2_answer(s)
    except (OSError, ssl.SSLError) as exc:
        return f"refused: {exc}"


async def test_every_grpc_port_refuses_clients_without_our_certificate(locked: Locked) -> None:
    root, p = locked.seaweed.root, locked.ports
    grpc = {"master": p.master_grpc, "volume": p.volume_grpc, "filer": p.filer_grpc,
            "s3": p.s3_grpc, "admin": p.admin + ADMIN_GRPC_OFFSET}
    sockets = unix_sockets(p)
    for name, port in grpc.items():
        with socket.create_connection(("127.0.0.1", port), 5) as plain:
            assert h2_answer(plain) != "settings", name
        assert h2_over_tls(port, root, with_our_certificate=False).startswith("refused"), name
        assert h2_over_tls(port, root, with_our_certificate=True) == "settings", name  # control
        # weed also serves each gRPC port on a Unix socket in /tmp: the same server, TLS and all.
        # (Its own name: a socket another weed left behind may carry the same port.)
        unix = sockets[f"{name}-grpc"]
        assert unix.stat().st_mode & 0o077 == 0, unix
        with socket.socket(socket.AF_UNIX) as local:
            local.settimeout(5)
            local.connect(str(unix))
            assert h2_answer(local) != "settings", unix


async def test_weed_shell_without_our_certificate_changes_nothing(
    locked: Locked, tmp_path: Path,
) -> None:
    attack = f"fs.rm -r /buckets/{BUCKET}\ncollection.delete -collection={BUCKET} -force"
    with pytest.raises(subprocess.TimeoutExpired):  # it retries the TLS-only port forever
        weed_shell(locked.seaweed, tmp_path, attack, timeout=8)
    await still_there(locked)
    # Control: with our certificate the same shell reads the version's entry.
    listed = weed_shell(locked.seaweed, locked.seaweed.root, f"fs.ls {locked.version_path}")
    assert f"v_{locked.version_id}" in listed.stdout, listed


async def test_keys_and_certificates_are_private_and_new_at_each_start(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="b")
    await seaweed.start()
    first = jwt_keys(seaweed.root)
    await seaweed.stop()
    await seaweed.start()
    try:
        for name in ("security.toml", "tls/ca.crt", "tls/weed.crt", "tls/weed.key"):
            assert (seaweed.root / name).stat().st_mode & 0o777 == 0o600, name
        assert (seaweed.root / "tls").stat().st_mode & 0o777 == 0o700
        second = jwt_keys(seaweed.root)
        assert len(set(second)) == 4 and all(len(k) >= 40 for k in second), second
        assert not set(second) & set(first)
    finally:
        await seaweed.stop()


async def test_a_data_dir_from_before_the_lockdown_keeps_its_objects(tmp_path: Path) -> None:
    """weed as zeromeet ran it before: no security.toml, so no JWT and no TLS."""
    seaweed = EmbeddedSeaweed(tmp_path, bucket=BUCKET)
    seaweed.root.mkdir(parents=True)
    access_key, secret_key = load_or_create_credentials(seaweed.credentials_path)
    write_identities(seaweed.root / "s3.json", access_key, secret_key)
    ports = WeedPorts.pick()
    command = [arg for arg in weed_command(seaweed.weed, seaweed.root, ports)
               if arg not in ("-disableHttp", "-volume.preStopSeconds=0")]
    with open(seaweed.root / "old.log", "ab") as log:
        old = subprocess.Popen(command, cwd=seaweed.root, stdout=log, stderr=log)
    try:
        settings = S3Settings(endpoint=f"127.0.0.1:{ports.s3}", access_key=access_key,
                              secret_key=secret_key, bucket=BUCKET, secure=False,
                              region="us-east-1")
        await wait_for(lambda: answers(settings), 60)
        written = await store_for(settings, BUCKET).put(KEY, PAYLOAD, sha256=sha256_bytes(PAYLOAD))
        listing = f"/buckets/{BUCKET}/{KEY}.versions/"
        code, body = status("GET", ports.filer, listing, accept_json=True)  # open, then
        assert code == 200, code
        (fid,) = [c["file_id"] for e in json.loads(body)["Entries"] for c in e["chunks"]]
    finally:
        old.terminate()
        old.wait(30)
    assert not (seaweed.root / "security.toml").exists()

    new_store = store_for(await seaweed.start(), BUCKET)
    try:
        assert await new_store.get(KEY, written.version_id) == PAYLOAD
        locked = seaweed.ports
        assert locked is not None
        assert status("DELETE", locked.volume, f"/{fid}")[0] == 401
        assert not 200 <= status("GET", locked.filer, listing, accept_json=True)[0] < 300
        assert await new_store.get(KEY, written.version_id) == PAYLOAD
    finally:
        await seaweed.stop()


async def test_a_weed_that_ignores_its_security_config_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """weed runs open, with one log line, when it cannot use security.toml: start must fail."""
    def unreadable(root: Path) -> None:
        (root / "security.toml").write_text("[jwt.signing]\nkey = 'unterminated\n")

    monkeypatch.setattr("server.seaweed.supervisor.write_security", unreadable)
    seaweed = EmbeddedSeaweed(tmp_path, bucket="b")
    with pytest.raises(EmbeddedStoreError, match="without its security configuration") as refused:
        await seaweed.start()
    assert "gRPC master port" in str(refused.value) and "volume deletes" in str(refused.value)
    assert seaweed.pid is None and weeds_on(tmp_path) == []


# --- the judging of answers, against real sockets that listen late ---------------------


class LateDoor:
    """One loopback port that refuses connections for `delay` seconds, then answers every
    HTTP request with `status`, and an HTTP/2 client's opening with SETTINGS if `h2`
    (else it closes, as a TLS-only gRPC server does with plaintext). Every door of a
    `WeedPorts` is this one port, so assert_locked knocks on all of them here."""

    def __init__(self, delay: float, status: int, h2: bool = False) -> None:
        self.port = free_port()
        self.ports = WeedPorts(*[self.port] * 8, admin=self.port - ADMIN_GRPC_OFFSET)
        self.status, self.h2 = status, h2
        self.opened_at = time.monotonic() + delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(delay,), daemon=True)
        self._thread.start()

    def _serve(self, delay: float) -> None:
        if self._stop.wait(delay):
            return
        with socket.create_server(("127.0.0.1", self.port)) as server:
            server.settimeout(0.05)
            while not self._stop.is_set():
                try:
                    conn, _ = server.accept()
                except TimeoutError:
                    continue
                with conn:
                    self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        asked = b""
        while b"\r\n\r\n" not in asked and (chunk := conn.recv(4096)):
            asked += chunk
        if asked.startswith(H2_PREFACE[:16]):
            if self.h2:
                conn.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
            return
        conn.sendall(f"HTTP/1.1 {self.status} X\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n".encode())

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def late_door() -> Iterator[Callable[..., LateDoor]]:
    opened: list[LateDoor] = []

    def open_door(delay: float, status: int, h2: bool = False) -> LateDoor:
        opened.append(LateDoor(delay, status, h2))
        return opened[-1]

    yield open_door
    for door in opened:
        door.close()


def test_doors_that_listen_after_s3_answers_are_judged_by_their_answers(
    late_door: Callable[..., LateDoor],
) -> None:
    """A slow first start: S3 answers before the volume server listens. Its 401 is awaited."""
    door = late_door(1.0, 401)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", door.port)) != 0  # refused, for now
    assert_locked(door.ports)
    assert time.monotonic() >= door.opened_at


def test_a_late_door_that_lets_us_in_is_named_once_it_answers(late_door: Callable[..., LateDoor]) -> None:
    door = late_door(1.0, 200, h2=True)
    with pytest.raises(EmbeddedStoreError) as refused:
        assert_locked(door.ports)
    for name in ("master", "volume", "filer", "s3", "admin"):
        assert f"gRPC {name} port {door.port} in plaintext" in str(refused.value), name
    for api in ("the master's HTTP API", "the filer's HTTP API", "unsigned volume deletes"):
        assert api in str(refused.value), api


def test_a_port_that_never_answers_is_not_an_open_door(
    late_door: Callable[..., LateDoor], caplog: pytest.LogCaptureFixture,
) -> None:
    door = late_door(3600, 200, h2=True)  # would let anyone in, but never listens
    began = time.monotonic()
    assert_locked(door.ports, wait_s=0.5)
    assert 0.5 <= time.monotonic() - began < 5  # all doors wait together, not one by one
    assert "the volume server's HTTP port did not answer within 0.5 s" in caplog.text
