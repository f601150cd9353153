"""A party's answer to an inquiry record, as a statement the server signs.

The statement binds the record version's hash, the hash of the exact text the party was
shown, the decision (and a refusal's reason), the hash of the drawn signature, the time
and the invitation. Anyone with the server's public key, the record version and the
signature image can check it later, without the database: `check` names what is wrong.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evidence.chain import canonical_json
from evidence.discrepancy import Discrepancy, Kind

FORMAT = "zeromeet.confirmation/1"
_DOMAIN = b"zeromeet confirmation v1\n"  # so this signature can never pass as a seal's
DECISIONS = ("confirmed", "refused")


def statement(*, confirmation_id: str, interview_id: str, invitation_id: str, name: str,
              role: str, version: int, record_sha256: str, text_sha256: str, decision: str,
              reason: str, signature_sha256: str, at: str) -> dict[str, Any]:
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, not {decision!r}")
    return {
        "format": FORMAT, "id": confirmation_id, "interview_id": interview_id,
        "invitation_id": invitation_id, "name": name, "role": role, "version": version,
        "record_sha256": record_sha256, "text_sha256": text_sha256, "decision": decision,
        "reason": reason, "signature_sha256": signature_sha256, "at": at,
    }


def message(stated: dict[str, Any]) -> bytes:
    return _DOMAIN + canonical_json(stated)


def sign(key: Ed25519PrivateKey, stated: dict[str, Any]) -> str:
    return key.sign(message(stated)).hex()


def check(stated: dict[str, Any], signature_hex: str, public_key: Ed25519PublicKey, *,
          record_sha256: str, text_sha256: str, signature_png: bytes | None) -> list[Discrepancy]:
    """Every reason this confirmation does not hold, given the version it names (its
    content hash and its rendered text's hash) and the stored signature image."""
    problems = []
    try:
        public_key.verify(bytes.fromhex(signature_hex), message(stated))
    except (InvalidSignature, ValueError):
        problems.append(_UNSIGNED)
    problems += _binds(stated, record_sha256=record_sha256, text_sha256=text_sha256)
    if stated.get("decision") == "confirmed":
        problems += _image(stated, signature_png)
    return problems


_UNSIGNED = Discrepancy(Kind.SIGNATURE, "", "the server's signature over the statement does not verify")


def _binds(stated: dict[str, Any], *, record_sha256: str, text_sha256: str) -> list[Discrepancy]:
    """Whether a statement names the stored version and its stored text."""
    problems = []
    if stated.get("record_sha256") != record_sha256:
        problems.append(Discrepancy(Kind.DIFFERS, "",
                                    "it names a different record version than the one stored"))
    if stated.get("text_sha256") != text_sha256:
        problems.append(Discrepancy(Kind.DIFFERS, "",
                                    "the text it binds is not the text of the stored version"))
    return problems


def _image(stated: dict[str, Any], signature_png: bytes | None) -> list[Discrepancy]:
    """Whether the drawn signature a statement binds is there, and is the one it binds."""
    if signature_png is None:
        return [Discrepancy(Kind.MISSING, "", "its signature image is missing")]
    if hashlib.sha256(signature_png).hexdigest() != stated.get("signature_sha256"):
        return [Discrepancy(Kind.ALTERED, "", "its signature image is not the one it binds")]
    return []


# --- an officer's signature -------------------------------------------------------------
# An inspector signs a record version beside the interviewee (询问人签名), on the same
# pad. The server signs a statement binding the version, its text, who signed (with the
# enforcement certificate number the record names) and the drawn signature's hash.

OFFICER_FORMAT = "zeromeet.officer-signature/1"
_OFFICER_DOMAIN = b"zeromeet officer signature v1\n"


def officer_statement(*, signature_id: str, interview_id: str, version: int, record_sha256: str,
                      text_sha256: str, username: str, name: str, badge: str,
                      signature_sha256: str, at: str) -> dict[str, Any]:
    return {"format": OFFICER_FORMAT, "id": signature_id, "interview_id": interview_id,
            "version": version, "record_sha256": record_sha256, "text_sha256": text_sha256,
            "officer": {"username": username, "name": name, "badge": badge},
            "signature_sha256": signature_sha256, "at": at}


def sign_officer(key: Ed25519PrivateKey, stated: dict[str, Any]) -> str:
    return key.sign(_OFFICER_DOMAIN + canonical_json(stated)).hex()


def check_officer(stated: dict[str, Any], signature_hex: str, public_key: Ed25519PublicKey, *,
                  record_sha256: str, text_sha256: str, signature_png: bytes | None) -> list[Discrepancy]:
    """Every reason an officer's signature does not hold, given the version it names and
    the stored image."""
    problems = []
    try:
        public_key.verify(bytes.fromhex(signature_hex), _OFFICER_DOMAIN + canonical_json(stated))
    except (InvalidSignature, ValueError, TypeError):
        problems.append(_UNSIGNED)
    problems += _binds(stated, record_sha256=record_sha256, text_sha256=text_sha256)
    return problems + _image(stated, signature_png)
