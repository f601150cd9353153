"""One party's audio to utterances, in steps the server can run in a worker process and
report progress between.

    state, speeches = listen(Listening(), segments, origin_ms, final=True)  # decode + VAD
    heard = [transcribe_speech(transcriber, s, language) for s in speeches]
    result = party_result(party, heard)                        # utterances + what was dropped

Live listening (server/transcribe/live.py) runs the same steps a segment at a time in
`worker_listen`, so live and afterwards give the same utterances.

Everything that crosses a process boundary here is a small frozen dataclass of plain
values and numpy arrays, so it pickles.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from transcription.engine import Transcriber
from transcription.errors import AudioError
from transcription.listen import Listening, Speech, listen

log = logging.getLogger("zeromeet.transcription")


@dataclass(frozen=True)
class Speaker:
    """Who one recording is of, as the record names them (a party to the interview, or
    an inspector)."""

    participant_id: str
    speaker: str  # display name
    role: str  # "inspector" | "worker" | "employer" | "witness"
    recording_id: str


@dataclass(frozen=True)
class Heard:
    """What became of one Speech: kept text, or the text a guard dropped and why."""

    start: float
    end: float
    start_ms: int
    seq_from: int
    seq_to: int
    text: str
    confidence: float
    reason: str | None = None  # set when dropped: "empty", "junk_phrase", "repetition", ...
    stripped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Utterance:
    """One piece of one party's speech on the interview clock."""

    participant_id: str
    speaker: str
    role: str
    start: float
    end: float
    text: str
    confidence: float
    recording_id: str
    seq_from: int
    seq_to: int
    start_ms: int
    echo: bool = False  # another party's words heard again in this one's microphone


@dataclass(frozen=True)
class PartyResult:
    utterances: list[Utterance]
    filtered: list[Heard]  # every piece a guard dropped, for the job's report


def prepare_party(segments: list[bytes], seqs: list[int], origin_ms: int) -> list[Speech]:
    """Decode one party's segments (`seqs[i]` is the seq of `segments[i]`, in recording
    order) and cut its speech into utterances, on the interview clock of `origin_ms`."""
    if len(segments) != len(seqs):
        raise AudioError(f"{len(segments)} segments but {len(seqs)} seqs")
    return listen(Listening(), list(zip(seqs, segments)), origin_ms, final=True)[1]


def transcribe_speech(transcriber: Transcriber, speech: Speech, language: str) -> Heard:
    """Let Whisper hear one utterance; a dropped piece, or parts stripped from a kept one,
    are logged here by kind, time and length. Never the words: the log is not evidence and
    is read by people the record is not for; the words are returned to the caller."""
    piece = transcriber.transcribe(speech.samples, language)
    if piece is None:
        heard = _heard(speech, "", 0.0, "empty", ())
    else:
        heard = _heard(speech, piece.text, piece.confidence, piece.reason, piece.stripped)
    if heard.reason:
        log.info("transcription dropped a piece", extra={
            "start": heard.start, "end": heard.end, "reason": heard.reason,
            "chars": len(heard.text)})
    elif heard.stripped:
        log.info("transcription stripped parts of a piece", extra={
            "start": heard.start, "end": heard.end,
            "parts": [part.partition(":")[0] for part in heard.stripped]})
    return heard


def _heard(speech: Speech, text: str, confidence: float, reason: str | None,
           stripped: tuple[str, ...]) -> Heard:
    return Heard(speech.start, speech.end, speech.start_ms, speech.seq_from, speech.seq_to,
                 text, confidence, reason, stripped)


def party_result(party: Speaker, heard: list[Heard]) -> PartyResult:
    """Kept pieces as the party's utterances; dropped ones apart."""
    utterances = [Utterance(party.participant_id, party.speaker, party.role, h.start, h.end,
                            h.text, h.confidence, party.recording_id, h.seq_from, h.seq_to,
                            h.start_ms)
                  for h in heard if h.reason is None]
    return PartyResult(utterances, [h for h in heard if h.reason is not None])


def transcribe_party(transcriber: Transcriber, party: Speaker, segments: list[bytes],
                     seqs: list[int], origin_ms: int, language: str) -> PartyResult:
    """All steps in this process, for callers that need no progress reports."""
    transcriber.check_language(language)
    speeches = prepare_party(segments, seqs, origin_ms)
    return party_result(party, [transcribe_speech(transcriber, s, language) for s in speeches])


# --- worker process API ---------------------------------------------------------------
# ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn"),
#                     initializer=init_worker, initargs=(model_dir, device, cpu_threads))
# Spawn, not Linux's default fork: a child forked from a process that has already run
# ONNX Runtime or CTranslate2 threads can inherit a held lock and hang for ever (seen in
# bench/transcription.py).

_worker: Transcriber | None = None


def init_worker(model_dir: str, device: str, cpu_threads: int,
                log_level: int = logging.INFO) -> None:
    """Load the model once per worker process (the pool's initializer). A spawned worker
    starts with no logging set up; unless its caller set some up first, its log lines go
    to stderr as plain text."""
    global _worker
    if not logging.getLogger().handlers and not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(log_level)
    _no_named_semaphores()
    _worker = Transcriber(Path(model_dir), device=device, cpu_threads=cpu_threads)


def _no_named_semaphores() -> None:
    """faster-whisper opens a (disabled) tqdm bar on every call, and tqdm's first bar makes
    a multiprocessing RLock: a named semaphore, registered with the parent's resource
    tracker. A worker stopped with SIGTERM mid-call never unlinks it, and the parent's exit
    then warns of a "leaked semaphore". One worker process needs no cross-process lock."""
    import threading

    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


def worker_prepare(segments: list[bytes], seqs: list[int], origin_ms: int) -> list[Speech]:
    return prepare_party(segments, seqs, origin_ms)


def worker_prepare_from(state: Listening, segments: list[tuple[int, bytes]],
                        origin_ms: int) -> list[Speech]:
    """The speech of `segments` (seq, bytes) and of what `state` still holds, to the end."""
    return listen(state, segments, origin_ms, final=True)[1]


def worker_listen(state: Listening, segments: list[tuple[int, bytes]], origin_ms: int,
                  language: str, final: bool) -> tuple[Listening, list[Heard]]:
    """One live step: the new segments heard, and every utterance they finished
    transcribed."""
    if _worker is None:
        raise RuntimeError("init_worker() was not run in this process")
    state, speeches = listen(state, segments, origin_ms, final=final)
    return state, [transcribe_speech(_worker, speech, language) for speech in speeches]


def worker_transcribe(speech: Speech, language: str) -> Heard:
    if _worker is None:
        raise RuntimeError("init_worker() was not run in this process")
    return transcribe_speech(_worker, speech, language)
