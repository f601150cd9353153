"""An interview's text chat as evidence: JSON lines, each one message and one link of a
hash chain.

A line is `{"at", "from": {"id", "name", "role"}, "text", "to", "prev", "hash"}`: the
server's time, who sent it, what they wrote, who could read it ("all", or "staff" for a
party the inspector had muted) and the chain. `hash` is SHA-256 over length-prefixed
fields: a tag, the previous line's hash, and each of the others. The first line's `prev`
is the log's genesis, which binds the log to one interview. Altering, inserting or
reordering a line, or removing one, breaks the chain there; lines cut off the end are
caught by the count and head that the evidence item and its custody event record.

Pure functions only: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from evidence.chain import canonical_json, encode_fields
from evidence.discrepancy import Discrepancy, Kind

GENESIS_TAG = b"zeromeet/chat/v1"
LINE_TAG = b"zeromeet/chat-line/v1"
AUDIENCES = ("all", "staff")


@dataclass(frozen=True)
class Sender:
    id: str
    name: str
    role: str


@dataclass(frozen=True)
class ChatLine:
    """One message as the server stamped it; `at` is server UTC time, ISO 8601."""

    at: str
    sender: Sender
    text: str
    to: str
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "from": {"id": self.sender.id, "name": self.sender.name,
                                        "role": self.sender.role},
                "text": self.text, "to": self.to, "prev": self.prev, "hash": self.hash}


def genesis(interview_id: str) -> str:
    return hashlib.sha256(encode_fields(GENESIS_TAG, interview_id)).hexdigest()


def line_hash(prev: str, at: str, sender: Sender, text: str, to: str) -> str:
    return hashlib.sha256(encode_fields(
        LINE_TAG, bytes.fromhex(prev), at, sender.id, sender.name, sender.role, text, to,
    )).hexdigest()


def make_line(prev: str, at: str, sender: Sender, text: str, to: str = "all") -> ChatLine:
    if to not in AUDIENCES:
        raise ValueError(f"unknown audience {to!r}")
    return ChatLine(at, sender, text, to, prev, line_hash(prev, at, sender, text, to))


def encode(lines: list[ChatLine]) -> bytes:
    """The log's bytes: one canonical JSON object per line, each ending in a newline."""
    return b"".join(canonical_json(line.as_dict()) + b"\n" for line in lines)


def check(interview_id: str, data: bytes, *, count: int | None = None,
          head: str | None = None) -> list[Discrepancy]:
    """Every problem with a stored chat log, in order; [] when it holds. `count` and
    `head` are what the log's evidence item recorded (lines cut off the end)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return [Discrepancy(Kind.MALFORMED, "", "the log is not UTF-8 text")]
    problems: list[Discrepancy] = []
    previous = genesis(interview_id)
    rows = text.split("\n")
    if rows[-1] == "":
        rows.pop()
    else:
        problems.append(Discrepancy(Kind.MALFORMED, "", "the log's last line is cut short (no newline)"))
    for number, raw in enumerate(rows, start=1):
        problem, previous = _check_line(number, raw, previous)
        if problem:
            problems.append(problem)
    if count is not None and count != len(rows):
        problems.append(Discrepancy(Kind.CHAIN, "", f"the log holds {len(rows)} messages, "
                                                    f"its record says {count}"))
    if head is not None and rows and head != previous:
        problems.append(Discrepancy(Kind.CHAIN, "", "the log's last hash is not the head its record names"))
    return problems


def _check_line(number: int, raw: str, previous: str) -> tuple[Discrepancy | None, str]:
    """(the problem with line `number` or None, the hash the next line must name)."""
    where = f"line {number}"
    try:
        line = json.loads(raw)
        sender = Sender(**{k: line["from"][k] for k in ("id", "name", "role")})
        values = (line["at"], sender.id, sender.name, sender.role, line["text"], line["to"],
                  line["hash"])
        if not all(isinstance(value, str) for value in values):
            raise TypeError("a field is not text")
        computed = line_hash(str(line["prev"]), line["at"], sender, line["text"], line["to"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return Discrepancy(Kind.MALFORMED, where, f"unreadable ({exc.__class__.__name__})"), previous
    if line["prev"] != previous:
        return Discrepancy(Kind.CHAIN, where, "it does not follow the line before it "
                                              "(a message is missing, added or reordered)"), line["hash"]
    if line["hash"] != computed:
        altered = Discrepancy(Kind.ALTERED, where, "its hash does not match its contents (altered)")
        return altered, line["hash"]
    return None, computed
