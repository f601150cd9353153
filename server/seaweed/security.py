"""weed's own locks: JWT keys for HTTP writes and reads, mutual TLS for gRPC.

Object lock binds weed's S3 API only; its master, volume and filer servers and every
gRPC port take orders of their own. `write_security` gives them a security.toml in
weed's -config_dir: HS256 keys that volume (and filer) HTTP demand for every write,
delete and read, and certificates that every gRPC server demands of its clients. With
the master's and filer's HTTP APIs off (see command.py) that leaves S3 as the one way in
without these files. Keys and certificates are new at every start: nothing weed stores
is signed with them, so a data dir from before them needs nothing, and a copy taken
from an earlier run opens nothing.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from server.seaweed.files import write_private

# Every gRPC component weed mini runs or dials as; each gets the same certificate.
GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "client")
_JWT_SECTIONS = ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")
_CERT_DAYS = 3650  # weed may run for years between restarts; the CA's key is gone anyway
_LOOPBACK = ipaddress.IPv4Address("127.0.0.1")
_CA_NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zeromeet embedded store CA")])


@dataclass(frozen=True)
class SecurityFiles:
    """Where weed finds its keys and certificates: each file 0600, tls/ 0700."""

    config: Path  # security.toml
    ca: Path
    cert: Path
    key: Path


def write_security(root: Path) -> SecurityFiles:
    """Fresh JWT keys and gRPC certificates for the weed whose -config_dir is `root`."""
    tls = root / "tls"
    files = SecurityFiles(root / "security.toml", tls / "ca.crt", tls / "weed.crt", tls / "weed.key")
    tls.mkdir(mode=0o700, exist_ok=True)
    tls.chmod(0o700)
    ca_pem, cert_pem, key_pem = _certificates()
    write_private(files.ca, ca_pem)
    write_private(files.cert, cert_pem)
    write_private(files.key, key_pem)
    write_private(files.config, _security_toml(files).encode())  # last: it names the others
    return files


def _security_toml(files: SecurityFiles) -> str:
    lines = [
        "# Written by zeromeet at each start of the embedded store; edits are lost.",
        "[access]",
        "ui = false",
        "[filer.expose_directory_metadata]",
        "enabled = false",
    ]
    for section in _JWT_SECTIONS:
        lines += [f"[{section}]", f'key = "{secrets.token_urlsafe(32)}"',
                  "expires_after_seconds = 10"]
    lines += ["[grpc]", f"ca = {_quoted(files.ca)}"]
    for component in GRPC_COMPONENTS:
        lines += [f"[grpc.{component}]", f"cert = {_quoted(files.cert)}",
                  f"key = {_quoted(files.key)}"]
    return "\n".join(lines) + "\n"


def _certificates() -> tuple[bytes, bytes, bytes]:
    """A one-off CA, and one certificate it signs for server and client use alike.

    The CA's private key is dropped here: no one, zeromeet included, can sign another
    certificate that weed would accept.
    """
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _builder(_CA_NAME, ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        _builder(_name("zeromeet-weed"), key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(  # weed checks no host name; others may
            [x509.DNSName("localhost"), x509.IPAddress(_LOOPBACK)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return ca.public_bytes(pem), cert.public_bytes(pem), key_pem


def _builder(subject: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    """A certificate for `subject` issued by our CA, valid from a moment ago."""
    now = datetime.datetime.now(datetime.UTC)
    return x509.CertificateBuilder(
        subject_name=subject, issuer_name=_CA_NAME, public_key=public_key,
        serial_number=x509.random_serial_number(),
        not_valid_before=now - datetime.timedelta(minutes=5),  # a clock a little behind
        not_valid_after=now + datetime.timedelta(days=_CERT_DAYS),
    )


def _quoted(path: Path) -> str:
    return json.dumps(str(path))  # a JSON string is a TOML basic string, escapes and all


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
