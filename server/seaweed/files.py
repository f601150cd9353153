"""The embedded store's files: credentials, weed's identities, its log."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
from pathlib import Path

from server.errors import ConfigError

log = logging.getLogger("server.seaweed")

_LOG_ROTATE_BYTES = 16 << 20


def load_or_create_credentials(path: Path) -> tuple[str, str]:
    """Keys generated on first run and reused after, in a file only we may read."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            log.warning("%s was readable by others; making it 0600", path)
            path.chmod(0o600)
        try:
            data = json.loads(path.read_text())
            return str(data["access_key"]), str(data["secret_key"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"{path} is not a valid credentials file; delete it and zeromeet "
                f"will make new keys for the embedded object store."
            ) from None
    access_key = "ZM" + secrets.token_hex(9).upper()
    secret_key = secrets.token_urlsafe(30)
    _write_private(path, {"access_key": access_key, "secret_key": secret_key})
    log.info("Generated credentials for the embedded object store in %s", path)
    return access_key, secret_key


def write_identities(path: Path, access_key: str, secret_key: str) -> None:
    """weed's S3 identities: only our key pair, and no anonymous access."""
    identity = {
        "name": "zeromeet",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }
    _write_private(path, {"identities": [identity]})


def write_private(path: Path, data: bytes) -> None:
    """Write atomically, created 0600 so a secret is never readable by others, not even briefly."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _write_private(path: Path, data: dict[str, object]) -> None:
    write_private(path, json.dumps(data, indent=2).encode())


def rotate_log(log_path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if log_path.stat().st_size > _LOG_ROTATE_BYTES:
            os.replace(log_path, log_path.with_suffix(".log.1"))
