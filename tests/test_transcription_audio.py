"""Decoding stored Opus segments onto the interview clock, and finding speech in them.

Fixtures are made the way the server stores audio: 20 ms Opus packets from libopus at
48 kHz in ~2 s WebM segments (evidence.webm.SegmentWriter), block times in epoch ms. Speech
is synthesised with espeak-ng. The helpers here are shared with the model tests and
bench/transcription.py.
"""

from __future__ import annotations

import fractions
import functools
import subprocess
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest

from evidence.webm import SegmentWriter, TrackInfo
from transcription.audio import RATE, decode_party_audio
from transcription.errors import AudioError
from transcription.pipeline import prepare_party
from transcription.speech import MAX_SPAN, find_speech, merge_close, split_long

T0 = 1_790_000_000_000  # epoch ms when the interview starts
SR = 48_000
PACKET = SR // 50  # 20 ms
VOICES = {"en": "en", "zh": "cmn-latn-pinyin"}  # zh text is pinyin with tone digits



# --- fixture helpers ------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def speak(text: str, language: str, speed: int = 140) -> np.ndarray:
    """`text` spoken by espeak-ng as 48 kHz mono float32, leading and trailing silence cut."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", VOICES[language], "-s", str(speed), "-w", str(wav), text],
                       check=True, capture_output=True)
        raw = subprocess.run(["sox", str(wav), "-r", str(SR), "-c", "1", "-b", "16", "-e", "signed",
                              "-t", "raw", "-"], check=True, capture_output=True).stdout
    pcm = np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    return pcm[loud[0]:loud[-1] + 1] if len(loud) else pcm


def tone(ms: int, freq: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(ms * SR // 1000) / SR)).astype(np.float32)


def silence(ms: int) -> np.ndarray:
    return np.zeros(ms * SR // 1000, dtype=np.float32)


def noise(ms: int, amplitude: float, seed: int = 1) -> np.ndarray:
    return (amplitude * np.random.default_rng(seed).standard_normal(ms * SR // 1000)).astype(np.float32)


def opus_packets(pcm: np.ndarray) -> list[bytes]:
    """`pcm` (48 kHz mono float32) as 20 ms Opus packets, as a browser would send them."""
    ctx = av.CodecContext.create("libopus", "w")
    ctx.sample_rate, ctx.layout, ctx.format = SR, "mono", "s16"
    ctx.time_base = fractions.Fraction(1, SR)
    ctx.bit_rate = 32_000
    pcm16 = (np.clip(pcm, -1, 1) * 32767).astype(np.int16)
    pcm16 = np.pad(pcm16, (0, -len(pcm16) % PACKET))
    packets = []
    for i in range(0, len(pcm16), PACKET):
        frame = av.AudioFrame.from_ndarray(pcm16[None, i:i + PACKET], format="s16", layout="mono")
        frame.sample_rate, frame.pts = SR, i
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    return [bytes(p) for p in packets][:len(pcm16) // PACKET]


def segments_of(pcm: np.ndarray, start_ms: int, *, segment_ms: int = 2000,
                skip: tuple[int, int] | None = None) -> list[bytes]:
    """`pcm` starting at epoch `start_ms` as WebM segments; packets whose time (ms since
    `start_ms`) falls in `skip` are not sent, like a party that dropped out."""
    per_segment = segment_ms // 20
    blocks = [(start_ms + 20 * i, p) for i, p in enumerate(opus_packets(pcm))
              if not (skip and skip[0] <= 20 * i < skip[1])]
    out = []
    for i in range(0, len(blocks), per_segment):
        writer = SegmentWriter(TrackInfo(kind="audio", codec="opus"))
        out.append(writer.start() + b"".join(writer.block(ts, p, keyframe=True)
                                             for ts, p in blocks[i:i + per_segment]))
    return out


def timeline(parts: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Concatenated parts and the (start, end) seconds of each."""
    spans, at = [], 0
    for part in parts:
        spans.append((at / SR, (at + len(part)) / SR))
        at += len(part)
    return np.concatenate(parts), spans


def onset_ms(samples: np.ndarray, level: float = 0.05) -> float:
    return float(np.flatnonzero(np.abs(samples) > level)[0]) / (RATE / 1000)


# --- decoding -------------------------------------------------------------------------

def test_a_tone_lands_at_its_clock_time() -> None:
    pcm, _ = timeline([silence(1500), tone(1000), silence(1000)])
    audio = decode_party_audio(segments_of(pcm, T0), T0)
    assert abs(onset_ms(audio.samples) - 1500) <= 20
    assert abs(len(audio.samples) / RATE - 3.5) <= 0.05
    assert audio.samples.dtype == np.float32


def test_a_late_first_segment_is_placed_after_silence() -> None:
    audio = decode_party_audio(segments_of(tone(500), T0 + 7000), T0)
    assert abs(onset_ms(audio.samples) - 7000) <= 20
    assert not audio.samples[:7000 * 16 - 320].any()


def test_missing_packets_are_silence_and_later_audio_keeps_its_time() -> None:
    pcm = tone(6000)
    audio = decode_party_audio(segments_of(pcm, T0, skip=(2000, 4000)), T0)
    gap = audio.samples[(2000 + 20) * 16:(4000 - 20) * 16]
    assert not gap.any()
    assert abs(onset_ms(audio.samples[3000 * 16:]) + 3000 - 4000) <= 20
    assert np.abs(audio.samples[4500 * 16:5500 * 16]).max() > 0.2


def test_blocks_before_the_origin_are_dropped() -> None:
    pcm, _ = timeline([tone(1000), silence(1000), tone(1000, freq=300)])
    audio = decode_party_audio(segments_of(pcm, T0 - 1000), T0)
    # The first 40 ms may still hold the encoder's look-ahead of the dropped tone.
    assert np.abs(audio.samples[40 * 16:960 * 16]).max() < 0.01
    assert abs(onset_ms(audio.samples[40 * 16:]) + 40 - 1000) <= 20


def test_an_overlapping_later_segment_overwrites() -> None:
    quiet, loud = segments_of(silence(2000), T0), segments_of(tone(1000), T0 + 500)
    audio = decode_party_audio(quiet + loud, T0)
    assert abs(onset_ms(audio.samples) - 500) <= 20


def test_segment_spans_map_times_back_to_segments() -> None:
    audio = decode_party_audio(segments_of(tone(5000), T0, segment_ms=2000), T0)
    assert [(s.index, s.start_ms, s.end_ms) for s in audio.spans] == [
        (0, 0, 2000), (1, 2000, 4000), (2, 4000, 5000)]
    assert audio.segment_range(1500, 2500) == (0, 1)
    assert audio.segment_range(4100, 4200) == (2, 2)
    assert audio.segment_range(9000, 9100) is None


def test_segments_that_are_not_opus_webm_are_refused() -> None:
    with pytest.raises(AudioError, match="not WebM"):
        decode_party_audio([b"RIFF....WAVE"], T0)
    video = SegmentWriter(TrackInfo(kind="video", codec="VP8", width=320, height=240)).start()
    with pytest.raises(AudioError, match="not Opus"):
        decode_party_audio([video], T0)


def test_no_segments_is_no_audio() -> None:
    assert len(decode_party_audio([], T0).samples) == 0
    assert prepare_party([], [], T0) == []


# --- finding speech -------------------------------------------------------------------

def test_merge_close_joins_neighbours_but_keeps_the_limit() -> None:
    assert merge_close([(0, 100), (150, 300), (1000, 1200)], 60, 10_000) == [(0, 300), (1000, 1200)]
    assert merge_close([(0, 100), (150, 300)], 60, 250) == [(0, 100), (150, 300)]


def test_split_long_cuts_at_the_quietest_point() -> None:
    audio = np.random.default_rng(2).uniform(-0.5, 0.5, 40 * RATE).astype(np.float32)
    audio[18 * RATE:int(18.3 * RATE)] *= 0.001
    pieces = split_long(audio, (0, len(audio)), MAX_SPAN)
    assert len(pieces) == 2
    assert abs(pieces[0][1] / RATE - 18.15) <= 0.15
    assert pieces[0][1] == pieces[1][0] and pieces[1][1] == len(audio)


def test_split_long_never_leaves_a_piece_over_the_limit() -> None:
    audio = np.full(80 * RATE, 0.2, dtype=np.float32)
    pieces = split_long(audio, (0, len(audio)), MAX_SPAN)
    assert all(end - start <= MAX_SPAN for start, end in pieces)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(audio)


def test_silence_and_low_noise_hold_no_speech() -> None:
    assert find_speech(np.zeros(10 * RATE, dtype=np.float32)) == []
    hiss = np.random.default_rng(3).standard_normal(10 * RATE).astype(np.float32) * 0.003
    assert find_speech(hiss) == []


def test_utterances_are_found_at_their_times() -> None:
    said = [speak("How long have you worked at this company?", "en"),
            speak("wo3 zai4 zhe4 li3 gong1 zuo4 le5 san1 nian2", "zh"),
            speak("Did the employer pay you on time?", "en")]
    pcm, spans = timeline([silence(1000), said[0], silence(3000), said[1], silence(2500),
                           said[2], silence(1000)])
    truth = [spans[1], spans[3], spans[5]]
    segments = segments_of(pcm, T0)
    speeches = prepare_party(segments, list(range(100, 100 + len(segments))), T0)
    assert len(speeches) == 3
    for speech, (start, end) in zip(speeches, truth):
        assert abs(speech.start - start) <= 0.3 and abs(speech.end - end) <= 0.3
        assert speech.start_ms == T0 + round(speech.start * 1000)
        assert speech.seq_from == 100 + int(speech.start // 2)
        assert speech.seq_to == 100 + int(speech.end // 2)
        assert len(speech.samples) == round((speech.end - speech.start) * RATE)
