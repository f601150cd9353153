"""The real bundled Whisper models on espeak-ng speech, from Opus segment bytes to turns.

Accuracy is asserted as normalised WER/CER under thresholds set from measurement with a
margin, never as exact strings. espeak-ng's Mandarin is far from human speech, so the
Mandarin figure says "the pipeline works", not how good the record will be.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.test_transcription_audio import (
    T0,
    noise,
    segments_of,
    silence,
    speak,
    timeline,
)
from transcription.engine import Transcriber
from transcription.models import resolve_model
from transcription.normalise import cer, wer
from transcription import pipeline
from transcription.pipeline import Speaker, PartyResult, transcribe_party
from transcription.turns import merge_turns


ENGLISH = [
    "How long have you worked at this company?",
    "I have worked here for three years.",
    "Did the employer sign a labor contract with you?",
    "No, we never signed a contract.",
    "How many hours do you work every day?",
    "Has your salary been paid on time?",
    "Do you get paid for overtime?",
    "Please tell me your full name.",
]
# (what is meant, the pinyin espeak-ng is given)
MANDARIN = [
    ("你在这家公司工作多久了", "ni3 zai4 zhe4 jia1 gong1 si1 gong1 zuo4 duo1 jiu3 le5"),
    ("我在这里工作了三年", "wo3 zai4 zhe4 li3 gong1 zuo4 le5 san1 nian2"),
    ("老板没有给我们发工资", "lao3 ban3 mei2 you3 gei3 wo3 men5 fa1 gong1 zi1"),
    ("你们每天工作几个小时", "ni3 men5 mei3 tian1 gong1 zuo4 ji3 ge4 xiao3 shi2"),
    ("每天工作十二个小时", "mei3 tian1 gong1 zuo4 shi2 er4 ge4 xiao3 shi2"),
    ("公司和你签劳动合同了吗", "gong1 si1 he2 ni3 qian1 lao2 dong4 he2 tong5 le5 ma5"),
    ("工资已经拖欠了两个月", "gong1 zi1 yi3 jing1 tuo1 qian4 le5 liang3 ge4 yue4"),
    ("请你说一下你的名字", "qing3 ni3 shuo1 yi2 xia4 ni3 de5 ming2 zi4"),
]
# Measured on this machine (int8, beam 5, 2 threads): tiny.en English WER 0.070, base
# Mandarin CER 0.595 (the first sentence always comes back as the echoed prompt and is
# dropped), base English WER 0.133 (each test prints its figure with -s).
MAX_TINY_EN_WER = 0.25
MAX_BASE_ZH_CER = 0.75
MAX_BASE_EN_WER = 0.25

WORKER = Speaker("pid-worker", "李工人", "worker", "rec-worker")
INSPECTOR = Speaker("pid-inspector", "王检查", "inspector", "rec-inspector")


@pytest.fixture(scope="module")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def tiny(model_root: Path) -> Transcriber:
    return Transcriber(resolve_model("tiny.en", model_root), cpu_threads=2)


@pytest.fixture(scope="module")
def base(model_root: Path) -> Transcriber:
    return Transcriber(resolve_model("base", model_root), cpu_threads=2)


def monologue(said: list[np.ndarray], pause_ms: int = 1500) -> list[bytes]:
    parts = [silence(1000)]
    for speech in said:
        parts += [speech, silence(pause_ms)]
    return segments_of(timeline(parts)[0], T0)


def room(pcm: np.ndarray) -> np.ndarray:
    """A microphone that is on while its party listens: faint noise under everything."""
    return pcm + 0.001 * np.random.default_rng(5).standard_normal(len(pcm)).astype(np.float32)


def run(transcriber: Transcriber, segments: list[bytes], language: str,
        party: Speaker = WORKER) -> PartyResult:
    return transcribe_party(transcriber, party, segments, list(range(len(segments))), T0, language)


def heard_text(result: PartyResult, language: str) -> str:
    return ("" if language == "zh" else " ").join(u.text for u in result.utterances)


def test_tiny_en_hears_english(tiny: Transcriber) -> None:
    result = run(tiny, monologue([speak(s, "en") for s in ENGLISH]), "en")
    measured = wer(" ".join(ENGLISH), heard_text(result, "en"))
    print(f"\ntiny.en English WER {measured:.3f}: {heard_text(result, 'en')}")
    assert measured <= MAX_TINY_EN_WER
    assert len(result.utterances) == len(ENGLISH)
    assert all(0 < u.confidence <= 1 for u in result.utterances)


def test_base_hears_mandarin_in_simplified_characters(base: Transcriber) -> None:
    result = run(base, monologue([speak(p, "zh") for _, p in MANDARIN]), "zh")
    text = heard_text(result, "zh")
    measured = cer("".join(m for m, _ in MANDARIN), text)
    print(f"\nbase Mandarin CER {measured:.3f}: {text}\nfiltered: {result.filtered}")
    assert measured <= MAX_BASE_ZH_CER
    assert "闆" not in text and "們" not in text and "資" not in text


def test_base_hears_english(base: Transcriber) -> None:
    result = run(base, monologue([speak(s, "en") for s in ENGLISH[:4]]), "en")
    measured = wer(" ".join(ENGLISH[:4]), heard_text(result, "en"))
    print(f"\nbase English WER {measured:.3f}: {heard_text(result, 'en')}")
    assert measured <= MAX_BASE_EN_WER


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("sound", ["silence", "hiss", "hum"])
def test_silence_and_noise_give_no_text(base: Transcriber, tiny: Transcriber, sound: str,
                                        language: str) -> None:
    pcm = {"silence": silence(10_000), "hiss": noise(10_000, 0.003),
           "hum": (0.02 * np.sin(2 * np.pi * 50 * np.arange(480_000) / 48_000)).astype(np.float32)}
    transcriber = base if language == "zh" else tiny
    result = run(transcriber, segments_of(pcm[sound], T0), language)
    assert result.utterances == [] and result.filtered == []


def test_a_two_party_interview_becomes_questions_and_answers(tiny: Transcriber) -> None:
    exchange = [(INSPECTOR, ENGLISH[0]), (WORKER, ENGLISH[1]), (INSPECTOR, ENGLISH[2]),
                (WORKER, "Yes."), (INSPECTOR, ENGLISH[5]), (WORKER, "The wages are always late.")]
    tracks: dict[Speaker, list[np.ndarray]] = {INSPECTOR: [silence(800)], WORKER: [silence(800)]}
    truth = []
    for speaker, sentence in exchange:
        said = speak(sentence, "en")
        at = sum(len(p) for p in tracks[speaker]) / 48_000
        truth.append((speaker, sentence, at, at + len(said) / 48_000))
        for party in tracks:
            gap = said if party == speaker else silence(len(said) * 1000 // 48_000)
            tracks[party] += [gap, silence(1200)]
    results = [run(tiny, segments_of(room(timeline(parts)[0]), T0), "en", party)
               for party, parts in tracks.items()]
    turns = merge_turns([u for r in results for u in r.utterances], "en")
    assert [t.participant_id for t in turns] == [s.participant_id for s, *_ in truth]
    assert [t.kind for t in turns] == ["question", "answer"] * 3
    for turn, (speaker, sentence, start, end) in zip(turns, truth):
        assert abs(turn.start - start) <= 0.3 and abs(turn.end - end) <= 0.3
        assert wer(sentence, turn.text) <= 0.5, (sentence, turn.text)
        assert turn.audio["recording_id"] == speaker.recording_id
        assert turn.audio["from"] == int(turn.start // 2) and turn.audio["to"] == int(turn.end // 2)
        assert turn.as_dict()["audio"]["start_ms"] == T0 + round(turn.start * 1000)


def test_the_worker_process_api(model_root: Path) -> None:
    segments = monologue([speak(ENGLISH[1], "en")])
    seqs = list(range(len(segments)))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=pipeline.init_worker,
                             initargs=(str(resolve_model("tiny.en", model_root)), "cpu", 1)) as pool:
        speeches = pool.submit(pipeline.worker_prepare, segments, seqs, T0).result()
        heard = [pool.submit(pipeline.worker_transcribe, s, "en").result() for s in speeches]
    result = pipeline.party_result(WORKER, heard)
    assert len(result.utterances) == 1 and wer(ENGLISH[1], result.utterances[0].text) <= 0.25
