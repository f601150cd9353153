"""One party's speech found segment by segment, as the segments arrive.

The same steps run live (each stored 2 s segment as it reaches the object store) and in
the durable job afterwards (every stored segment, one at a time), so a draft comes out
the same whichever made it, and a job can go on from where live listening stopped.

    state, speeches = listen(Listening(), [(seq, webm_bytes), ...], origin_ms)
    state, last = listen(state, [], origin_ms, final=True)   # the party's audio has ended

Each step decodes what is not yet heard (from `committed_ms` on), runs the VAD over it,
and gives out every utterance followed by at least `HOLD_MS` of audio: Silero reads its
input in order, so nothing that comes later can move such an utterance. The next step
starts where the last one given out ended. Only plain values cross a process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from transcription.audio import PER_MS, RATE, PartyAudio, decode_party_audio
from transcription.speech import find_speech

# Speech is final once this much audio follows it: the VAD ends an utterance after 500 ms
# of silence and pads it by 200 ms.
HOLD_MS = 800


@dataclass(frozen=True)
class Speech:
    """One utterance found by the VAD, with its audio, not yet heard by Whisper."""

    start: float  # seconds on the interview clock
    end: float
    start_ms: int  # epoch ms of `start`
    seq_from: int  # segment seqs holding it
    seq_to: int
    samples: np.ndarray = field(repr=False, compare=False)  # 16 kHz mono float32


@dataclass(frozen=True)
class Listening:
    """Where one party's listening stands: speech before `committed_ms` (since the
    interview's origin) has been given out; `held` are the segments (seq, bytes) that
    reach past it, still to be heard."""

    committed_ms: int = 0
    held: tuple[tuple[int, bytes], ...] = ()
    ended: bool = False


def listen(state: Listening, segments: list[tuple[int, bytes]], origin_ms: int, *,
           final: bool = False) -> tuple[Listening, list[Speech]]:
    """Feed `segments` (in recording order) one at a time; with `final`, give out what is
    left as well (the recording is sealed)."""
    found: list[Speech] = []
    for segment in segments:
        state, speeches = _step(replace(state, held=state.held + (segment,)), origin_ms, False)
        found += speeches
    if final and not state.ended:
        state, speeches = _step(state, origin_ms, True)
        found += speeches
    return state, found


def _step(state: Listening, origin_ms: int, final: bool) -> tuple[Listening, list[Speech]]:
    if not state.held:
        return replace(state, ended=final), []
    seqs = [seq for seq, _ in state.held]
    audio = decode_party_audio([data for _, data in state.held], origin_ms, state.committed_ms)
    spans = find_speech(audio.samples)
    cut = len(audio.samples) - HOLD_MS * PER_MS
    done = spans if final else [span for span in spans if span[1] <= cut]
    if final:
        heard_to = len(audio.samples)
    elif done:
        heard_to = done[-1][1]
    elif spans:
        heard_to = 0  # speech is under way: hear it all once it ends
    else:
        heard_to = max(cut, 0)
    committed = state.committed_ms + heard_to // PER_MS
    speeches = [_speech(audio, span, seqs, origin_ms) for span in done]
    held = tuple(item for index, item in enumerate(state.held)
                 if _reaches_past(audio, index, committed))
    return Listening(committed, () if final else held, final), speeches


def _speech(audio: PartyAudio, span: tuple[int, int], seqs: list[int], origin_ms: int) -> Speech:
    start, end = span
    start_ms = audio.from_ms + start // PER_MS
    end_ms = audio.from_ms + -(-end // PER_MS)
    found = audio.segment_range(start_ms, end_ms)
    first, last = found if found else (0, len(seqs) - 1)
    offset = audio.from_ms * PER_MS
    return Speech(round((offset + start) / RATE, 3), round((offset + end) / RATE, 3),
                  origin_ms + start_ms, seqs[first], seqs[last], audio.samples[start:end].copy())


def _reaches_past(audio: PartyAudio, index: int, committed_ms: int) -> bool:
    """Whether segment `index` holds audio after `committed_ms`; one with no readable
    blocks holds none."""
    return any(span.index == index and span.end_ms > committed_ms for span in audio.spans)
