"""The bag: its public key, the signature over the tag manifest, both manifests (every
file listed, none unlisted, each hash) and Payload-Oxum."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from evidence import bundle as bag
from evidence.discrepancy import Discrepancy, Kind
from evidence.reader import KEY_LIMIT, READ_LIMIT
from evidence.sources import too_large
from evidence.verify.state import CheckerState


class BagChecks(CheckerState):
    def _key(self) -> None:
        inside = self.read(bag.PUBLIC_KEY, KEY_LIMIT) if bag.PUBLIC_KEY in self.present else None
        pem = self.given_key or inside
        self.report.key_source = "the key given" if self.given_key else \
            "the key inside the bundle; pass --public-key to check against a key you trust"
        if pem is None:
            return
        if len(pem) > KEY_LIMIT:
            self.problem(Discrepancy(Kind.MALFORMED, "public key", str(too_large(len(pem), KEY_LIMIT))))
            return
        self.report.key_sha256 = hashlib.sha256(pem).hexdigest()
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError:
            self.problem(Discrepancy(Kind.MALFORMED, "public key", "not a PEM public key"))
            return
        except UnsupportedAlgorithm:  # a key, e.g. on the SM2 curve, but not one this check knows
            key = None
        if not isinstance(key, Ed25519PublicKey):
            self.problem(Discrepancy(Kind.MALFORMED, "public key", "not an Ed25519 key"))
            return
        self.key = key
        if self.given_key and inside is not None and _raw(inside) != _raw(self.given_key):
            self.problem(Discrepancy(Kind.SIGNATURE, bag.PUBLIC_KEY,
                                     "not the public key given (the bundle names another signer)"))

    def _signature(self) -> None:
        if self.key is None or bag.SIGNED not in self.present or bag.SIGNATURE not in self.present:
            return
        signature, signed = self.read(bag.SIGNATURE, KEY_LIMIT), self.read(bag.SIGNED, READ_LIMIT)
        if signature is None or signed is None:
            return
        try:
            self.key.verify(signature, signed)
        except (InvalidSignature, ValueError):
            self.problem(Discrepancy(Kind.SIGNATURE, bag.SIGNATURE,
                                     f"the signature over {bag.SIGNED} does not verify with the public key"))

    def _manifest(self, name: str, covers: Callable[[str], bool]) -> dict[str, str] | None:
        text = self.read(name, READ_LIMIT) if name in self.present else None
        if text is None:
            return None
        listed: dict[str, str] = {}
        for number, line in enumerate(text.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            digest, _, path = line.strip().partition(" ")
            path = path.strip().lstrip("*")
            if not path or len(digest) != 64:
                self.problem(Discrepancy(Kind.MALFORMED, name, f"line {number} is not '<sha256> <path>'"))
                continue
            listed[path] = digest.lower()
        for path, digest in sorted(listed.items()):
            if path not in self.present:
                self.problem(Discrepancy(Kind.MISSING, path, f"listed in {name} but missing"))
            elif self._differs(path, digest):
                self.problem(Discrepancy(Kind.ALTERED, path, f"its SHA-256 does not match {name} (altered)"))
        for path in sorted(self.present):
            if covers(path) and path not in listed:
                self.problem(Discrepancy(Kind.UNEXPECTED, path, f"a file that {name} does not list"))
        return listed

    def _oxum(self, payload: dict[str, str]) -> None:
        if "bag-info.txt" not in self.present or self.unreadable & payload.keys():
            return  # an unreadable file is named already; its size is not known
        info = self.read("bag-info.txt", READ_LIMIT) or b""
        for line in info.decode("utf-8", "replace").splitlines():
            if line.startswith("Payload-Oxum:"):
                size = sum(self.sizes.get(p, 0) for p in payload)
                if line.split(":", 1)[1].strip() != f"{size}.{len(payload)}":
                    self.problem(Discrepancy(Kind.DIFFERS, "bag-info.txt",
                                             "Payload-Oxum does not match the payload"))


def is_tag_file(path: str) -> bool:
    return not path.startswith("data/") and path not in (bag.SIGNED, bag.SIGNATURE)


def is_payload(path: str) -> bool:
    return path.startswith("data/")


def _raw(pem: bytes) -> bytes:
    try:
        key = serialization.load_pem_public_key(pem)
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return pem
