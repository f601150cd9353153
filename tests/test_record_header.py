"""The header a real 询问笔录 carries: each officer's 执法证号, the record keeper (记录人),
what the interviewee said of themselves (ID, phone, address: claimed, as told), and the
bureau's time zone, named. Pure functions; the API path is in test_record_header_api.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.errors import ConfigError
from server.settings import Settings
from transcription.record import build_draft, render_text
from transcription.record_header import edited_header, officers_with_badges

STARTED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(language: str = "zh", **extra: object) -> dict:
    return build_draft(
        interview_id="i", case_id="c", language=language, case_number="ZM-2026-000001",
        case_title="拖欠工资", employer="某某建筑有限公司", started_at=STARTED,
        ended_at=STARTED + timedelta(minutes=20),
        inspectors=[("王检查", "37010020261234"), ("张监察", "")],
        interviewees=[("李工人", "worker")], turns=[], **extra)


def test_officers_with_their_numbers_and_the_record_keeper() -> None:
    text = render_text(record())
    assert "询问人：王检查（执法证号：37010020261234）、张监察\n" in text
    assert "记录人：王检查\n" in text
    english = render_text(record("en"))
    assert "Interviewers: 王检查 (certificate no. 37010020261234), 张监察\n" in english
    assert "Recorded by: 王检查\n" in english


def test_what_the_interviewee_said_of_themselves_is_written_when_given() -> None:
    content = record()
    assert "\n证件：" not in render_text(content)  # nothing claimed yet: no empty lines
    content["header"] = edited_header(content["header"], {
        "inspectors": [{"name": "王检查", "badge": "37010020261234"}, {"name": "张监察", "badge": "37010020265678"}],
        "recorder": "张监察",
        "interviewees": [{"id_type": "居民身份证", "id_number": "370102199001011234",
                          "phone": "13812345678", "address": "山东省济南市历下区某某路1号"}]})
    text = render_text(content)
    for line in ("询问人：王检查（执法证号：37010020261234）、张监察（执法证号：37010020265678）",
                 "记录人：张监察", "被询问人：李工人（劳动者）", "证件：居民身份证 370102199001011234",
                 "联系电话：13812345678", "住址：山东省济南市历下区某某路1号"):
        assert f"\n{line}\n" in text, line
    assert officers_with_badges(content["header"]) == 2
    # Cleared again: the line goes.
    content["header"] = edited_header(content["header"], {"interviewees": [{"phone": ""}]})
    assert "联系电话" not in render_text(content) and "住址：山东省" in render_text(content)


def test_several_interviewees_are_told_apart() -> None:
    content = build_draft(
        interview_id="i", case_id="c", language="zh", case_number="n", case_title="t",
        employer="e", started_at=STARTED, ended_at=STARTED, inspectors=["王检查"],
        interviewees=[("李工人", "worker"), ("赵经理", "employer")], turns=[])
    content["header"] = edited_header(content["header"], {"interviewees": [
        {"phone": "13812345678"}, {"phone": "13987654321"}]})
    text = render_text(content)
    assert "联系电话（李工人）：13812345678\n" in text and "联系电话（赵经理）：13987654321\n" in text


@pytest.mark.parametrize(("edit", "message"), [
    ({"case_number": "x"}, "case_number cannot be edited"),
    ({"inspectors": []}, "1 to 10 officers"),
    ({"inspectors": [{"name": "  "}]}, "name must not be empty"),
    ({"inspectors": [{"name": "王", "rank": "x"}]}, "a name and a badge"),
    ({"recorder": "王\n检查"}, "must be one line"),
    ({"interviewees": []}, "the 1 interviewee"),
    ({"interviewees": [{"name": "别人"}]}, "cannot be edited"),
    ({"interviewees": [{"phone": "1" * 33}]}, "longer than 32"),
    ({"interviewees": [{"address": "x\x07"}]}, "control character"),
])
def test_edits_that_are_not_allowed_are_named(edit: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        edited_header(record()["header"], edit)


def test_the_record_is_in_the_bureaus_time_zone_and_says_so() -> None:
    shanghai = render_text(record())
    assert "时间：2026年11月23日 17时00分至17时20分\n" in shanghai
    urumqi = render_text(record(time_zone="Asia/Urumqi"))
    assert "时间：2026年11月23日 15时00分至15时20分（Asia/Urumqi时间）\n" in urumqi
    assert "(Asia/Urumqi)" in render_text(record("en", time_zone="Asia/Urumqi"))
    # A record from before the zone was kept renders as it always did.
    old = record()
    del old["header"]["time_zone"]
    assert render_text(old) == shanghai


def test_settings_check_the_zone_and_the_officers(tmp_path) -> None:  # noqa: ANN001
    base = {"ZEROMEET_DATA_DIR": str(tmp_path)}
    settings = Settings.from_env(base)
    assert (settings.time_zone, settings.record_officers) == ("Asia/Shanghai", 1)
    assert Settings.from_env({**base, "ZEROMEET_RECORD_OFFICERS": "2"}).record_officers == 2
    with pytest.raises(ConfigError, match="ZEROMEET_TIME_ZONE"):
        Settings.from_env({**base, "ZEROMEET_TIME_ZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="ZEROMEET_RECORD_OFFICERS"):
        Settings.from_env({**base, "ZEROMEET_RECORD_OFFICERS": "0"})
