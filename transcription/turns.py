"""All parties' utterances merged into the 问/答 turns of an inquiry record.

Order is by start time on the interview clock. Parties' words are never interleaved:
when two parties overlap, each keeps its whole utterance and the earlier start goes
first. The one cut made is inside an inspector's turn that holds several questions in a
row: each question becomes a turn of its own (questions.py), so that each answer can
follow its question. Answers are never cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from transcription.filters import units
from transcription.pipeline import Utterance
from transcription.questions import question_spans

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
    interjections and flagged echoes stay turns of their own, and a question turn holding
    several questions becomes one turn per question."""
    groups: list[list[Utterance]] = []
    for u in sorted(utterances, key=lambda u: (u.start, u.end, u.participant_id)):
        last = groups[-1] if groups else None
        if (last and last[-1].participant_id == u.participant_id
                and not _alone(last[-1], language) and not _alone(u, language)):
            last.append(u)
        else:
            groups.append([u])
    return [turn for group in groups for turn in _turns(group, language)]


def is_interjection(u: Utterance, language: str) -> bool:
    """A short acknowledgement ("嗯", "对", "yes"): its own turn, never folded into another."""
    return u.end - u.start <= INTERJECTION_S and len(units(u.text)) <= INTERJECTION_UNITS


def _alone(u: Utterance, language: str) -> bool:
    return u.echo or is_interjection(u, language)


def kind_of(role: str) -> str:
    return "question" if role == "inspector" else "answer"


_Span = tuple[int, int, Utterance]  # the characters of the joined text one utterance gave


def _turns(group: list[Utterance], language: str) -> list[Turn]:
    """The turn of one speaker's consecutive utterances; for a question turn holding
    several questions, one turn per question. Without word times, a cut inside an
    utterance is timed by its share of that utterance's characters."""
    text, ranges = _join([u.text for u in group], language)
    spans = [(a, b, u) for (a, b), u in zip(ranges, group)]
    pieces = [(0, len(text))]
    if kind_of(group[0].role) == "question":
        pieces = question_spans(text, language)
    starts = [group[0].start] + [_clock(spans, a, ending=False) for a, _ in pieces[1:]]
    ends = [_clock(spans, b, ending=True) for _, b in pieces[:-1]] + [max(u.end for u in group)]
    return [_turn(spans, text, piece, start, max(end, start))
            for piece, start, end in zip(pieces, starts, ends)]


def _clock(spans: list[_Span], at: int, *, ending: bool) -> float:
    """The interview-clock time of character offset `at` of the joined text: where the
    turn before it ends (`ending`), or where the one after it starts."""
    for a, b, u in spans:
        if (a < at <= b) if ending else (a <= at < b):
            return u.start + (at - a) / (b - a) * (u.end - u.start)
    if ending:  # between two utterances: the end of the one before
        return max((u.end for _, b, u in spans if b <= at), default=spans[0][2].start)
    return min((u.start for a, _, u in spans if a >= at), default=spans[-1][2].end)


def _turn(spans: list[_Span], text: str, piece: tuple[int, int], start: float,
          end: float) -> Turn:
    """The turn of characters `piece` of the joined `text`: its confidence weighs each
    utterance by its share in them, its audio is the segments of the utterances it draws
    on (of the first one's recording), from `start`."""
    lo, hi = piece
    parts = [(_share(a, b, lo, hi), u) for a, b, u in spans]
    parts = [(share, u) for share, u in parts if share > 0] or [(1.0, spans[0][2])]
    first = parts[0][1]
    same_recording = [u for _, u in parts if u.recording_id == first.recording_id]
    audio = {"recording_id": first.recording_id,
             "from": min(u.seq_from for u in same_recording),
             "to": max(u.seq_to for u in same_recording),
             "start_ms": first.start_ms + round((start - first.start) * 1000)}
    return Turn(first.speaker, first.role, kind_of(first.role), first.participant_id,
                start, end, text[lo:hi], _weighted_confidence(parts), audio,
                ("echo",) if first.echo else ())


def _share(a: int, b: int, lo: int, hi: int) -> float:
    """How much of an utterance's characters a..b fall in lo..hi (0..1)."""
    return max(0, min(b, hi) - max(a, lo)) / (b - a) if b > a else 0.0


def join_text(texts: list[str], language: str) -> str:
    """Chinese pieces run on (a "，" where a piece ends without punctuation); English ones
    are joined by a space."""
    return _join(texts, language)[0]


def _join(texts: list[str], language: str) -> tuple[str, list[tuple[int, int]]]:
    """The joined text, and the character range each piece took in it."""
    out, ranges = "", []
    for text in (t.strip() for t in texts):
        if out and text:
            out += " " if language != "zh" else "" if out[-1] in _ZH_END else "，"
        ranges.append((len(out), len(out) + len(text)))
        out += text
    return out, ranges


def _weighted_confidence(parts: list[tuple[float, Utterance]]) -> float:
    weights = [share * max(u.end - u.start, 0.01) for share, u in parts]
    return round(sum(w * u.confidence for w, (_, u) in zip(weights, parts)) / sum(weights), 3)
