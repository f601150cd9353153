"""Recording chains and seals: every change to a segment's facts, order or seal is caught."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence import chain
from evidence.segment import SegmentClosed

KEY = Ed25519PrivateKey.generate()
IDS = ("rec-1", "interview-1", "party-1", "video")


def build(n: int = 4) -> tuple[list[dict], chain.Seal]:
    entries, head = [], chain.genesis(*IDS)
    for seq in range(1, n + 1):
        closed = SegmentClosed(path=Path(f"{seq}.webm"), sha256=f"{seq:064x}", size=1000 + seq,
                               frames=100, first_arrival_us=seq * 2_000_000,
                               last_arrival_us=seq * 2_000_000 + 1, rtp_first=seq * 180_000,
                               rtp_last=seq * 180_000 + 3000, start_ms=seq * 2000,
                               end_ms=seq * 2000 + 2000, gap=seq == 3, codec="VP8")
        stored = closed.chained(seq, head)
        head = stored.link
        entries.append(stored.manifest_entry(f"recordings/rec-1/{seq:06d}.webm"))
    seal = chain.Seal(recording_id="rec-1", head=head, segments=n, sealed_at_us=9, status="ended")
    return entries, seal.signed(KEY)


def problems(entries: list[dict], seal: chain.Seal | None, key=KEY.public_key()) -> list[str]:  # noqa: ANN001
    return [str(p) for p in chain.check_chain(*IDS, entries, seal, key)]


def test_an_untouched_chain_verifies() -> None:
    entries, seal = build()
    assert problems(entries, seal) == []


@pytest.mark.parametrize("field,value", [
    ("sha256", "f" * 64), ("size", 7), ("first_arrival_us", 1), ("last_arrival_us", 1),
    ("rtp_first", 5), ("rtp_last", 5), ("gap", True),
])
def test_changing_any_fact_of_a_segment_names_it(field: str, value: object) -> None:
    entries, seal = build()
    entries[1][field] = value
    assert problems(entries, seal)[0] == ("segment 2: chain link does not match its contents "
                                          "and predecessor")


def test_a_removed_or_swapped_segment_is_named() -> None:
    entries, seal = build()
    del entries[2]
    found = problems(entries, seal)
    assert "segment 3: sequence number 4 is out of place (a segment is missing or reordered)" in found
    entries, seal = build()
    entries[1], entries[2] = entries[2], entries[1]
    assert problems(entries, seal)[0].startswith("segment 2: sequence number 3 is out of place")


def test_the_chain_belongs_to_one_recording() -> None:
    entries, seal = build()
    assert str(chain.check_chain("rec-2", *IDS[1:], entries, seal, KEY.public_key())[0]).startswith(
        "segment 1: chain link does not match")


def test_a_forged_or_truncated_seal_is_caught() -> None:
    entries, seal = build()
    assert problems(entries[:-1], seal) == [
        "the seal covers 4 segments, the manifest lists 3",
        "the seal's head is not the last link of the chain"]
    assert problems(entries, dataclasses.replace(seal, status="interrupted")) == [
        "the seal's signature does not verify with the public key"]
    other = Ed25519PrivateKey.generate()
    assert problems(entries, seal, other.public_key()) == [
        "the seal's signature does not verify with the public key"]
    assert problems(entries, None) == ["the recording is not sealed"]


def test_fields_are_length_prefixed() -> None:
    assert chain.encode_fields("ab", "c") != chain.encode_fields("a", "bc")
    assert chain.encode_fields(1) == b"\x00\x00\x00\x08" + (1).to_bytes(8, "big")
