"""Several questions in a row in one inspector's turn become one turn each (questions.py,
turns.py); answers, quotes and English phrases inside Chinese are never cut."""

from __future__ import annotations

import pytest

from transcription.normalise import chinese_punctuation
from transcription.pipeline import Utterance
from transcription.questions import question_spans
from transcription.record import validate_turns
from transcription.turns import merge_turns

T0 = 1_790_000_000_000


def questions(text: str, language: str = "zh") -> list[str]:
    return [text[a:b] for a, b in question_spans(text, language)]


def utt(role: str, start: float, end: float, text: str, *, seq: tuple[int, int] = (3, 7),
        confidence: float = 0.9, recording: str = "rec-1", echo: bool = False) -> Utterance:
    return Utterance(f"pid-{role}", f"name-{role}", role, start, end, text, confidence,
                     recording, seq[0], seq[1], T0 + round(start * 1000), echo)


# --- where to cut -----------------------------------------------------------------------

@pytest.mark.parametrize("text, language, expected", [
    ("你叫什么名字？你在哪个单位工作？", "zh", ["你叫什么名字？", "你在哪个单位工作？"]),
    ("What is your name? Where do you work?", "en", ["What is your name?", "Where do you work?"]),
    ("好的。你几号入职的？签合同了吗？工资按时发吗？", "zh",
     ["好的。你几号入职的？", "签合同了吗？", "工资按时发吗？"]),
    ("你每天工作几个小时？请如实回答。", "zh", ["你每天工作几个小时？", "请如实回答。"]),
    ("真的吗？！那你为什么不走？", "zh", ["真的吗？！", "那你为什么不走？"]),
])
def test_each_question_is_cut_from_the_next(text: str, language: str, expected: list[str]) -> None:
    assert questions(text, language) == expected


@pytest.mark.parametrize("text, language", [
    ("你在这家公司工作多久了？", "zh"),
    ("我问你一个问题，你要如实回答。", "zh"),
    ("你跟他说过“工资什么时候发？你们为什么拖欠？”这句话吗？", "zh"),  # inside quotes
    ("他在群里发了「谁来管管？没人管吗？」这条消息吗？", "zh"),
    ("是吗？你确定吗？", "zh"),  # "是吗？" is too short to stand alone
    ("你叫什么名字？啊？", "zh"),
    ("Did you sign? or did they?", "en"),  # a lower-case word goes on with the sentence
    ("What? Why?", "en"),
    ("", "zh"),
])
def test_one_question_is_not_cut(text: str, language: str) -> None:
    assert questions(text, language) == [text]


def test_a_quoted_question_mark_does_not_cut_but_the_one_after_the_quote_does() -> None:
    assert questions('Did he ask "Why? Where is my pay?" and leave? When was that?', "en") == [
        'Did he ask "Why? Where is my pay?" and leave?', "When was that?"]


def test_an_english_phrase_inside_chinese_keeps_its_question_marks_uncut() -> None:
    heard = chinese_punctuation("他说How are you? What is your name?是什么意思?你听懂了吗?")
    assert heard == "他说How are you? What is your name?是什么意思？你听懂了吗？"
    assert questions(heard) == ["他说How are you? What is your name?是什么意思？", "你听懂了吗？"]
    assert questions(chinese_punctuation("What y'all秘密?你们有什么秘密?")) == [
        "What y'all秘密？", "你们有什么秘密？"]


# --- the turns --------------------------------------------------------------------------

def test_two_questions_in_one_utterance_share_its_time_by_characters() -> None:
    first, second = merge_turns([utt("inspector", 2.0, 10.0, "你叫什么名字？你在哪个单位工作？",
                                     confidence=0.7)], "zh")
    assert (first.text, first.start, first.end) == ("你叫什么名字？", 2.0, 5.5)  # 7 of 16
    assert (second.text, second.start, second.end) == ("你在哪个单位工作？", 5.5, 10.0)
    for turn in (first, second):
        assert (turn.speaker, turn.role, turn.kind, turn.participant_id, turn.confidence) == (
            "name-inspector", "inspector", "question", "pid-inspector", 0.7)
    assert first.audio == {"recording_id": "rec-1", "from": 3, "to": 7, "start_ms": T0 + 2000}
    assert second.audio == {"recording_id": "rec-1", "from": 3, "to": 7, "start_ms": T0 + 5500}


def test_questions_in_separate_pieces_keep_each_pieces_time_audio_and_confidence() -> None:
    turns = merge_turns([utt("inspector", 1.0, 3.0, "What is your name?", seq=(0, 1), confidence=0.9),
                         utt("inspector", 3.5, 6.0, "Where do you", seq=(1, 2), confidence=0.8),
                         utt("inspector", 6.5, 8.5, "work?", seq=(3, 3), confidence=0.5),
                         utt("worker", 9.0, 12.0, "I am Li Ming, at the factory.")], "en")
    assert [(t.kind, t.text, t.start, t.end) for t in turns] == [
        ("question", "What is your name?", 1.0, 3.0),
        ("question", "Where do you work?", 3.5, 8.5),
        ("answer", "I am Li Ming, at the factory.", 9.0, 12.0)]
    assert turns[0].audio == {"recording_id": "rec-1", "from": 0, "to": 1, "start_ms": T0 + 1000}
    assert turns[1].audio == {"recording_id": "rec-1", "from": 1, "to": 3, "start_ms": T0 + 3500}
    assert turns[0].confidence == 0.9
    assert turns[1].confidence == pytest.approx((2.5 * 0.8 + 2 * 0.5) / 4.5, abs=1e-3)


def test_a_cut_inside_a_later_piece_times_it_within_that_piece() -> None:
    turns = merge_turns([utt("inspector", 0.0, 2.0, "请你说一下", seq=(0, 0)),
                         utt("inspector", 3.0, 7.0, "你叫什么名字？在哪里工作？", seq=(1, 3),
                             recording="rec-2")], "zh")
    assert [t.text for t in turns] == ["请你说一下，你叫什么名字？", "在哪里工作？"]
    assert (turns[0].start, turns[0].end) == (0.0, pytest.approx(3.0 + 4 * 7 / 13))
    assert turns[1].start == pytest.approx(3.0 + 4 * 7 / 13) and turns[1].end == 7.0
    assert turns[0].audio == {"recording_id": "rec-1", "from": 0, "to": 0, "start_ms": T0}
    assert turns[1].audio["recording_id"] == "rec-2"
    assert turns[1].audio["start_ms"] == T0 + round(turns[1].start * 1000)


def test_answers_are_never_cut() -> None:
    answer = "你问我叫什么名字？我叫李明。你问我在哪里工作？在工厂。"
    turn, = merge_turns([utt("worker", 0.0, 6.0, answer)], "zh")
    assert (turn.kind, turn.text) == ("answer", answer)


def test_an_echo_flag_stays_on_every_question() -> None:
    turns = merge_turns([utt("inspector", 0.0, 4.0, "你叫什么名字？你在哪个单位工作？", echo=True)],
                        "zh")
    assert [t.flags for t in turns] == [("echo",), ("echo",)]


def test_cut_turns_are_valid_record_turns() -> None:
    turns = merge_turns([utt("inspector", 0.123, 0.2, "你叫什么名字？你在哪个单位工作？"),
                         utt("inspector", 0.3, 9.9, "What is your name? Where do you work?")], "zh")
    stored = validate_turns([t.as_dict() for t in turns])
    assert [t["text"] for t in stored] == [  # in a Chinese record, English keeps its "?" uncut
        "你叫什么名字？", "你在哪个单位工作？", "What is your name? Where do you work?"]
    assert all(t["start"] <= t["end"] for t in stored)
