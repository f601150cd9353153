"""Echo between parties: the inspector's words heard again in a worker's phone on speaker
are flagged in the draft, on their own line, and nothing is deleted."""

from __future__ import annotations

import numpy as np

from tests.test_transcription_audio import SR, T0, segments_of, silence, speak
from transcription.echo import flag_echoes
from transcription.engine import Transcriber
from transcription.pipeline import Speaker, Utterance, transcribe_party
from transcription.turns import merge_turns

INSPECTOR = Speaker("p-insp", "Wang", "inspector", "rec-insp")
WORKER = Speaker("p-work", "Li", "worker", "rec-work")


def said(party: Speaker, start: float, end: float, text: str, confidence: float = 0.8) -> Utterance:
    return Utterance(party.participant_id, party.speaker, party.role, start, end, text,
                     confidence, party.recording_id, 1, 1, T0 + int(start * 1000))


def test_the_later_of_two_matching_lines_is_the_echo() -> None:
    lines = [said(INSPECTOR, 1.0, 3.5, "When were you last paid your wages?"),
             said(WORKER, 1.25, 3.7, "When were you last paid wages?", 0.6),
             said(WORKER, 4.5, 6.0, "They have not paid me since March.")]
    flagged = flag_echoes(lines, "en")
    assert [u.echo for u in flagged] == [False, True, False]
    assert [u.text for u in flagged] == [u.text for u in lines]  # nothing changed or lost


def test_same_words_at_other_times_or_other_words_at_the_same_time_are_no_echo() -> None:
    lines = [said(INSPECTOR, 1.0, 3.0, "Were you paid in March?"),
             said(WORKER, 10.0, 12.0, "Were you paid in March?"),  # a repeat, later: no echo
             said(INSPECTOR, 20.0, 22.0, "Tell me about the overtime."),
             said(WORKER, 20.5, 22.0, "No, never on a Sunday.")]  # talking over: no echo
    assert not any(u.echo for u in flag_echoes(lines, "en"))
    # Chinese is compared by character; one party's own lines are never each other's echo.
    zh = [said(INSPECTOR, 1.0, 3.0, "公司欠你多少工资"), said(WORKER, 1.2, 3.1, "公司欠你多少工资"),
          said(WORKER, 1.3, 3.2, "公司欠你多少工资")]
    assert [u.echo for u in flag_echoes(zh, "zh")] == [False, True, True]


def test_an_echo_stays_a_turn_of_its_own_and_is_flagged() -> None:
    lines = flag_echoes([said(INSPECTOR, 1.0, 3.5, "When were you last paid your wages?"),
                         said(WORKER, 1.2, 3.6, "When were you last paid your wages?"),
                         said(WORKER, 3.8, 6.0, "They have not paid me since March.")], "en")
    turns = [t.as_dict() for t in merge_turns(lines, "en")]
    assert [(t["speaker"], t.get("flags")) for t in turns] == [
        ("Wang", None), ("Li", ["echo"]), ("Li", None)]


def test_a_phone_on_speaker_gives_a_flagged_line_in_the_draft(whisper_models: dict) -> None:
    question = speak("When were you last paid your wages?", "en")
    answer = speak("They have not paid me since March.", "en")
    gap = silence(2500)
    inspector = np.concatenate([silence(1000), question, gap, np.zeros_like(answer), silence(1500)])
    # The worker's microphone hears the question again from the speaker, 180 ms later and
    # quieter, then the worker answers.
    delay = silence(180)
    worker = np.concatenate([silence(1000), delay, 0.35 * question, gap[len(delay):], answer,
                             silence(1500)])
    transcriber = Transcriber(whisper_models["tiny.en"], cpu_threads=2)
    utterances = []
    for party, pcm in ((INSPECTOR, inspector), (WORKER, worker)):
        segments = segments_of(pcm.astype(np.float32), T0)
        utterances += transcribe_party(transcriber, party, segments, list(range(1, len(segments) + 1)),
                                       T0, "en").utterances
    turns = [t.as_dict() for t in merge_turns(flag_echoes(utterances, "en"), "en")]
    print([(t["speaker"], t["start"], t["text"], t.get("flags")) for t in turns])
    flagged = [t for t in turns if t.get("flags") == ["echo"]]
    assert [(t["speaker"], round(t["start"])) for t in flagged] == [("Li", 1)]
    answer_at = (SR + len(question) + len(gap)) / SR
    kept = [(t["speaker"], t["start"]) for t in turns if not t.get("flags")]
    assert [who for who, _ in kept] == ["Wang", "Li"]
    assert abs(kept[0][1] - 1.0) <= 0.3 and abs(kept[1][1] - answer_at) <= 0.3


def test_a_record_keeps_the_echo_flag_and_refuses_others() -> None:
    from transcription.record import build_draft, render_text, validate_turns

    turn = {"speaker": "Li", "role": "worker", "start": 1.2, "end": 3.6, "text": "When?",
            "confidence": 0.7, "audio": None}
    kept = validate_turns([{**turn, "flags": ["echo", "echo"]}, {**turn, "flags": []}, turn])
    assert kept[0]["flags"] == ["echo"] and "flags" not in kept[1] and "flags" not in kept[2]
    for bad in ("echo", ["loud"], [1]):
        try:
            validate_turns([{**turn, "flags": bad}])
        except ValueError as exc:
            assert "flags" in str(exc)
        else:
            raise AssertionError(f"flags {bad!r} were taken")
    # The text a party reads and confirms is the same with the flag and without it.
    from datetime import UTC, datetime

    def text(turns: list[dict]) -> str:
        at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
        return render_text(build_draft(
            interview_id="i", case_id="c", language="en", case_number="ZM-1", case_title="t",
            employer="e", started_at=at, ended_at=at, inspectors=["Wang"],
            interviewees=[("Li", "worker")], turns=turns))

    assert text([{**turn, "flags": ["echo"]}]) == text([turn])
