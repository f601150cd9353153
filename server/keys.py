"""The server's Ed25519 signing key: made on first run in the data dir, mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.errors import ConfigError

KEY_FILE = "signing-key.pem"


def load_or_create_signing_key(data_dir: Path, *, create: bool = True) -> Ed25519PrivateKey:
    """`create=False` for tools that check what the server signed: a new key there would
    make every signature look forged."""
    path = data_dir / KEY_FILE
    if not path.exists():
        if not create:
            raise ConfigError(f"There is no signing key at {path}; set ZEROMEET_DATA_DIR to "
                              "the server's data directory.")
        _create(path)
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"The signing key {path} is readable by others; run chmod 600 on it.")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} does not hold an Ed25519 private key.")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
