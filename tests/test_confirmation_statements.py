"""The statements the server signs for a record: a party's answer and an officer's
signature, each checked without the database (evidence/confirmation.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence import confirmation
from evidence.discrepancy import Kind

PNG = b"\x89PNG drawn"


def officer() -> dict:
    return confirmation.officer_statement(
        signature_id="s1", interview_id="i1", version=2, record_sha256="r" * 64,
        text_sha256="t" * 64, username="wang", name="王检查", badge="37010020261234",
        signature_sha256=hashlib.sha256(PNG).hexdigest(), at="2026-12-02T10:00:00+00:00")


def test_an_officers_signature_holds_and_each_change_is_named() -> None:
    key = Ed25519PrivateKey.generate()
    stated = officer()
    signed = confirmation.sign_officer(key, stated)
    args = {"record_sha256": "r" * 64, "text_sha256": "t" * 64, "signature_png": PNG}
    def check(stated: dict, signed: str, **changed: Any) -> list[str]:
        return [str(p) for p in confirmation.check_officer(stated, signed, key.public_key(),
                                                            **{**args, **changed})]

    assert check(stated, signed) == []
    other = {**stated, "officer": {**stated["officer"], "badge": "99999999"}}
    assert check(other, signed) == ["the server's signature over the statement does not verify"]
    assert check(stated, signed, text_sha256="x") == [
        "the text it binds is not the text of the stored version"]
    assert check(stated, signed, signature_png=None) == ["its signature image is missing"]
    assert check(stated, "zz") == ["the server's signature over the statement does not verify"]


def test_the_two_statements_cannot_pass_for_each_other() -> None:
    """Each has its own signature domain: a party's confirmation signature never verifies
    as an officer's, even over the same bytes."""
    key = Ed25519PrivateKey.generate()
    stated = officer()
    as_party = confirmation.sign(key, stated)
    problems = confirmation.check_officer(stated, as_party, key.public_key(), record_sha256="r" * 64,
                                          text_sha256="t" * 64, signature_png=PNG)
    assert [(p.kind, str(p)) for p in problems] == [
        (Kind.SIGNATURE, "the server's signature over the statement does not verify")]
