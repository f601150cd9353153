"""`EmbeddedSeaweed` with the real `weed` binary: keys, loopback, restarts, no leftovers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from minio.error import S3Error

from evidence.errors import StoreUnavailable
from evidence.hashing import sha256_bytes
from evidence.s3client import minio_client
from server.seaweed import EmbeddedSeaweed, EmbeddedStoreError, WeedPorts, weed_command
from server.seaweed.command import unix_sockets
from server.settings import S3Settings
from tests.support.proc import env_for, free_port, start_server
from tests.support.s3 import store_for

# 127.0.0.1 and ::1 as /proc/net shows them
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


def listening_sockets(pid: int) -> list[tuple[str, str, int]]:
    """(protocol, hex address, port) of every listening TCP / bound UDP socket of `pid`."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed since the listing: weed opens and closes many
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
            fields = line.split()
            address, port = fields[1].split(":")
            listening = fields[3] == "0A" if proto.startswith("tcp") else True
            if fields[9] in inodes and listening:
                found.append((proto, address, int(port, 16)))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def weeds_on(root: Path) -> list[int]:
    """Live weed processes whose data dir is under `root`."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and "weed" in cmdline and f"-dir={root}" in cmdline:
            if running(int(proc.name)):
                pids.append(int(proc.name))
    return pids


def answers(settings: S3Settings) -> bool:
    client = minio_client(
        settings.endpoint or "", settings.access_key, settings.secret_key,
        region=settings.region, connect_timeout=1, retries=0,
    )
    try:
        client.list_buckets()
    except Exception:
        return False
    return True


async def wait_for(condition, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(condition):
        assert time.monotonic() < deadline, f"timed out after {timeout} s"
        await asyncio.sleep(0.2)


async def test_every_port_is_on_loopback(embedded_seaweed: EmbeddedSeaweed) -> None:
    pid = embedded_seaweed.pid
    assert pid is not None
    sockets = listening_sockets(pid)

    assert len(sockets) >= 9, sockets  # master, volume, filer, s3 (+grpc each), admin...
    assert all(address in LOOPBACK for _, address, _ in sockets), sockets
    ports = {port for _, _, port in sockets}
    assert not ports & {8080, 8333, 8888, 9333, 9340, 23646, 7333, 8181, 9101, 6060}, ports


async def test_only_the_generated_keys_work(s3_settings: S3Settings) -> None:
    endpoint = s3_settings.endpoint or ""
    anonymous = minio_client(endpoint, None, None, region="us-east-1", retries=0)
    wrong = minio_client(endpoint, s3_settings.access_key, "guess", region="us-east-1", retries=0)

    assert answers(s3_settings)
    for client in (anonymous, wrong):
        with pytest.raises(S3Error):
            client.list_buckets()
        with pytest.raises(S3Error):
            client.make_bucket("intruder")


async def test_credentials_are_private_and_reused(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="b")
    first = await seaweed.start()
    await seaweed.stop()
    second = await seaweed.start()
    try:
        for name in ("credentials.json", "s3.json"):
            assert (seaweed.root / name).stat().st_mode & 0o777 == 0o600
        assert (second.access_key, second.secret_key) == (first.access_key, first.secret_key)
        assert len(first.secret_key or "") >= 32
        assert answers(second)
    finally:
        await seaweed.stop()


async def test_weed_is_restarted_after_sigkill(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="restart")
    settings = await seaweed.start()
    try:
        store = store_for(settings, "restart")
        await store.put("before", b"kept", sha256=sha256_bytes(b"kept"))
        old_pid = seaweed.pid
        assert old_pid is not None

        os.kill(old_pid, signal.SIGKILL)
        await wait_for(lambda: seaweed.pid not in (None, old_pid) and answers(settings), 30)

        assert seaweed.ports is not None and settings.endpoint.endswith(f":{seaweed.ports.s3}")
        # Its S3 gateway can answer before its volume server is back: for a moment a read
        # is refused as unavailable (retried by every caller), never as misconfiguration;
        # then the object is there, unchanged.
        deadline = time.monotonic() + 20
        while True:
            try:
                assert await store.get("before") == b"kept"
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the object store did not come back"
                await asyncio.sleep(0.2)
    finally:
        await seaweed.stop()


async def test_a_stale_weed_from_a_crashed_run_is_killed(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="stale")
    await seaweed.start()
    await seaweed.stop()
    # What a crashed zeromeet leaves behind: weed still running on the data dir, and its pid file.
    with open(seaweed.root / "stale.log", "ab") as log:
        stale = subprocess.Popen(
            weed_command(seaweed.weed, seaweed.root, WeedPorts.pick()),
            cwd=seaweed.root, stdout=log, stderr=log, start_new_session=True,
        )
    try:
        seaweed.pid_path.write_text(f"{stale.pid}\n")
        await wait_for(lambda: "S3 Endpoint" in (seaweed.root / "stale.log").read_text(), 30)

        settings = await seaweed.start()
        try:
            assert stale.poll() is not None  # weed exits 0 on SIGTERM
            assert seaweed.pid != stale.pid
            assert answers(settings)
        finally:
            await seaweed.stop()
    finally:
        if stale.poll() is None:
            stale.kill()
            stale.wait()


async def test_a_pid_file_naming_another_process_kills_nothing(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="innocent")
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        seaweed.root.mkdir(parents=True)
        seaweed.pid_path.write_text(f"{bystander.pid}\n")
        await seaweed.start()
        await seaweed.stop()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


async def test_stop_leaves_no_process(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="stop")
    await seaweed.stop()  # before start: nothing to do
    await seaweed.start()
    pid, ports = seaweed.pid, seaweed.ports
    assert pid is not None and running(pid) and ports is not None
    sockets = unix_sockets(ports)
    assert any(path.exists() for path in sockets.values())  # weed serves them while it runs

    await seaweed.stop()
    await seaweed.stop()

    assert not Path(f"/proc/{pid}").exists()
    assert weeds_on(tmp_path) == []
    assert not seaweed.pid_path.exists()
    assert [path for path in sockets.values() if path.exists()] == []  # none left in /tmp


async def test_a_second_owner_of_the_data_dir_is_refused(
    embedded_seaweed: EmbeddedSeaweed,
) -> None:
    intruder = EmbeddedSeaweed(embedded_seaweed.root.parent, bucket="x")
    with pytest.raises(EmbeddedStoreError, match="Another zeromeet process"):
        await intruder.start()
    assert embedded_seaweed.pid is not None and running(embedded_seaweed.pid)
    assert embedded_seaweed.pid_path.read_text().strip() == str(embedded_seaweed.pid)


async def test_weed_dies_within_2_s_of_a_sigkilled_zeromeet_serve(tmp_path: Path) -> None:
    """And a zeromeet started again on the data dir meets no weed of the last run."""
    data, log = tmp_path / "data", tmp_path / "server.log"
    env = env_for(data)
    server = start_server(env, free_port(), log=log)
    try:
        weed_pid = int((data / "seaweedfs" / "weed.pid").read_text())
        assert weeds_on(data) == [weed_pid]
    finally:
        server.kill()  # SIGKILL: zeromeet gets no chance to stop weed itself
        server.wait(10)
    killed = time.monotonic()
    while running(weed_pid) and time.monotonic() - killed < 20:
        await asyncio.sleep(0.05)
    outlived_s = time.monotonic() - killed
    if running(weed_pid):
        os.kill(weed_pid, signal.SIGKILL)
    assert outlived_s < 2, f"weed outlived a SIGKILLed zeromeet by {outlived_s:.1f} s"

    server = start_server(env, free_port(), log=log)
    try:
        (again,) = weeds_on(data)
        assert again != weed_pid
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0, log.read_text()[-3000:]
    assert weeds_on(data) == []


async def test_a_weed_that_exits_at_once_fails_start_clearly(tmp_path: Path) -> None:
    seaweed = EmbeddedSeaweed(tmp_path, bucket="b", weed="/bin/false")
    with pytest.raises(EmbeddedStoreError, match="exited with status 1 before its S3 API"):
        await seaweed.start(ready_timeout=20)
    assert seaweed.pid is None and not seaweed.pid_path.exists()


async def test_a_weed_that_never_answers_times_out_and_is_killed(tmp_path: Path) -> None:
    fake = tmp_path / "weed"
    fake.write_text("#!/bin/sh\nexec sleep 600\n")
    fake.chmod(0o755)
    seaweed = EmbeddedSeaweed(tmp_path, bucket="b", weed=str(fake))

    began = time.monotonic()
    with pytest.raises(EmbeddedStoreError, match="did not answer .* within 2 s"):
        await seaweed.start(ready_timeout=2)

    assert time.monotonic() - began < 10
    assert weeds_on(tmp_path) == []
    assert seaweed.pid is None
