"""The custody log: every evidence action of a case as an event that hashes its predecessor.

An event is a small JSON object (case, sequence number, time, action, actor, item,
detail, the previous event's hash). Its hash is SHA-256 over a tag, the previous hash and
the event's canonical JSON, so changing, removing, inserting or reordering any event
breaks every later link. A checkpoint is the server's Ed25519 signature over the head
hash at a sequence number: it pins the log up to there against whoever runs the server,
once its public key is published.

Pure functions only: the same code runs in the server, `zeromeet custody check` and
`zeromeet verify`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evidence.chain import canonical_json, encode_fields
from evidence.discrepancy import Discrepancy, Kind

GENESIS_TAG = b"zeromeet/custody/v1"
EVENT_TAG = b"zeromeet/custody-event/v1"
_CHECKPOINT_DOMAIN = b"zeromeet custody checkpoint v1\n"  # never valid as a seal or confirmation

ACTIONS = ("captured", "derived", "stored", "viewed", "downloaded", "exported",
           "record_edited", "record_confirmed", "record_refused", "record_signed", "access_granted",
           "notified", "notify_failed",  # a text message to a party's phone, and one that did not go
           # a complaint's own log (its id as the log's id), and its link into a case's log
           "complaint_received", "complaint_file_added", "complaint_claimed",
           "complaint_transferred", "transfer_taken", "transfer_returned",
           "complaint_accepted", "complaint_refused", "complaint_referred",
           "deadline_set", "complaint_closed", "complaint_linked", "material_requested",
           "complaint_suspended", "complaint_resumed", "complaint_reply_shown")
FIELDS = ("case_id", "seq", "at", "action", "actor", "item_id", "detail", "prev")


def genesis(case_id: str) -> str:
    return hashlib.sha256(encode_fields(GENESIS_TAG, case_id)).hexdigest()


def event_hash(event: dict[str, Any]) -> str:
    body = {k: event.get(k) for k in FIELDS}
    return hashlib.sha256(encode_fields(
        EVENT_TAG, bytes.fromhex(str(body["prev"])), canonical_json(body))).hexdigest()


def make_event(*, case_id: str, seq: int, at: str, action: str, actor: dict[str, Any],
               item_id: str | None, detail: dict[str, Any], prev: str) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ValueError(f"unknown custody action {action!r}")
    event = {"case_id": case_id, "seq": seq, "at": at, "action": action, "actor": actor,
             "item_id": item_id, "detail": detail, "prev": prev}
    return {**event, "hash": event_hash(event)}


def checkpoint_message(case_id: str, seq: int, head: str, at: str) -> bytes:
    return _CHECKPOINT_DOMAIN + canonical_json({"case_id": case_id, "seq": seq, "head": head, "at": at})


def sign_checkpoint(key: Ed25519PrivateKey, *, case_id: str, seq: int, head: str,
                    at: str) -> dict[str, Any]:
    signature = key.sign(checkpoint_message(case_id, seq, head, at)).hex()
    return {"case_id": case_id, "seq": seq, "head": head, "at": at, "algorithm": "Ed25519",
            "signature": signature}


def check_log(case_id: str, events: list[dict[str, Any]], checkpoints: list[dict[str, Any]],
              public_key: Ed25519PublicKey | None) -> list[Discrepancy]:
    """Every problem with a case's log, in order, naming events by sequence number; the
    first one is the first broken link. [] when the chain and the checkpoints hold."""
    problems: list[Discrepancy] = []
    previous = genesis(case_id)
    heads: dict[int, str] = {}
    for expected, event in enumerate(events, start=1):
        where = f"custody event {expected}"
        if not isinstance(event, dict):
            problems.append(Discrepancy(Kind.MALFORMED, where, "unreadable"))
            return problems
        if event.get("seq") != expected:
            problems.append(Discrepancy(Kind.CHAIN, where, f"sequence number {event.get('seq')} is out "
                                        "of place (an event is missing, added or reordered)"))
        if event.get("case_id") != case_id:
            problems.append(Discrepancy(Kind.CHAIN, where, "belongs to another case"))
        if event.get("prev") != previous:
            problems.append(Discrepancy(Kind.CHAIN, where,
                                        "does not follow the event before it (broken link)"))
        try:
            computed = event_hash(event)
        except (ValueError, TypeError):
            problems.append(Discrepancy(Kind.MALFORMED, where, "unreadable previous hash"))
            return problems
        if event.get("hash") != computed:
            problems.append(Discrepancy(Kind.ALTERED, f"{where} ({event.get('action')})",
                                        "its hash does not match its contents"))
        previous = str(event.get("hash"))
        heads[expected] = previous
    for number, point in enumerate(checkpoints, start=1):
        seq = point.get("seq")
        if not is_seq(seq):
            problems.append(Discrepancy(Kind.MALFORMED, f"custody checkpoint {number}",
                                        f"its sequence number {seq!r} is not a whole number"))
            continue
        where = f"custody checkpoint at event {seq}"
        if point.get("case_id") != case_id:
            problems.append(Discrepancy(Kind.CHAIN, where, "belongs to another case"))
        if heads.get(seq) != point.get("head"):
            problems.append(Discrepancy(Kind.CHAIN, where, "the log's head there is not the signed head "
                                        "(events were changed or removed after it was signed)"))
        if public_key is not None and not checkpoint_verifies(point, public_key):
            problems.append(Discrepancy(Kind.SIGNATURE, where,
                                        "its signature does not verify with the public key"))
    return problems


def is_seq(value: Any) -> bool:
    """Whether a value read from JSON can be a sequence number: an int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def checkpoint_verifies(point: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    try:
        message = checkpoint_message(point["case_id"], point["seq"], point["head"], point["at"])
        public_key.verify(bytes.fromhex(point["signature"]), message)
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True
