"""Echo between parties: a phone on speaker lets the inspector's voice back into the
worker's microphone, and per-party transcription then writes the same words twice, once
on the wrong side of the 问/答.

A line is flagged as an echo when another party said nearly the same words at nearly
the same time; of the two, the later one is the echo (sound comes back after it went
out), or, starting together, the less confident. Flagged lines stay in the draft, as
lines of their own, for the inspector to judge: nothing is deleted.
"""

from __future__ import annotations

from dataclasses import replace
from difflib import SequenceMatcher

from transcription.filters import units
from transcription.pipeline import Utterance

OVERLAP = 0.5  # share of the shorter line's time both lines span
SIMILAR = 0.6  # share of the shorter line's words found again, in order, in the other
_TOGETHER_S = 0.05


def flag_echoes(utterances: list[Utterance], language: str) -> list[Utterance]:
    """The same utterances, with `echo` set on each that repeats another party's."""
    del language  # units() already splits Chinese by character and English by word
    ordered = sorted(range(len(utterances)), key=lambda i: utterances[i].start)
    words = [units(u.text) for u in utterances]
    echoes: set[int] = set()
    for position, i in enumerate(ordered):
        a = utterances[i]
        for j in ordered[position + 1:]:
            b = utterances[j]
            if b.start >= a.end:
                break
            if a.participant_id != b.participant_id and _overlap(a, b) and \
                    _similar(words[i], words[j]):
                echoes.add(_echo_of(i, a, j, b))
    return [replace(u, echo=True) if i in echoes else u for i, u in enumerate(utterances)]


def _overlap(a: Utterance, b: Utterance) -> bool:
    shared = min(a.end, b.end) - max(a.start, b.start)
    return shared > 0 and shared >= OVERLAP * min(a.end - a.start, b.end - b.start)


def _similar(a: list[str], b: list[str]) -> bool:
    if not a or not b:
        return False
    matched = sum(block.size for block in SequenceMatcher(None, a, b, autojunk=False)
                  .get_matching_blocks())
    return matched >= SIMILAR * min(len(a), len(b))


def _echo_of(i: int, a: Utterance, j: int, b: Utterance) -> int:
    if b.start - a.start > _TOGETHER_S:
        return j
    return j if (b.confidence, j) <= (a.confidence, i) else i
