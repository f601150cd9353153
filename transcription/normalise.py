"""Text normalisation for comparing transcripts, and the error rates measured with it.

Accuracy is measured the published way: NFKC, traditional to simplified (OpenCC t2s),
lowercase, no punctuation, single spaces, small numbers written as digits (Whisper's own
English normaliser does the same: "three" and "3" are one word said); then jiwer's WER
(English) or CER (Chinese, spaces removed too, since Chinese is not written with them).
"""

from __future__ import annotations

import unicodedata
from functools import cache


@cache
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones; everything else unchanged."""
    return _t2s().convert(text)


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
