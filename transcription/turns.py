"""All parties' utterances merged into the 问/答 turns of an inquiry record.

Order is by start time on the interview clock. An utterance is never split, so one
party's words never get interleaved with another's: when two parties overlap, each keeps
its whole utterance and the earlier start goes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transcription.filters import units
from transcription.pipeline import Utterance

INTERJECTION_S = 1.5
INTERJECTION_UNITS = 2  # "嗯", "对", "是的", "yes", "okay"; "I have worked" is a piece, not one
_ZH_END = "。！？；，、…!?;,"


@dataclass(frozen=True)
class Turn:
    speaker: str
    role: str
    kind: str  # "question" (staff, 问) or "answer" (everyone else, 答)
    participant_id: str
    start: float
    end: float
    text: str
    confidence: float
    audio: dict[str, Any]  # {"recording_id", "from", "to", "start_ms"}
    flags: tuple[str, ...] = ()  # "echo": another party's words, heard again (echo.py)

    def as_dict(self) -> dict[str, Any]:
        """The turn object of a record version (docs/records.md)."""
        turn = {"speaker": self.speaker, "role": self.role, "kind": self.kind,
                "start": round(self.start, 2), "end": round(self.end, 2), "text": self.text,
                "confidence": self.confidence, "participant_id": self.participant_id,
                "audio": dict(self.audio)}
        if self.flags:
            turn["flags"] = list(self.flags)
        return turn


def merge_turns(utterances: list[Utterance], language: str) -> list[Turn]:
    """Turns from every party's utterances: consecutive pieces of one speaker join, short
    interjections and flagged echoes stay turns of their own."""
    groups: list[list[Utterance]] = []
    for u in sorted(utterances, key=lambda u: (u.start, u.end, u.participant_id)):
        last = groups[-1] if groups else None
        if (last and last[-1].participant_id == u.participant_id
                and not _alone(last[-1], language) and not _alone(u, language)):
            last.append(u)
        else:
            groups.append([u])
    return [_turn(group, language) for group in groups]


def is_interjection(u: Utterance, language: str) -> bool:
    """A short acknowledgement ("嗯", "对", "yes"): its own turn, never folded into another."""
    return u.end - u.start <= INTERJECTION_S and len(units(u.text)) <= INTERJECTION_UNITS


def _alone(u: Utterance, language: str) -> bool:
    return u.echo or is_interjection(u, language)


def kind_of(role: str) -> str:
    return "question" if role == "inspector" else "answer"


def _turn(group: list[Utterance], language: str) -> Turn:
    first = group[0]
    same_recording = [u for u in group if u.recording_id == first.recording_id]
    audio = {"recording_id": first.recording_id,
             "from": min(u.seq_from for u in same_recording),
             "to": max(u.seq_to for u in same_recording),
             "start_ms": first.start_ms}
    return Turn(first.speaker, first.role, kind_of(first.role), first.participant_id,
                first.start, max(u.end for u in group), join_text([u.text for u in group], language),
                _weighted_confidence(group), audio, ("echo",) if first.echo else ())


def join_text(texts: list[str], language: str) -> str:
    """Chinese pieces run on (a "，" where a piece ends without punctuation); English ones
    are joined by a space."""
    if language != "zh":
        return " ".join(t.strip() for t in texts if t.strip())
    out = ""
    for text in (t.strip() for t in texts):
        if out and text and out[-1] not in _ZH_END:
            out += "，"
        out += text
    return out


def _weighted_confidence(group: list[Utterance]) -> float:
    weights = [max(u.end - u.start, 0.01) for u in group]
    return round(sum(w * u.confidence for w, u in zip(weights, group)) / sum(weights), 3)
