"""The low-confidence mark, calibrated on what the bundled models scored (record.py's
LOW_CONFIDENCE, engine.confidence): clear speech is not marked, garbled speech is."""

from __future__ import annotations

import pytest

from transcription.engine import confidence
from transcription.record import annotate


def marked(score: float | None) -> bool:
    return annotate({"turns": [{"confidence": score}]})[0]["low_confidence"]


@pytest.mark.parametrize("avg_logprob, low", [
    (-0.05, False), (-0.3, False),  # clear speech, typically
    (-0.5, False), (-0.66, False),  # the worst clear pieces measured (Mandarin TTS in noise)
    (-0.75, True), (-0.95, True),  # garbled: reversed speech, gibberish, babble
    (-1.2, True), (-1.6, True),
])
def test_garbled_speech_is_marked_and_clear_speech_is_not(avg_logprob: float, low: bool) -> None:
    assert marked(confidence(avg_logprob, 0.05)) is low


def test_whisper_sure_that_nobody_spoke_marks_even_a_likely_text() -> None:
    assert confidence(-0.3, 0.5) == confidence(-0.3, 0.0) == 0.741
    assert not marked(confidence(-0.3, 0.6))
    assert marked(confidence(-0.3, 0.8))  # 0.741 * 0.4


def test_typed_turns_are_never_marked() -> None:
    assert not marked(None)
