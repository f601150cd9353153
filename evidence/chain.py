"""Hash chains over recording segments, and the signed seal that closes one.

A recording (one party's audio, or its video) is a sequence of segments. Each segment
gets a link: SHA-256 over length-prefixed fields — a tag, the previous link, the
segment's sequence number, SHA-256 and size, its first and last arrival on the
interview clock (microseconds since the Unix epoch), the RTP timestamps it covers and
whether it follows a gap. The first segment's "previous link" is the recording's
genesis, which binds the chain to one recording of one participant in one interview.
Changing, removing, adding or reordering any segment changes every later link, so the
signed head (the seal) vouches for the whole sequence.

Pure functions only: no I/O. The same code runs in the server and in `zeromeet verify`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from types import SimpleNamespace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evidence.discrepancy import Discrepancy, Kind

GENESIS_TAG = b"zeromeet/recording/v1"
LINK_TAG = b"zeromeet/segment-link/v1"
SEAL_TAG = b"zeromeet/recording-seal/v1"

Field = bytes | str | int | bool


def encode_fields(*fields: Field) -> bytes:
    """Each field as a 4-byte big-endian length and its bytes: no two field lists collide."""
    out = bytearray()
    for field in fields:
        if isinstance(field, bool):
            raw = b"\x01" if field else b"\x00"
        elif isinstance(field, int):
            raw = field.to_bytes(8, "big", signed=True)
        elif isinstance(field, str):
            raw = field.encode("utf-8")
        else:
            raw = bytes(field)
        out += len(raw).to_bytes(4, "big") + raw
    return bytes(out)


def genesis(recording_id: str, interview_id: str, participant_id: str, kind: str) -> str:
    return hashlib.sha256(
        encode_fields(GENESIS_TAG, recording_id, interview_id, participant_id, kind)
    ).hexdigest()


LINKED = ("seq", "sha256", "size", "first_arrival_us", "last_arrival_us", "rtp_first",
          "rtp_last", "gap")  # what a link binds of a segment, in this order


def link(previous: str, segment: Any) -> str:
    """The link after `previous` for `segment`: anything with the `LINKED` attributes (an
    `evidence.segment.SegmentStored`, a manifest entry read by `check_chain`)."""
    return hashlib.sha256(encode_fields(
        LINK_TAG, bytes.fromhex(previous), segment.seq, bytes.fromhex(segment.sha256),
        segment.size, segment.first_arrival_us, segment.last_arrival_us, segment.rtp_first,
        segment.rtp_last, segment.gap,
    )).hexdigest()


@dataclass(frozen=True)
class Seal:
    """The signed end of a chain. `status` is "ended" or "interrupted" (the server
    stopped mid-recording; `interrupted_at_us` is the last arrival that survived)."""

    recording_id: str
    head: str
    segments: int
    sealed_at_us: int
    status: str
    interrupted_at_us: int = -1
    signature: str = ""

    def message(self) -> bytes:
        return encode_fields(SEAL_TAG, self.recording_id, bytes.fromhex(self.head), self.segments,
                             self.sealed_at_us, self.status, self.interrupted_at_us)

    def signed(self, key: Ed25519PrivateKey) -> Seal:
        return Seal(**{**asdict(self), "signature": key.sign(self.message()).hex()})

    def verifies(self, public_key: Ed25519PublicKey) -> bool:
        """False too when a field read from a manifest has the wrong type or range."""
        try:
            public_key.verify(bytes.fromhex(self.signature), self.message())
        except (InvalidSignature, ValueError, TypeError, OverflowError):
            return False
        return True


def check_chain(
    recording_id: str, interview_id: str, participant_id: str, kind: str,
    segments: list[dict[str, Any]], seal: Seal | None, public_key: Ed25519PublicKey | None,
) -> list[Discrepancy]:
    """Problems with a recording's manifest entries, in order; [] when it all holds.

    `segments` are manifest entries (the `LINKED` fields plus "link"). This checks the
    links and the seal only; whether each segment's bytes hash to its `sha256` is the
    caller's job (it holds the bytes).
    """
    problems: list[Discrepancy] = []
    previous = genesis(recording_id, interview_id, participant_id, kind)
    for expected_seq, entry in enumerate(segments, start=1):
        try:
            facts = SimpleNamespace(**{k: entry[k] for k in LINKED})
            computed = link(previous, facts)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            problems.append(Discrepancy(Kind.MALFORMED, f"segment {expected_seq}",
                                        f"unreadable chain entry ({exc})"))
            return problems
        if facts.seq != expected_seq:
            problems.append(Discrepancy(Kind.CHAIN, f"segment {expected_seq}",
                                        f"sequence number {facts.seq} is out of place "
                                        "(a segment is missing or reordered)"))
        if entry.get("link") != computed:
            problems.append(Discrepancy(Kind.CHAIN, f"segment {facts.seq}",
                                        "chain link does not match its contents and predecessor"))
        previous = computed
    if seal is None:
        problems.append(Discrepancy(Kind.UNSEALED, "", "the recording is not sealed"))
        return problems
    if seal.recording_id != recording_id:
        problems.append(Discrepancy(Kind.CHAIN, "", "the seal belongs to another recording"))
    if seal.segments != len(segments):
        problems.append(Discrepancy(Kind.CHAIN, "", f"the seal covers {seal.segments} segments, "
                                                    f"the manifest lists {len(segments)}"))
    if seal.head != previous:
        problems.append(Discrepancy(Kind.CHAIN, "", "the seal's head is not the last link of the chain"))
    if public_key is not None and not seal.verifies(public_key):
        problems.append(Discrepancy(Kind.SIGNATURE, "",
                                    "the seal's signature does not verify with the public key"))
    return problems


def canonical_json(value: Any) -> bytes:
    """Stable bytes for manifests: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_sha256(value: Any) -> str:
    """The SHA-256 of `canonical_json(value)`: how a record version is named."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
