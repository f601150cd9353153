"""Whisper (faster-whisper on CTranslate2) hearing one utterance at a time.

One call per VAD utterance, never a whole recording: the language is fixed per interview,
nothing is conditioned on earlier text (so one hallucination cannot seed the next), and
Whisper's own timestamps are not used: times come from the VAD on the interview clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transcription import filters
from transcription.audio import RATE
from transcription.errors import ModelError, TranscriptionError
from transcription.normalise import chinese_punctuation, to_simplified

LANGUAGES = ("zh", "en")
# A simplified-Chinese prompt steers Whisper away from traditional characters; OpenCC t2s
# converts whatever still slips through.
PROMPTS: dict[str, str | None] = {"zh": "以下是普通话的句子。", "en": None}
BEAM_SIZE = 5
# One decode per utterance, no temperature fallback: faster-whisper's default re-decodes a
# low-confidence utterance at rising temperatures, with sampling, so the same audio gave a
# different text now and then and cost 1.3-1.9x the time (RESEARCH.md). A record must come
# out the same each time it is made; a low-confidence line is kept and marked as such.
TEMPERATURE = 0.0
FALLBACK = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's default: the bench's baseline
_CONFIDENT_NO_SPEECH = 0.5


@dataclass(frozen=True)
class Piece:
    """What Whisper made of one utterance, after the hallucination guards."""

    text: str  # kept text; when `reason` is set, the text that was dropped
    confidence: float  # 0..1
    reason: str | None = None  # why it was dropped, or None when kept
    stripped: tuple[str, ...] = ()  # parts removed from a kept piece, "reason: text"
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0


class Transcriber:
    """One loaded Whisper model. Not thread-safe: give each worker process its own."""

    def __init__(self, model_dir: Path, device: str = "cpu", cpu_threads: int = 1,
                 compute_type: str | None = None,
                 temperature: float | tuple[float, ...] = TEMPERATURE) -> None:
        from faster_whisper import WhisperModel

        if device not in ("cpu", "cuda"):
            raise ModelError(f"Whisper device {device!r} is unknown: use 'cpu' or 'cuda'.")
        compute_type = compute_type or ("int8" if device == "cpu" else "float16")
        try:
            self.model = WhisperModel(str(model_dir), device=device, compute_type=compute_type,
                                      cpu_threads=cpu_threads, num_workers=1, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"Whisper model {model_dir} cannot be loaded on {device} "
                             f"({compute_type}): {exc}") from exc
        self.model_dir = Path(model_dir)
        self.temperature = temperature

    @property
    def multilingual(self) -> bool:
        return bool(self.model.model.is_multilingual)

    def check_language(self, language: str) -> None:
        """Refuse, before any work, a language this model cannot hear."""
        if language not in LANGUAGES:
            raise TranscriptionError(f"Language {language!r} is not supported: use 'zh' or 'en'.")
        if language != "en" and not self.multilingual:
            raise ModelError(f"The Whisper model at {self.model_dir} is English-only and cannot "
                             f"transcribe {language!r}: set the model to 'base' or another "
                             "multilingual model.")

    def transcribe(self, audio: np.ndarray, language: str) -> Piece | None:
        """Text of one utterance (16 kHz float32, at most ~30 s); None when Whisper heard
        nothing at all."""
        self.check_language(language)
        prompt = PROMPTS[language]
        segments, _ = self.model.transcribe(
            audio, language=language, beam_size=BEAM_SIZE, temperature=self.temperature, vad_filter=False,
            condition_on_previous_text=False, without_timestamps=True, initial_prompt=prompt)
        heard = list(segments)  # decoding happens lazily, here, in this thread
        if not heard:
            return None
        text = _join([s.text for s in heard], language)
        weights = [max(len(s.tokens), 1) for s in heard]
        logprob = sum(w * s.avg_logprob for w, s in zip(weights, heard)) / sum(weights)
        no_speech = max(s.no_speech_prob for s in heard)
        screened = filters.screen(text, language=language, duration_s=len(audio) / RATE,
                                  avg_logprob=logprob, no_speech_prob=no_speech, prompt=prompt)
        return Piece(screened.text, confidence(logprob, no_speech), screened.reason,
                     screened.stripped, round(logprob, 4), round(no_speech, 4))


def confidence(avg_logprob: float, no_speech_prob: float) -> float:
    """exp(mean token log-probability), scaled down as Whisper grows sure nobody spoke."""
    doubt = max(0.0, no_speech_prob - _CONFIDENT_NO_SPEECH) / (1 - _CONFIDENT_NO_SPEECH)
    return round(min(1.0, max(0.0, math.exp(avg_logprob) * (1 - doubt))), 3)


def _join(texts: list[str], language: str) -> str:
    parts = [t.strip() for t in texts if t.strip()]
    text = "".join(parts) if language == "zh" else " ".join(parts)
    return chinese_punctuation(to_simplified(text)) if language == "zh" else text

