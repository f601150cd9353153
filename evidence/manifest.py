"""A recording's manifest: the document that makes a sealed recording evidence.

It names the recording (whose, of what, where it started), lists every segment as its
chain holds it (`SegmentStored.manifest_entry`) and carries the signed seal. The server
writes it once, when the recording is sealed, and stores it write-once; the server's
verify endpoint and `zeromeet verify` read it back with `seal_of`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from evidence import chain

FORMAT = "zeromeet-recording/1"
SEAL_ALGORITHM = "Ed25519"


def build(recording: dict[str, Any], segments: list[dict[str, Any]], seal: chain.Seal) -> dict[str, Any]:
    """`recording` says whose recording it is; it gains the chain's genesis, computed from
    its "id", "interview_id", "participant" ["id"] and "kind"."""
    genesis = chain.genesis(recording["id"], recording["interview_id"],
                            recording["participant"]["id"], recording["kind"])
    return {
        "format": FORMAT,
        "recording": {**recording, "genesis": genesis},
        "segments": segments,
        "seal": {**asdict(seal), "algorithm": SEAL_ALGORITHM},
    }


def seal_of(value: Any) -> chain.Seal | None:
    """The seal a manifest's "seal" object holds; None when it holds none, or not one
    with a seal's fields (the chain check then names the recording as unsealed)."""
    if not isinstance(value, dict):
        return None
    fields = {k: v for k, v in value.items() if k != "algorithm"}
    if not fields:
        return None
    try:
        return chain.Seal(**fields)
    except TypeError:
        return None
