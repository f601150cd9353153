"""A party's link kept sealed for the messages that follow the invitation (the reminder,
the request to sign). The link carries the invitation's token, which the database
otherwise holds only hashed, so it is kept encrypted (AES-256-GCM, bound to its
invitation's id) under a key derived from the signing key in the data dir: a copy of the
database alone opens no link."""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"zeromeet invitation link seal v1"  # never the key of anything else
_PREFIX = "v1:"


class LinkSeal:
    def __init__(self, signing_key: Ed25519PrivateKey) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            signing_key.private_bytes_raw())
        self._aead = AESGCM(key)

    def seal(self, invitation_id: str, url: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, url.encode(), invitation_id.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, invitation_id: str, sealed: str) -> str | None:
        """The link, or None when it cannot be opened (another key, another row's seal)."""
        if not sealed.startswith(_PREFIX):
            return None
        try:
            raw = base64.urlsafe_b64decode(sealed[len(_PREFIX):])
            return self._aead.decrypt(raw[:12], raw[12:], invitation_id.encode()).decode()
        except (ValueError, InvalidTag):
            return None
