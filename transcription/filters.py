"""Hallucination guards: what Whisper says that nobody said.

Each guard returns a reason (a short code) when a piece of text must go. `screen` runs
them in order, strips what can be stripped (subtitle credits, an echoed prompt, a
repetition loop) and keeps what is left. The caller logs and returns every drop: a
record draft must never silently lose or invent words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from transcription.normalise import to_simplified

# Subtitle credits and sign-offs Whisper learned from its training video. Compared
# after `fold` (NFKC, simplified, lowercase, no punctuation or spaces).
JUNK_PHRASES = (
    "字幕由Amara.org社群提供", "字幕由Amara.org社区提供", "Amara.org社群提供的字幕",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "明镜与点点", "明镜需要您的支持",
    "点赞订阅转发打赏", "谢谢观看", "感谢观看", "谢谢大家观看", "下集再见", "欢迎订阅",
    "请订阅我的频道", "中文字幕志愿者", "字幕志愿者", "字幕制作", "优优独播剧场",
    "Thanks for watching", "Thank you for watching", "Subtitles by the Amara.org community",
    "Please subscribe", "Like and subscribe", "Subscribe to my channel",
)
# A phrase dominates a sentence when it is at least this share of it.
DOMINATES = 0.5
MIN_REPEATS = 4
MIN_REPEATS_SINGLE = 6  # "对对对对", "yes yes yes yes" are things people say
MAX_UNIT = 6
LOOP_CUT = 6
MAX_ZH_CHARS_PER_S = 8.0
MAX_EN_WORDS_PER_S = 6.0
NO_SPEECH_PROB = 0.6
NO_SPEECH_LOGPROB = -0.5  # Whisper skips only below -1.0; "you" on silence scores -0.75

_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Screened:
    text: str  # what survives; the text as heard when the whole piece is dropped
    reason: str | None  # why the whole piece was dropped, or None when it is kept
    stripped: tuple[str, ...] = ()  # "reason: text" of parts removed from a kept piece


def fold(text: str) -> str:
    """Text reduced to what matters for comparing phrases."""
    text = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    return "".join(ch for ch in text if ch.isalnum())


def units(text: str) -> list[str]:
    """Words for comparison: one per CJK character, one per run of letters or digits."""
    return [t.lower() for t in _TOKEN.findall(unicodedata.normalize("NFKC", text))]


def empty(text: str) -> str | None:
    return "empty" if not fold(text) else None


def junk(sentence: str) -> str | None:
    """A subtitle credit or sign-off that is all, or most, of `sentence`."""
    folded = fold(sentence)
    for phrase in _junk_folded():
        if phrase in folded and len(phrase) >= DOMINATES * len(folded):
            return "junk_phrase"
    return None


@cache
def _junk_folded() -> tuple[str, ...]:
    return tuple(fold(p) for p in JUNK_PHRASES)


def no_speech(no_speech_prob: float, avg_logprob: float) -> str | None:
    """Whisper itself thinks there was no speech and is unsure of what it wrote."""
    if no_speech_prob > NO_SPEECH_PROB and avg_logprob < NO_SPEECH_LOGPROB:
        return "no_speech"
    return None


def too_fast(text: str, duration_s: float, language: str) -> str | None:
    """More words than anyone can say in the time: a loop or invented text."""
    count = len(units(text))
    limit = MAX_ZH_CHARS_PER_S if language == "zh" else MAX_EN_WORDS_PER_S
    return "too_long" if count > limit * max(duration_s, 1.0) else None


def strip_junk(text: str) -> tuple[str, list[str]]:
    """`text` without its subtitle-credit sentences; the removed ones."""
    kept, removed = [], []
    for sentence in _SENTENCE.findall(text) or [text]:
        (removed if junk(sentence) else kept).append(sentence)
    return "".join(kept).strip(), removed


def strip_prompt(text: str, prompt: str | None) -> tuple[str, bool]:
    """`text` without the sentences that repeat the initial prompt, which Whisper echoes
    when it hears too little; whether any were removed."""
    prompt_folded = fold(prompt or "")
    sentences = _SENTENCE.findall(text) or [text]
    kept = [s for s in sentences if not _echoes(fold(s), prompt_folded)]
    return "".join(kept).strip(), len(kept) < len(sentences)


def _echoes(folded: str, prompt_folded: str) -> bool:
    return bool(folded) and folded in prompt_folded and 2 * len(folded) >= len(prompt_folded)


def collapse_repeats(text: str) -> tuple[str, int, int]:
    """`text` with each unit of 2 to 6 words or CJK characters repeated four or more times
    in a row (a single one, six or more times) cut back to one occurrence; how many units
    were cut, of how many."""
    matches = list(_TOKEN.finditer(text))
    keys = [unicodedata.normalize("NFKC", m.group()).lower() for m in matches]
    out, pos, i, cut = [], 0, 0, 0
    while i < len(keys):
        size, count = _run_at(keys, i)
        if count > 1:
            out.append(text[pos:matches[i + size - 1].end()])
            pos = matches[i + size * count - 1].end()
            cut += size * (count - 1)
            i += size * count
        else:
            i += 1
    out.append(text[pos:])
    return "".join(out), cut, len(keys)


def _run_at(keys: list[str], i: int) -> tuple[int, int]:
    """(unit size, repeats) of the longest-covering repetition starting at keys[i]."""
    best = (1, 1)
    for size in range(1, MAX_UNIT + 1):
        unit, count = keys[i:i + size], 1
        while keys[i + count * size:i + (count + 1) * size] == unit:
            count += 1
        enough = MIN_REPEATS if size > 1 else MIN_REPEATS_SINGLE
        if count >= enough and size * count > best[0] * best[1]:
            best = (size, count)
    return best


def screen(text: str, *, language: str, duration_s: float, avg_logprob: float,
           no_speech_prob: float, prompt: str | None) -> Screened:
    """Apply every guard to what Whisper heard in one utterance of `duration_s` seconds."""
    heard, stripped = text.strip(), []
    text, echoed = strip_prompt(heard, prompt)
    if echoed:
        stripped.append(f"prompt_echo: {prompt}")
    text, credits = strip_junk(text)
    stripped += [f"junk_phrase: {c}" for c in credits]
    text, cut, total = collapse_repeats(text)
    if cut:
        stripped.append(f"repetition: {cut} of {total} words")
    reason = (_drop_reason(text, echoed, credits, cut, total)
              or no_speech(no_speech_prob, avg_logprob)
              or too_fast(text, duration_s, language))
    if reason:
        return Screened(heard, reason, tuple(stripped))
    return Screened(text, None, tuple(stripped))


def _drop_reason(text: str, echoed: bool, credits: list[str], cut: int, total: int) -> str | None:
    # A loop that is most of a long text is Whisper stuck; a short one ("对对对对") is speech.
    if cut >= LOOP_CUT and cut > DOMINATES * total:
        return "repetition"
    if not empty(text):
        return None
    if credits:
        return "junk_phrase"
    return "prompt_echo" if echoed else "empty"
