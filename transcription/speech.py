"""Where a party speaks: Silero VAD (bundled with faster-whisper, ONNX, no torch), then
our own merging, splitting and an energy gate.

Whisper is only ever shown what this finds. Silence and room noise are where it
hallucinates subtitle credits, so nothing else reaches it.
"""

from __future__ import annotations

import numpy as np

from transcription.audio import RATE

# faster-whisper's VadOptions, made at each call: the VAD runs in the transcription
# worker process, and a server that imports this module at start need not load it.
VAD = dict(
    threshold=0.5,
    min_speech_duration_ms=250,
    max_speech_duration_s=25.0,
    min_silence_duration_ms=500,
    speech_pad_ms=200,
)
MAX_SPAN = 25 * RATE  # Whisper sees 30 s at once; leave room and keep turns fine-grained
MERGE_GAP = RATE * 3 // 10  # padded spans this close are one utterance
MIN_RMS = 0.002  # about -54 dBFS: quieter "speech" is line noise or a muted microphone
# VAD runs over windows of this many samples so its working copies stay small on 1 h audio.
WINDOW = 300 * RATE
_SILENT_PEAK = 1e-4
_FRAME = RATE // 10

Span = tuple[int, int]  # [start, end) in samples


def find_speech(audio: np.ndarray) -> list[Span]:
    """Utterance spans in `audio` (16 kHz float32), in order, each at most 25 s long."""
    spans = merge_close(_vad(audio), MERGE_GAP, MAX_SPAN)
    spans = [piece for span in spans for piece in split_long(audio, span, MAX_SPAN)]
    return [span for span in spans if loud_enough(audio, span)]


def _vad(audio: np.ndarray) -> list[Span]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(**VAD)
    spans: list[Span] = []
    for offset in range(0, len(audio), WINDOW):
        window = audio[offset:offset + WINDOW]
        if len(window) < _FRAME or np.abs(window).max() < _SILENT_PEAK:
            continue  # never recorded, or digital silence: nothing to hear
        for found in get_speech_timestamps(window, options, sampling_rate=RATE):
            spans.append((offset + found["start"], offset + found["end"]))
    return spans


def merge_close(spans: list[Span], gap: int, longest: int) -> list[Span]:
    """Join neighbours at most `gap` apart (also across VAD windows) unless the result
    would be longer than `longest`."""
    merged: list[Span] = []
    for start, end in spans:
        if merged and start - merged[-1][1] <= gap and end - merged[-1][0] <= longest:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def split_long(audio: np.ndarray, span: Span, longest: int) -> list[Span]:
    """`span` cut at its quietest 100 ms until no piece is longer than `longest`."""
    start, end = span
    if end - start <= longest:
        return [span]
    lo, hi = start + longest // 3, start + longest  # keep pieces a useful length
    cut = _quietest(audio, lo, min(hi, end - _FRAME))
    return [(start, cut)] + split_long(audio, (cut, end), longest)


def _quietest(audio: np.ndarray, lo: int, hi: int) -> int:
    frames = (hi - lo) // _FRAME
    if frames < 1:
        return hi
    energy = np.square(audio[lo:lo + frames * _FRAME]).reshape(frames, _FRAME).sum(axis=1)
    return lo + int(np.argmin(energy)) * _FRAME + _FRAME // 2


def loud_enough(audio: np.ndarray, span: Span) -> bool:
    piece = audio[span[0]:span[1]]
    return len(piece) > 0 and float(np.sqrt(np.mean(np.square(piece)))) >= MIN_RMS
