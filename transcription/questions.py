"""Where an inspector's words hold several questions in a row ("你叫什么名字？你在哪个单位
工作？"), the places to cut them so that each question is a turn of its own in the record.

Pure text: the turns' times and audio are turns.py's business.

A question ends at the question mark of the record's language. In a Chinese record that
is "？": `chinese_punctuation` has already written the "?" ending a Chinese sentence as
"？" and left an English phrase's own "?" alone, so "他问How are you?是什么意思？" is one
question. In an English record it is "?" followed by a new sentence, not a lower-case
word ("Did you sign? or did they?"). Never inside quotes or brackets, and never so as to
leave a piece of an interjection's size ("啊？", "Why?") on its own.
"""

from __future__ import annotations

from itertools import pairwise

from transcription.filters import units

MIN_UNITS = 3  # a piece of fewer words ("是吗？", "Why?") stays with its neighbour
_CLOSE = {"“": "”", "‘": "’", "「": "」", "『": "』", "《": "》", "（": "）", "(": ")", '"': '"'}
_TRAILING = "?？!！…"  # "真的吗？！" ends after all of them


def question_spans(text: str, language: str) -> list[tuple[int, int]]:
    """(start, end) character ranges of `text`, one per question and whitespace trimmed,
    in order; one range for all of it when it holds at most one question."""
    cuts = [0, *_cuts(text, language), len(text)]
    spans: list[tuple[int, int]] = []
    for span in (_trim(text, a, b) for a, b in pairwise(cuts)):
        if spans and (_short(text, span) or _short(text, spans[-1])):
            spans[-1] = (spans[-1][0], span[1])
        else:
            spans.append(span)
    return spans


def _cuts(text: str, language: str) -> list[int]:
    """Offsets just after each question mark that ends a question outside quotes."""
    mark = "?" if language == "en" else "？"
    closing: list[str] = []  # the quote or bracket that closes each one open here
    cuts, i = [], 0
    while i < len(text):
        ch = text[i]
        i += 1
        if closing and ch == closing[-1]:
            closing.pop()
        elif ch in _CLOSE:
            closing.append(_CLOSE[ch])
        elif ch == mark and not closing:
            while i < len(text) and text[i] in _TRAILING:
                i += 1
            rest = text[i:].lstrip()
            if rest and not (language == "en" and rest[0].islower()):
                cuts.append(i)
    return cuts


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _short(text: str, span: tuple[int, int]) -> bool:
    return len(units(text[span[0]:span[1]])) < MIN_UNITS
