"""`zeromeet serve --tls-cert --tls-key`: HTTPS for phones on the same network."""

from __future__ import annotations

import datetime
import ipaddress
import signal
from pathlib import Path

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.proc import env_for, free_port, run, start_server, wait_until_gone

PASSWORD = "correct horse battery"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


async def test_https_serves_secure_cookies_and_https_links(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    data = tmp_path / "data"
    env = env_for(data)
    assert run(["user", "add", "--role", "inspector", "--username", "wang", "--password-stdin"],
               env, PASSWORD + "\n").returncode == 0
    port = free_port()
    server = start_server(env, port, extra=["--tls-cert", str(cert), "--tls-key", str(key)])
    base = f"https://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False)) as http:
            async with http.post(f"{base}/api/login", json={"username": "wang", "password": PASSWORD}) as resp:
                assert resp.status == 200
                assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
                assert all("Secure" in c for c in resp.headers.getall("Set-Cookie"))
                auth = {"Authorization": f"Bearer {(await resp.json())['token']}"}
            async with http.post(f"{base}/api/cases", json={"title": "t"}, headers=auth) as resp:
                case = await resp.json()
            async with http.post(f"{base}/api/cases/{case['id']}/interviews", json={}, headers=auth) as resp:
                interview = await resp.json()
            async with http.post(f"{base}/api/interviews/{interview['id']}/invites",
                                 json={"name": "张三", "role": "worker"}, headers=auth) as resp:
                assert (await resp.json())["url"].startswith(f"{base}/j/zmi_")
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    assert wait_until_gone(str(data)) == []


def test_bad_tls_files_are_one_clear_sentence(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    env = env_for(tmp_path / "data")
    for args, expected in (
        (["--tls-cert", str(cert)], "--tls-cert and --tls-key go together."),
        (["--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key)], "no such file"),
        (["--tls-cert", str(key), "--tls-key", str(cert)], "Cannot use the certificate"),
    ):
        done = run(["serve", "--port", str(free_port()), *args], env)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], done.stderr
