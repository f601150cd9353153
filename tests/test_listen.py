"""Finding speech segment by segment, as live listening does: the utterances come out as
soon as they end, the same however the segments were handed over, and a job can go on
from a live state."""

from __future__ import annotations

import hashlib
import pickle

import numpy as np

from tests.test_transcription_audio import T0, segments_of, silence, speak, timeline
from transcription.audio import RATE, decode_party_audio
from transcription.listen import HOLD_MS, Listening, listen
from transcription.speech import find_speech

LINES = ["How long have you worked at this company?",
         "They have not paid me since March.",
         "Did the employer pay you on time?"]


def conversation() -> tuple[list[tuple[int, bytes]], list[tuple[float, float]]]:
    said = [speak(line, "en") for line in LINES]
    pcm, spans = timeline([silence(1300), said[0], silence(2600), said[1], silence(1900),
                           said[2], silence(1500)])
    segments = segments_of(pcm, T0)
    return list(enumerate(segments, start=1)), [spans[1], spans[3], spans[5]]


def facts(speeches) -> list[tuple]:
    return [(s.start, s.end, s.start_ms, s.seq_from, s.seq_to, s.samples.tobytes()) for s in speeches]


def test_each_utterance_comes_out_once_enough_audio_follows_it() -> None:
    segments, truth = conversation()
    state, out, seen_at = Listening(), [], []
    for index, segment in enumerate(segments):
        state, found = listen(state, [segment], T0)
        out += found
        seen_at += [(index + 1) * 2.0] * len(found)  # seconds of audio heard by then
    state, last = listen(state, [], T0, final=True)
    assert state.ended and not state.held and last == []
    assert len(out) == 3
    for speech, (start, end), at in zip(out, truth, seen_at):
        assert abs(speech.start - start) <= 0.3 and abs(speech.end - end) <= 0.3
        # out at the first segment that holds HOLD_MS after its end: never waits for more
        assert at - speech.end <= HOLD_MS / 1000 + 2.0
    # The spans the VAD finds over the whole recording, but for its context at the start.
    whole = find_speech(decode_party_audio([data for _, data in segments], T0).samples)
    assert len(whole) == len(out)
    for (start, end), speech in zip(whole, out):
        assert abs(start / RATE - speech.start) <= 0.15 and abs(end / RATE - speech.end) <= 0.15


def test_the_same_segments_give_the_same_speech_however_they_are_handed_over() -> None:
    segments, _ = conversation()
    at_once = listen(Listening(), segments, T0, final=True)[1]
    state, piecewise = Listening(), []
    for chunk in (segments[:1], segments[1:4], segments[4:5], segments[5:]):
        state = pickle.loads(pickle.dumps(state))  # a job goes on from a live state
        state, found = listen(state, chunk, T0)
        piecewise += found
    piecewise += listen(state, [], T0, final=True)[1]
    assert facts(at_once) == facts(piecewise)


def test_silence_is_let_go_and_speech_still_under_way_is_held() -> None:
    pcm = np.concatenate([silence(20_000), speak(LINES[0], "en")])
    segments = list(enumerate(segments_of(pcm, T0), start=1))
    state = Listening()
    for segment in segments[:10]:  # 20 s of silence
        state, found = listen(state, [segment], T0)
        assert found == []
        assert len(state.held) <= 1
    assert state.committed_ms >= 20_000 - HOLD_MS - 2000
    state, found = listen(state, segments[10:], T0)
    assert found == []  # the line runs to the end of what was heard: not over yet
    state, found = listen(state, [], T0, final=True)
    assert len(found) == 1 and found[0].start >= 19.7


def test_a_long_speech_comes_out_in_pieces_while_it_goes_on() -> None:
    talk = np.concatenate([speak(" ".join(LINES), "en", speed=175)] * 6)  # ~35 s, no pause
    segments = list(enumerate(segments_of(np.concatenate([silence(500), talk]), T0), start=1))
    state, early = Listening(), []
    for segment in segments[:-1]:
        state, found = listen(state, [segment], T0)
        early += found
    assert early, "nothing came out of 35 s of speech before it ended"
    assert all(s.end - s.start <= 25.0 for s in early)
    held_s = sum(len(data) for _, data in state.held)
    assert held_s < sum(len(data) for _, data in segments)  # the heard part was let go


def test_the_job_goes_on_from_live_listening_only_over_the_very_same_segments() -> None:
    """A recording whose stored segments are not the ones live listening heard (one was
    altered in the store and left out, or another came) is heard again from its start."""
    from server.transcribe.live import Snapshot
    from server.transcribe.runner import TranscriptionRunner
    from server.transcribe.stored import PartyAudio
    from transcription.pipeline import Speaker

    segments, _ = conversation()
    seqs = [seq for seq, _ in segments]
    hashes = [hashlib.sha256(data).hexdigest() for _, data in segments]
    state, _ = listen(Listening(), segments[:3], T0)
    snapshot = Snapshot(tuple(zip(seqs[:3], hashes[:3])), state, ())

    class Live:
        def take(self, recording_id: str) -> Snapshot:
            return snapshot

    runner = TranscriptionRunner.__new__(TranscriptionRunner)
    runner.live = Live()
    party = Speaker("p", "Li", "worker", "r")
    whole = PartyAudio(party, [d for _, d in segments], seqs, hashes)
    assert runner._from_live(whole) == (state, [], segments[3:])  # goes on after the third
    altered = PartyAudio(party, [d for _, d in segments[:1] + segments[2:]],
                          seqs[:1] + seqs[2:], hashes[:1] + hashes[2:])  # seq 2 left out
    assert runner._from_live(altered) == (Listening(), [], segments[:1] + segments[2:])
    runner.live = None
    assert runner._from_live(whole) == (Listening(), [], segments)
