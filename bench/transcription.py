"""What transcription costs on this machine, from stored segment bytes to turns.

    .venv/bin/python bench/transcription.py            # all cases (~10 min on 2 cores)
    .venv/bin/python bench/transcription.py --quick    # 20 s per case, a 2-minute interview

1. **Real-time factor per model, language and thread count.** ~60 s of one party
   (espeak-ng sentences with 1 s pauses, Opus in 2 s WebM segments, as the server stores
   them) through `prepare_party` (decode + VAD: the baseline column) and then
   `transcribe_speech` for every utterance. RTF = processing seconds per second of party
   audio (pauses included); also seconds per minute of audio.
2. **A two-party interview** (default 10 min per party, Mandarin, `base`, 2 threads):
   inspector and worker alternate, each party's track silent (faint noise) while the
   other speaks. It runs the way the server will: one worker process
   (`ProcessPoolExecutor(initializer=init_worker)`), `worker_prepare` per party, then
   `worker_transcribe` per utterance, then `merge_turns`.

espeak-ng speech is synthetic: the timings are representative, the accuracy is not.
Results: a Markdown table on stdout, JSON in bench/out/transcription-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tests.test_transcription_audio import T0, segments_of, silence, speak, timeline  # noqa: E402
from tests.test_transcription_models import ENGLISH, MANDARIN  # noqa: E402
from transcription import pipeline  # noqa: E402
from transcription.engine import FALLBACK, TEMPERATURE, Transcriber  # noqa: E402
from transcription.models import resolve_model  # noqa: E402
from transcription.pipeline import Speaker, prepare_party, transcribe_speech  # noqa: E402
from transcription.turns import merge_turns  # noqa: E402

OUT_DIR = ROOT / "bench" / "out"
DATA_DIR = ROOT / "var"
SR = 48_000
CASES = [("tiny.en", "en"), ("base", "zh"), ("base", "en")]


def sentences(language: str) -> list[np.ndarray]:
    return [speak(s, "en") for s in ENGLISH] if language == "en" else [speak(p, "zh") for _, p in MANDARIN]


def party_track(language: str, seconds: float) -> np.ndarray:
    """Sentences with 1 s pauses, repeated until the track is `seconds` long."""
    said, parts, length, i = sentences(language), [silence(1000)], SR, 0
    while length < seconds * SR:
        parts += [said[i % len(said)], silence(1000)]
        length += len(said[i % len(said)]) + SR
        i += 1
    return with_room_noise(timeline(parts)[0])


def with_room_noise(pcm: np.ndarray) -> np.ndarray:
    return pcm + 0.001 * np.random.default_rng(7).standard_normal(len(pcm)).astype(np.float32)


def rtf_case(model: str, language: str, threads: int, seconds: float,
             temperature: float | tuple[float, ...] = TEMPERATURE) -> dict[str, Any]:
    pcm = party_track(language, seconds)
    segments = segments_of(pcm, T0)
    began = time.perf_counter()
    transcriber = Transcriber(resolve_model(model, DATA_DIR), cpu_threads=threads,
                              temperature=temperature)
    load_s = time.perf_counter() - began
    began = time.perf_counter()
    speeches = prepare_party(segments, list(range(len(segments))), T0)
    prepare_s = time.perf_counter() - began
    heard = [transcribe_speech(transcriber, s, language) for s in speeches]
    total_s = time.perf_counter() - began
    audio_s = len(pcm) / SR
    return {"model": model, "language": language, "threads": threads, "audio_s": audio_s,
            "decoding": "fallback" if isinstance(temperature, tuple) else f"t={temperature:g}",
            "texts": [h.text for h in heard],
            "speech_s": sum(s.end - s.start for s in speeches), "utterances": len(speeches),
            "dropped": sum(1 for h in heard if h.reason), "load_s": load_s, "prepare_s": prepare_s,
            "total_s": total_s, "rtf": total_s / audio_s, "prepare_rtf": prepare_s / audio_s}


PACK_S = 28.0  # one Whisper window holds utterances up to this long in all, with
PACK_GAP_S = 1.0  # this much silence between them


def packed_case(model: str, language: str, threads: int, seconds: float) -> dict[str, Any]:
    """Utterances packed into shared 30 s windows (one encoder pass each), the text split
    back by Whisper's own timestamps, against one call per utterance on the same audio."""
    segments = segments_of(party_track(language, seconds), T0)
    speeches = prepare_party(segments, list(range(len(segments))), T0)
    transcriber = Transcriber(resolve_model(model, DATA_DIR), cpu_threads=threads)
    began = time.perf_counter()
    alone = [transcribe_speech(transcriber, s, language).text for s in speeches]
    alone_s = time.perf_counter() - began
    began = time.perf_counter()
    packed, crossing, windows = [""] * len(speeches), 0, 0
    for group in _windows(speeches):
        windows += 1
        audio, spans, at = [], [], 0.0
        for index in group:
            samples = speeches[index].samples
            spans.append((index, at, at + len(samples) / 16_000))
            audio += [samples, np.zeros(int(PACK_GAP_S * 16_000), np.float32)]
            at += len(samples) / 16_000 + PACK_GAP_S
        found, _ = transcriber.model.transcribe(
            np.concatenate(audio), language=language, beam_size=5, temperature=TEMPERATURE,
            vad_filter=False, condition_on_previous_text=False, without_timestamps=False,
            initial_prompt="以下是普通话的句子。" if language == "zh" else None)
        for piece in found:
            middle = (piece.start + piece.end) / 2
            owner = min(spans, key=lambda span: 0 if span[1] <= middle <= span[2]
                        else min(abs(middle - span[1]), abs(middle - span[2])))
            crossing += not any(span[1] - 0.2 <= piece.start and piece.end <= span[2] + 0.2
                                for span in spans)
            joiner = "" if language == "zh" else " "
            packed[owner[0]] = (packed[owner[0]] + joiner + piece.text.strip()).strip()
    packed_s = time.perf_counter() - began
    changed = sum(1 for a, b in zip(alone, packed) if a.strip() != b.strip())
    audio_s = len(party_track(language, seconds)) / SR
    return {"model": model, "language": language, "threads": threads, "utterances": len(speeches),
            "windows": windows, "alone_rtf": alone_s / audio_s, "packed_rtf": packed_s / audio_s,
            "changed": changed, "crossing": crossing, "alone": alone, "packed": packed}


def _windows(speeches: list[pipeline.Speech]) -> list[list[int]]:
    groups: list[list[int]] = []
    length = 0.0
    for index, speech in enumerate(speeches):
        need = speech.end - speech.start + PACK_GAP_S
        if groups and length + need <= PACK_S:
            groups[-1].append(index)
            length += need
        else:
            groups.append([index])
            length = need
    return groups


def interview_tracks(minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """Inspector and worker alternating Mandarin sentences, each silent while the other talks."""
    said = sentences("zh")
    inspector, worker, length, i = [silence(1000)], [silence(1000)], SR, 0
    while length < minutes * 60 * SR:
        speech = said[i % len(said)]
        quiet = silence(len(speech) * 1000 // SR)
        inspector += [speech if i % 2 == 0 else quiet, silence(800)]
        worker += [quiet if i % 2 == 0 else speech, silence(800)]
        length += len(quiet) + int(0.8 * SR)
        i += 1
    return with_room_noise(timeline(inspector)[0]), with_room_noise(timeline(worker)[0])


def interview_case(minutes: float, threads: int) -> dict[str, Any]:
    model_dir = resolve_model("base", DATA_DIR)
    parties = [Speaker("p-insp", "王检查", "inspector", "r-insp"), Speaker("p-work", "李工人", "worker", "r-work")]
    stored = [segments_of(track, T0) for track in interview_tracks(minutes)]
    # spawn, not fork: the parent already runs ONNX Runtime and CTranslate2 threads, and a
    # forked child inheriting their locks can hang (it did here).
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=pipeline.init_worker,
                             initargs=(str(model_dir), "cpu", threads)) as pool:
        pool.submit(time.sleep, 0).result()  # the model is loaded before the clock starts
        began = time.perf_counter()
        speeches = [pool.submit(pipeline.worker_prepare, segs, list(range(len(segs))), T0).result()
                    for segs in stored]
        prepare_s = time.perf_counter() - began
        heard = [[f.result() for f in [pool.submit(pipeline.worker_transcribe, s, "zh") for s in party]]
                 for party in speeches]
        results = [pipeline.party_result(p, h) for p, h in zip(parties, heard)]
        turns = merge_turns([u for r in results for u in r.utterances], "zh")
        total_s = time.perf_counter() - began
    audio_s = 2 * minutes * 60
    return {"minutes_per_party": minutes, "threads": threads, "party_audio_s": audio_s,
            "utterances": sum(len(s) for s in speeches), "turns": len(turns),
            "dropped": sum(len(r.filtered) for r in results), "prepare_s": prepare_s,
            "total_s": total_s, "rtf": total_s / audio_s}


def report_packed(rows: list[dict[str, Any]]) -> str:
    out = ["### Packed windows against one call per utterance (same audio, temperature 0)", "",
           "| model | language | threads | utterances | windows | RTF per utterance | RTF packed | "
           "utterances whose text changed | pieces across two utterances |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        out.append(f"| {r['model']} | {r['language']} | {r['threads']} | {r['utterances']} | "
                   f"{r['windows']} | {r['alone_rtf']:.3f} | {r['packed_rtf']:.3f} | "
                   f"{r['changed']} | {r['crossing']} |")
    return "\n".join(out)


def report(rows: list[dict[str, Any]], interview: dict[str, Any]) -> str:
    out = ["### Real-time factor, one party (espeak-ng speech with 1 s pauses)", "",
           "| model | language | threads | decoding | audio (s) | speech (s) | utterances | "
           "decode+VAD (s) | decode+VAD RTF | total (s) | RTF | s per audio minute | model load (s) | "
           "same text twice |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        out.append(f"| {r['model']} | {r['language']} | {r['threads']} | {r['decoding']} | {r['audio_s']:.1f} | "
                   f"{r['speech_s']:.1f} | {r['utterances']} | {r['prepare_s']:.2f} | "
                   f"{r['prepare_rtf']:.3f} | {r['total_s']:.1f} | {r['rtf']:.3f} | "
                   f"{60 * r['rtf']:.1f} | {r['load_s']:.2f} | {r.get('same_text_twice', '–')} |")
    i = interview
    out += ["", f"### Two-party interview, {i['minutes_per_party']:g} min per party, Mandarin, base, "
            f"{i['threads']} threads, one worker process", "",
            "| party audio (s) | utterances | turns | dropped | decode+VAD (s) | total to turns (s) | "
            "RTF | wall minutes per interview minute |", "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {i['party_audio_s']:.0f} | {i['utterances']} | {i['turns']} | {i['dropped']} | "
            f"{i['prepare_s']:.1f} | {i['total_s']:.1f} | {i['rtf']:.3f} | "
            f"{i['total_s'] / (i['party_audio_s'] / 2):.2f} |"]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 s per case, a 2-minute interview")
    args = parser.parse_args(argv)
    seconds, minutes = (20.0, 2.0) if args.quick else (60.0, 10.0)
    rows = []
    for model, language in CASES:
        for threads in (1, 2):
            rows.append(rtf_case(model, language, threads, seconds))
            if threads == 2:
                again = rtf_case(model, language, threads, seconds)
                rows[-1]["same_text_twice"] = again["texts"] == rows[-1]["texts"]
            print(f"{model} {language} {threads} thread(s): RTF {rows[-1]['rtf']:.3f}", flush=True)
    # The same-run baseline: faster-whisper's default temperature fallback.
    for model, language in CASES:
        rows.append(rtf_case(model, language, 2, seconds, FALLBACK))
        again = rtf_case(model, language, 2, seconds, FALLBACK)
        rows[-1]["same_text_twice"] = again["texts"] == rows[-1]["texts"]
        print(f"{model} {language} 2 threads, fallback: RTF {rows[-1]['rtf']:.3f}", flush=True)
    packed = [packed_case(model, language, 2, seconds) for model, language in CASES]
    interview = interview_case(minutes, threads=2)
    print(report(rows, interview))
    print()
    print(report_packed(packed))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"transcription-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"cpus": os.cpu_count(), "cases": rows, "interview": interview,
                               "packed": packed}, indent=1, ensure_ascii=False))
    print(f"\nJSON: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
