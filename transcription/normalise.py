"""Text normalisation for comparing transcripts, and the error rates measured with it.

Accuracy is measured the published way: NFKC, traditional to simplified (OpenCC t2s),
lowercase, no punctuation, single spaces, small numbers written as digits (Whisper's own
English normaliser does the same: "three" and "3" are one word said); then jiwer's WER
(English) or CER (Chinese, spaces removed too, since Chinese is not written with them).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache


@cache
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones; everything else unchanged."""
    return _t2s().convert(text)


_FULL_WIDTH = {",": "，", ".": "。", "?": "？", "!": "！", ":": "：", ";": "；"}


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3000" <= ch <= "\u303f" \
        or "\uff00" <= ch <= "\uffef"


def chinese_punctuation(text: str) -> str:
    """Half-width punctuation after Chinese written as Chinese punctuation (Whisper
    writes "你好,我是" as often as "你好，我是"): "," "." "?" "!" ":" ";" that follow a
    Chinese character (spaces between are dropped). English inside the text keeps its
    own: "What y'all 秘密?" becomes "What y'all 秘密？", and 3.5 or 10:30 stay."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _FULL_WIDTH:
            before = "".join(out).rstrip()
            after = text[i + 1:i + 2]
            between_digits = before[-1:].isdigit() and after.isdigit()
            if before and _cjk(before[-1]) and not between_digits:
                out[:] = list(before)
                out.append(_FULL_WIDTH[ch])
                continue
        out.append(ch)
    return _SPACE_AFTER.sub(r"\1", "".join(out))


_SPACE_AFTER = re.compile("([，。？！：；])\\s+(?=[\u3400-\u9fff])")
_NUMBER_WORDS = {word: str(n) for n, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_CHINESE_DIGITS = str.maketrans({c: str(n) for n, c in enumerate("零一二三四五六七八九")})


def normalise(text: str) -> str:
    """NFKC, simplified, lowercase, punctuation (CJK and ASCII) as spaces, spaces
    collapsed, number words up to twenty and Chinese digits as digits."""
    text = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    kept = "".join(ch if ch.isalnum() or ch == "'" else " " for ch in text)
    words = [_NUMBER_WORDS.get(word, word) for word in kept.replace("'", "").split()]
    return " ".join(words).translate(_CHINESE_DIGITS)


def cer(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Character error rate over normalised text without spaces (for Chinese)."""
    import jiwer

    return float(jiwer.cer(_each(reference, True), _each(hypothesis, True)))


def wer(reference: str | list[str], hypothesis: str | list[str]) -> float:
    """Word error rate over normalised text (for English)."""
    import jiwer

    return float(jiwer.wer(_each(reference, False), _each(hypothesis, False)))


def _each(texts: str | list[str], no_spaces: bool) -> list[str]:
    items = [texts] if isinstance(texts, str) else texts
    out = [normalise(t) for t in items]
    return [t.replace(" ", "") for t in out] if no_spaces else out
