"""From a real call to the draft inquiry record: real aiortc peers speaking espeak-ng
lines, the real recorder and SeaweedFS, the real Whisper models in the worker process."""

from __future__ import annotations

from datetime import datetime

import pytest

from server.settings import Settings
from tests.support.conversation import WHO, converse
from tests.support.rooms import Interview
from transcription.normalise import cer, wer

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ENGLISH = [
    ("inspector", "How long have you worked for this company?"),
    ("worker", "I have worked here for two years."),
    ("inspector", "When were you last paid your wages?"),
    ("worker", "They have not paid me since March."),
]
# Pinyin with tone digits, for espeak-ng's cmn-latn-pinyin voice; the reference is the
# Chinese a listener writes down.
MANDARIN = [
    ("inspector", "ni3 zai4 zhe4 jia1 gong1 si1 gong1 zuo4 duo1 jiu3 le5", "你在这家公司工作多久了"),
    ("worker", "wo3 zai4 zhe4 li3 gong1 zuo4 liang3 nian2 le5", "我在这里工作两年了"),
    ("inspector", "gong1 si1 qian4 ni3 duo1 shao3 gong1 zi1", "公司欠你多少工资"),
    ("worker", "qian4 wo3 san1 ge4 yue4 de5 gong1 zi1", "欠我三个月的工资"),
]
# Set from measurement: espeak-ng through a real call and Opus, transcribed by the
# bundled models. English with tiny.en measured WER 0.0-0.1; Mandarin with base measured
# CER 0.60-0.75 over six runs (espeak's pinyin voice is hard to understand; people would
# score lower). The bounds catch a broken pipeline (CER ~1), not a model's bad day.
MAX_WER_EN = 0.35
MAX_CER_ZH = 0.85


@pytest.fixture
def settings(settings: Settings, whisper_models: dict, request: pytest.FixtureRequest) -> Settings:
    marker = request.node.get_closest_marker("model")
    model = whisper_models[marker.args[0] if marker else "base"]
    return settings.with_(transcribe=True, whisper_model=str(model))


def check_turns(conv, lines, texts, language: str, *,  # noqa: ANN001
                filtered: list[dict] | None = None) -> float:
    """Turns in script order, right roles and kinds, at the right times; returns the
    normalised error rate of the turns against their lines. With `filtered` (the draft's
    record of what the text filters dropped), a line may instead be a filtered piece of
    the same speaker at the same time: the pipeline dropped it and said so."""
    turns = conv.record["turns"]
    started = datetime.fromisoformat(conv.record["header"]["started_at"]).timestamp()
    pairs, dropped, left = [], 0, list(turns)
    for line, (who, *_), text in zip(conv.lines, lines, texts):
        name, role = WHO[who]
        if left and abs(conv.turn_epoch(left[0]) - conv.line_epoch(line)) < 0.8:
            turn = left.pop(0)
            assert turn["speaker"] == name and turn["role"] == role, (turn, line)
            assert turn["kind"] == ("question" if who == "inspector" else "answer")
            assert turn["end"] > turn["start"]
            assert 0 <= turn["confidence"] <= 1 and "low_confidence" in turn
            assert turn["audio"]["recording_id"] and turn["audio_url"].startswith("/api/recordings/")
            pairs.append((text, turn["text"]))
            continue
        said = [f for f in filtered or [] if f["speaker"] == name
                and abs(started + f["start"] - conv.line_epoch(line)) < 0.8]
        assert said, f"line {line.text!r} at {line.at} s is neither a turn nor filtered: {turns} {filtered}"
        dropped += 1
    assert left == [], f"turns that match no line: {left}"
    measure = wer if language == "en" else cer
    error = measure([a for a, _ in pairs], [b for _, b in pairs])
    print(f"{language}: error rate {error:.3f} over {len(pairs)} turns, {dropped} filtered; "
          f"turns {[t['text'] for t in turns]}")
    return error


@pytest.mark.model("tiny.en")
async def test_an_english_interview_becomes_a_draft_record(room: Interview) -> None:
    conv = await converse(room, ENGLISH, voice="en", language="en")
    record = conv.record
    assert record["job"]["state"] == "done", record["job"]
    assert record["status"] == "draft" and record["version"] == 1
    assert record["author"] is None  # the machine's draft
    assert any(0 < p < 1 for p in record["seen_progress"]) or len(record["seen_progress"]) == 1
    error = check_turns(conv, ENGLISH, [text for _, text in ENGLISH], "en")
    assert error <= MAX_WER_EN
    header = record["header"]
    assert header["inspectors"] == [{"name": "Wang"}]
    assert header["interviewees"] == [{"name": "李工人", "role": "worker"}]
    assert record["text"].count("Q: ") == 2 and record["text"].count("A: ") == 2
    # Each turn's audio is one request away, and it is the speaker's own recording.
    turn = record["turns"][1]
    async with room.api.client.get(turn["audio_url"], headers=room.staff) as resp:
        assert resp.status == 200 and resp.content_type == "audio/webm"
        assert len(await resp.read()) > 1000
    # The draft is an evidence item of the case, derived from the recordings.
    items = await room.api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    drafts = [i for i in items if i["kind"] == "record"]
    assert len(drafts) == 1 and drafts[0]["sha256"] == record["sha256"]
    assert drafts[0]["derived_from"] in {i["id"] for i in items if i["kind"] == "recording"}


@pytest.mark.model("base")
async def test_a_mandarin_interview_becomes_a_simplified_chinese_draft(room: Interview) -> None:
    conv = await converse(room, [(who, pinyin) for who, pinyin, _ in MANDARIN],
                          voice="cmn-latn-pinyin", language="zh")
    record = conv.record
    assert record["job"]["state"] == "done", record["job"]
    # espeak's pinyin voice through Opus is hard going for the base model: now and then
    # Whisper turns a line into a repetition that the filters drop. That is allowed for
    # one line in four, and only where the draft records it as filtered.
    items = await room.api.ok("GET", f"/api/cases/{room.case['id']}/evidence", headers=room.staff)
    draft = next(i for i in items if i["kind"] == "record")
    filtered = draft["observed"]["filtered"]
    error = check_turns(conv, MANDARIN, [zh for *_, zh in MANDARIN], "zh", filtered=filtered)
    assert error <= MAX_CER_ZH
    assert len(record["turns"]) >= len(MANDARIN) - 1, filtered
    assert record["text"].startswith("询问笔录")
    questions = sum(t["kind"] == "question" for t in record["turns"])
    assert record["text"].count("问：") == questions and record["text"].count("答：") == len(
        record["turns"]) - questions
    # Simplified only: no character that OpenCC would change back.
    from transcription.normalise import to_simplified
    for turn in record["turns"]:
        assert to_simplified(turn["text"]) == turn["text"]


@pytest.mark.model("tiny.en")
async def test_a_party_who_stays_silent_produces_no_text(room: Interview) -> None:
    lines = [("inspector", "Can you hear me? Please answer when you are ready."),
             ("inspector", "We will wait for you.")]
    conv = await converse(room, lines, voice="en", language="en")
    assert conv.record["status"] == "draft", conv.record["job"]
    turns = conv.record["turns"]
    # Two lines, one speaker: joined, then cut after the question (one turn per question).
    assert [t["role"] for t in turns] == ["inspector"] * len(turns) and 1 <= len(turns) <= 2, turns
    assert len(turns) == 1 or turns[0]["text"].endswith("?"), turns
    assert wer(" ".join(t for _, t in lines), " ".join(t["text"] for t in turns)) <= MAX_WER_EN
