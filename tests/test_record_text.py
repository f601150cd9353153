"""The record's content, the text a party confirms, its hashes, editor input and diffs."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from transcription.record import (
    FORMAT, LOW_CONFIDENCE, MAX_TURNS, annotate, build_draft, closing, content_sha256, formula,
    without_formula,
    diff_versions, notice, render_text, text_sha256, validate_turns,
)

STARTED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def turn(speaker: str = "李工人", role: str = "worker", text: str = "三年了。", start: float = 1.0,
         **extra: Any) -> dict[str, Any]:
    return {"speaker": speaker, "role": role, "start": start, "end": start + 2, "text": text,
            **extra}


def record(language: str = "zh", turns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    turns = turns if turns is not None else [
        turn("王检查", "inspector", "你在这家公司工作多久了？", 3.2, confidence=0.81,
             participant_id="p-1",
             audio={"recording_id": "r-1", "from": 2, "to": 4, "start_ms": 1_763_888_403_200}),
        turn("李工人", "worker", "三年了。", 7.0, confidence=0.4, participant_id="p-2"),
    ]
    return build_draft(
        interview_id="i-1", case_id="c-1", language=language, case_number="ZM-2026-000001",
        case_title="拖欠工资", employer="某某建筑有限公司", started_at=STARTED,
        ended_at=STARTED + timedelta(minutes=20), inspectors=["王检查", "张监察"],
        interviewees=[("李工人", "worker")], turns=turns)


# --- content ---------------------------------------------------------------------------

def test_draft_has_the_documented_shape() -> None:
    content = record()
    assert content["format"] == FORMAT == "zeromeet.record/1"
    assert set(content) == {"format", "interview_id", "case_id", "language", "header", "notice",
                            "turns", "closing"}
    header = content["header"]
    assert header["title"] == "询问笔录" and header["place"] == "远程视频"
    assert header["started_at"] == "2026-11-23T09:00:00+00:00"
    assert header["ended_at"] == "2026-11-23T09:20:00+00:00"
    assert header["inspectors"] == [{"name": "王检查"}, {"name": "张监察"}]
    assert header["interviewees"] == [{"name": "李工人", "role": "worker"}]
    assert content["turns"][0]["kind"] == "question" and content["turns"][1]["kind"] == "answer"
    assert record("en")["header"]["title"] == "Inquiry record"
    assert record("en")["header"]["place"] == "Remote video"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="started_at must be timezone-aware"):
        build_draft(interview_id="i", case_id="c", language="zh", case_number="n",
                    case_title="t", employer="e", started_at=datetime(2026, 1, 1),
                    ended_at=STARTED, inspectors=[], interviewees=[], turns=[])


def test_notice_and_closing_say_what_the_law_asks() -> None:
    zh = notice("zh")
    for phrase in ("劳动保障监察员", "如实回答", "无关的问题", "拒绝回答", "回避", "录音录像", "阅读本笔录"):
        assert phrase in zh
    # The formula a signature confirms stands beside it only: never in the text read before
    # an answer, so nothing above a refusal says it.
    assert "拒绝签名的，请说明理由" in closing("zh") and "相符" not in closing("zh")
    assert formula("zh") == "以上笔录我看过，与我说的相符。"
    en = notice("en")
    for phrase in ("truthfully", "unrelated", "recusal", "audio and video", "read"):
        assert phrase in en
    assert "matches what I said" not in closing("en") and "matches what I said" in formula("en")
    old = closing("zh") + "\n被询问人确认：以上笔录我看过，与我说的相符。"
    assert without_formula(old) == closing("zh") == without_formula(closing("zh"))


# --- render_text -------------------------------------------------------------------------

def test_text_in_chinese() -> None:
    text = render_text(record())
    assert text == render_text(record())
    lines = text.split("\n")
    assert lines[:8] == [
        "询问笔录", "案件编号：ZM-2026-000001", "案由：拖欠工资", "用人单位：某某建筑有限公司",
        "时间：2026年11月23日 17时00分至17时20分", "地点：远程视频", "询问人：王检查、张监察",
        "记录人：王检查"]
    assert lines[8] == "被询问人：李工人（劳动者）"
    assert lines[9] == "" and lines[10] == notice("zh") and lines[11] == ""
    assert lines[12:14] == ["问：你在这家公司工作多久了？", "答：三年了。"]
    assert lines[14] == ""
    assert text.endswith(closing("zh") + "\n") and not text.endswith("\n\n")
    assert "\r" not in text


def test_text_in_english() -> None:
    text = render_text(record("en"))
    assert text.startswith("Inquiry record\nCase number: ZM-2026-000001\n")
    assert "Time: 2026-11-23 17:00 – 17:20 (China time, UTC+8)\n" in text
    assert "Interviewees: 李工人 (worker)\n" in text
    assert "\nQ: 你在这家公司工作多久了？\nA: 三年了。\n" in text


@pytest.mark.parametrize(("role", "shown"), [
    ("worker", "劳动者"), ("employer", "用人单位代表"), ("witness", "证人")])
def test_roles_are_shown_in_chinese(role: str, shown: str) -> None:
    content = record()
    content["header"]["interviewees"] = [{"name": "某人", "role": role}]
    assert f"被询问人：某人（{shown}）\n" in render_text(content)


def test_times_are_china_time_and_span_midnight_with_dates() -> None:
    content = record()
    content["header"]["started_at"] = "2026-11-23T15:50:00+00:00"
    content["header"]["ended_at"] = "2026-11-23T16:10:00+00:00"
    assert "时间：2026年11月23日 23时50分至2026年11月24日 00时10分\n" in render_text(content)


def test_answers_name_their_speaker_when_several_people_answer() -> None:
    content = record(turns=[turn("王检查", "inspector", "说说情况。"), turn("李工人", "worker", "没发工资。"),
                            turn("赵经理", "employer", "发了。")])
    assert "\n问：说说情况。\n答（李工人）：没发工资。\n答（赵经理）：发了。\n" in render_text(content)


def test_text_hash_changes_with_one_character() -> None:
    content = record()
    edited = copy.deepcopy(content)
    edited["turns"][1]["text"] = "四年了。"
    assert text_sha256(content) != text_sha256(edited)
    assert content_sha256(content) != content_sha256(edited)
    assert len(text_sha256(content)) == 64


def test_content_hash_ignores_key_order() -> None:
    content = record()
    shuffled = json.loads(json.dumps(content, sort_keys=True))
    reversed_keys = {key: shuffled[key] for key in reversed(list(shuffled))}
    assert list(reversed_keys) != list(content)
    assert content_sha256(reversed_keys) == content_sha256(content)


def test_a_retimed_turn_keeps_the_text_hash_but_not_the_content_hash() -> None:
    content = record()
    retimed = copy.deepcopy(content)
    retimed["turns"][0]["start"] = 4.0
    assert text_sha256(retimed) == text_sha256(content)
    assert content_sha256(retimed) != content_sha256(content)


# --- validate_turns ------------------------------------------------------------------------

def test_good_turns_round_trip() -> None:
    stored = record()["turns"]
    sent = [{**t, "low_confidence": True, "editor_note": "x"} for t in annotate({"turns": stored})]
    assert validate_turns(json.loads(json.dumps(sent))) == stored


def test_turns_are_normalised() -> None:
    [cleaned] = validate_turns([{"speaker": " 王检查 ", "role": "inspector", "start": 1, "end": 2,
                                 "text": "  Cafe\u0301\r\n第二行  "}])
    assert cleaned == {"speaker": "王检查", "role": "inspector", "kind": "question", "start": 1.0,
                       "end": 2.0, "text": "Café\n第二行", "confidence": None,
                       "participant_id": None, "audio": None}
    assert isinstance(cleaned["start"], float)


@pytest.mark.parametrize(("change", "message"), [
    ({"text": None}, "Turn 2: text must be a string"),
    ({"text": "   "}, "Turn 2: text must not be empty"),
    ({"text": "x" * 10_001}, "Turn 2: text is longer than 10000"),
    ({"text": "好\x07"}, "Turn 2: text contains the control character U\\+0007"),
    ({"text": "a\tb"}, "Turn 2: text contains the control character U\\+0009"),
    ({"text": "\ud800"}, "Turn 2: text contains the control character U\\+D800"),
    ({"speaker": ""}, "Turn 2: speaker must not be empty"),
    ({"speaker": "名" * 129}, "Turn 2: speaker is longer than 128"),
    ({"role": "boss"}, "Turn 2: role must be one of"),
    ({"kind": "statement"}, "Turn 2: kind must be question or answer"),
    ({"start": 5.0, "end": 2.0}, r"Turn 2: end \(2.0\) is before start \(5.0\)"),
    ({"start": math.nan}, "Turn 2: start must be a finite number"),
    ({"end": math.inf}, "Turn 2: end must be a finite number"),
    ({"start": -1}, "Turn 2: start must be a finite number"),
    ({"end": 86_401}, "Turn 2: end must be a finite number"),
    ({"start": "1"}, "Turn 2: start must be a finite number"),
    ({"start": True}, "Turn 2: start must be a finite number"),
    ({"confidence": 1.5}, "Turn 2: confidence must be a number from 0 to 1"),
    ({"participant_id": 7}, "Turn 2: participant_id must be a string or null"),
    ({"audio": {"from": 1, "to": 2, "start_ms": 0}}, "Turn 2: audio must be null or an object"),
    ({"audio": {"recording_id": "r", "from": 0, "to": 2, "start_ms": 0}},
     "Turn 2: audio segments must run from 1"),
    ({"audio": {"recording_id": "r", "from": 3, "to": 2, "start_ms": 0}},
     "Turn 2: audio segments must run from 1"),
    ({"audio": {"recording_id": "r", "from": 1.5, "to": 2, "start_ms": 0}},
     "Turn 2: audio from, to and start_ms must be whole numbers"),
])
def test_bad_turns_are_refused_naming_the_turn(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_turns([turn(), {**turn(), **change}])


def test_a_missing_field_is_refused() -> None:
    bad = turn()
    del bad["text"]
    with pytest.raises(ValueError, match="Turn 1: text must be a string"):
        validate_turns([bad])


def test_too_many_turns_are_refused() -> None:
    validate_turns([turn()] * MAX_TURNS)
    with pytest.raises(ValueError, match="at most 2000 turns, not 2001"):
        validate_turns([turn()] * (MAX_TURNS + 1))


def test_not_a_list_or_not_objects() -> None:
    with pytest.raises(ValueError, match="turns must be a list"):
        validate_turns({"turns": []})
    with pytest.raises(ValueError, match="Turn 1 must be an object"):
        validate_turns(["问：你好"])


# --- annotate and diff ------------------------------------------------------------------------

def test_low_confidence_marks_only_unsure_machine_turns() -> None:
    content = record(turns=[turn(confidence=0.81), turn(confidence=LOW_CONFIDENCE - 0.01),
                            turn(confidence=LOW_CONFIDENCE), turn()])
    assert [t["low_confidence"] for t in annotate(content)] == [False, True, False, False]
    assert "low_confidence" not in content["turns"][1]


def test_diff_of_an_edited_turn_is_a_replace() -> None:
    before = record()
    after = copy.deepcopy(before)
    after["turns"][1]["text"] = "四年了。"
    assert [c["op"] for c in diff_versions(before, after)] == ["equal", "replace"]
    replace = diff_versions(before, after)[1]
    assert replace["before"] == [before["turns"][1]] and replace["after"] == [after["turns"][1]]


def test_diff_of_added_and_removed_turns() -> None:
    before = record()
    added = copy.deepcopy(before)
    added["turns"] += validate_turns([turn("王检查", "inspector", "工资发了吗？", 12.0)])
    changes = diff_versions(before, added)
    assert [c["op"] for c in changes] == ["equal", "insert"]
    assert changes[1]["before"] == [] and changes[1]["after"][0]["text"] == "工资发了吗？"
    removed = diff_versions(added, before)
    assert [c["op"] for c in removed] == ["equal", "delete"]


def test_diff_reports_notice_and_closing_changes_only_when_changed() -> None:
    before = record()
    after = copy.deepcopy(before)
    assert all("field" not in c for c in diff_versions(before, after))
    after["notice"] = before["notice"] + "补充。"
    after["closing"] = "以上笔录我看过，与我说的相符。"
    changes = diff_versions(before, after)
    assert changes[0] == {"op": "replace", "field": "notice", "before": [before["notice"]],
                          "after": [after["notice"]]}
    assert changes[-1]["field"] == "closing" and changes[-1]["after"] == [after["closing"]]
    assert [c["op"] for c in changes[1:-1]] == ["equal"]
