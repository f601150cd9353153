"""The transcription package without speech: guards, turns, the normaliser, model lookup."""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from pathlib import Path

import numpy as np
import pytest

from transcription import filters
from transcription.errors import ModelError, TranscriptionError
from transcription.models import BASE_SHA256, BASE_SIZE, STAMP, check_model_dir, resolve_model
from transcription.normalise import cer, normalise, wer
from transcription.pipeline import Heard, Speaker, Speech, Utterance, party_result, transcribe_speech
from transcription.turns import merge_turns

T0 = 1_790_000_000_000


def screen(text: str, *, duration_s: float = 3.0, language: str = "zh", avg_logprob: float = -0.3,
           no_speech_prob: float = 0.1, prompt: str | None = "以下是普通话的句子。") -> filters.Screened:
    return filters.screen(text, language=language, duration_s=duration_s, avg_logprob=avg_logprob,
                          no_speech_prob=no_speech_prob, prompt=prompt)


# --- guards ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["我在这里工作了三年。", "老闆沒有給我們發工資", "对对对对",
                                  "I have worked here for three years."])
def test_ordinary_speech_is_kept(text: str) -> None:
    assert screen(text, language="en" if text.isascii() else "zh").reason is None


@pytest.mark.parametrize("text", ["", "  ", "。！？", "...", "♪"])
def test_empty_or_punctuation_only_is_dropped(text: str) -> None:
    assert screen(text).reason == "empty"


@pytest.mark.parametrize("text", [
    "字幕由Amara.org社群提供", "字幕由 Amara.org 社群提供。", "明镜与点点",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "謝謝觀看！", "Thanks for watching!",
    "Subtitles by the Amara.org community", "thank you for watching.",
])
def test_subtitle_credits_are_dropped(text: str) -> None:
    assert screen(text, language="en" if text.isascii() else "zh").reason == "junk_phrase"


def test_a_credit_after_real_speech_is_stripped_and_the_speech_kept() -> None:
    got = screen("我工作了三年。字幕由Amara.org社群提供")
    assert (got.text, got.reason) == ("我工作了三年。", None)
    assert got.stripped == ("junk_phrase: 字幕由Amara.org社群提供",)


def test_a_credit_word_inside_a_longer_sentence_is_not_junk() -> None:
    assert screen("他说谢谢观看这个视频的人，然后就走了，没有发工资").reason is None


@pytest.mark.parametrize("text", ["我我我我我我我我我我", "更多,更多,更多,更多,更多",
                                  "the end the end the end the end the end"])
def test_repetition_loops_are_dropped(text: str) -> None:
    assert screen(text, language="en" if text.isascii() else "zh").reason == "repetition"


def test_a_loop_at_the_end_of_real_speech_is_cut_back_to_one() -> None:
    got = screen("他们拖欠了两个月的工资，两个月，两个月，两个月，两个月", duration_s=6)
    assert got.reason is None and got.text == "他们拖欠了两个月的工资，两个月"
    assert got.stripped == ("repetition: 9 of 23 words",)


def test_an_echoed_prompt_is_dropped_or_stripped() -> None:
    assert screen("以下是普通话的句子。").reason == "prompt_echo"
    got = screen("以下是普通话的句子。我在这里工作了三年。")
    assert (got.text, got.reason) == ("我在这里工作了三年。", None)


def test_no_speech_with_low_logprob_is_dropped() -> None:
    assert screen("you", language="en", no_speech_prob=0.73, avg_logprob=-0.75).reason == "no_speech"
    assert screen("yes", language="en", no_speech_prob=0.73, avg_logprob=-0.2).reason is None
    assert screen("yes", language="en", no_speech_prob=0.3, avg_logprob=-0.9).reason is None


def test_text_too_long_for_its_time_is_dropped() -> None:
    assert screen("我在这里工作了三年，老板没有给我们发工资", duration_s=1.5).reason == "too_long"
    assert screen("我在这里工作了三年，老板没有给我们发工资", duration_s=3).reason is None
    words = "one two three four five six seven eight nine ten eleven twelve thirteen"
    assert screen(words, language="en", duration_s=2).reason == "too_long"


def test_dropped_pieces_are_logged_without_their_words_and_returned(
        caplog: pytest.LogCaptureFixture) -> None:
    class Junk:
        def transcribe(self, audio: np.ndarray, language: str) -> object:
            from transcription.engine import Piece

            return Piece("字幕由Amara.org社群提供", 0.4, "junk_phrase")

    speech = Speech(12.5, 14.0, T0 + 12_500, 6, 7, np.zeros(24_000, dtype=np.float32))
    with caplog.at_level(logging.INFO, logger="zeromeet.transcription"):
        heard = transcribe_speech(Junk(), speech, "zh")  # type: ignore[arg-type]
    assert heard.reason == "junk_phrase" and heard.text == "字幕由Amara.org社群提供"
    record, = caplog.records
    assert (record.start, record.end, record.reason) == (12.5, 14.0, "junk_phrase")
    assert record.chars == len("字幕由Amara.org社群提供")
    assert "字幕" not in record.getMessage() + str(vars(record))
    result = party_result(Speaker("p1", "李工人", "worker", "r1"), [heard])
    assert result.utterances == [] and result.filtered == [heard]


def test_parts_stripped_from_kept_pieces_are_logged_by_kind_only(
        caplog: pytest.LogCaptureFixture) -> None:
    class Credit:
        def transcribe(self, audio: np.ndarray, language: str) -> object:
            from transcription.engine import Piece

            return Piece("我工作了三年。", 0.8, None, ("junk_phrase: 谢谢观看",
                                                  "repetition: 2 of 9 words"))

    speech = Speech(3.0, 5.0, T0 + 3000, 1, 2, np.zeros(32_000, dtype=np.float32))
    with caplog.at_level(logging.INFO, logger="zeromeet.transcription"):
        heard = transcribe_speech(Credit(), speech, "zh")  # type: ignore[arg-type]
    assert heard.reason is None and heard.text == "我工作了三年。"
    record, = caplog.records
    assert (record.start, record.end, record.parts) == (3.0, 5.0, ["junk_phrase", "repetition"])
    logged = record.getMessage() + str(vars(record))
    assert "谢谢观看" not in logged and "三年" not in logged


def test_pipeline_messages_pickle() -> None:
    speech = Speech(1.0, 2.0, T0 + 1000, 0, 0, np.ones(16_000, dtype=np.float32))
    back = pickle.loads(pickle.dumps(speech))
    assert back == speech and np.array_equal(back.samples, speech.samples)
    heard = Heard(1.0, 2.0, T0 + 1000, 0, 0, "好", 0.9)
    assert pickle.loads(pickle.dumps(heard)) == heard


# --- turns ----------------------------------------------------------------------------

def utt(who: str, start: float, end: float, text: str, *, seq: tuple[int, int] = (0, 0),
        confidence: float = 0.9, recording: str | None = None) -> Utterance:
    role = {"insp": "inspector", "work": "worker", "boss": "employer"}[who]
    return Utterance(f"pid-{who}", f"name-{who}", role, start, end, text, confidence,
                     recording or f"rec-{who}", seq[0], seq[1], T0 + round(start * 1000))


def test_turns_follow_the_clock_and_roles_set_kinds() -> None:
    turns = merge_turns([utt("work", 5.0, 8.0, "三年了。"), utt("insp", 1.0, 4.0, "你在这工作多久了？"),
                         utt("boss", 9.0, 12.0, "他说的不对。")], "zh")
    assert [(t.role, t.kind, t.text) for t in turns] == [
        ("inspector", "question", "你在这工作多久了？"), ("worker", "answer", "三年了。"),
        ("employer", "answer", "他说的不对。")]


def test_consecutive_pieces_of_one_speaker_join() -> None:
    turns = merge_turns([utt("insp", 1.0, 4.0, "请说一下你的名字", seq=(0, 1), confidence=0.9),
                         utt("insp", 5.0, 11.0, "还有你的工号。", seq=(2, 5), confidence=0.6),
                         utt("work", 12.0, 14.0, "我叫李明，工号是一二三四五。")], "zh")
    first = turns[0]
    assert first.text == "请说一下你的名字，还有你的工号。"
    assert (first.start, first.end) == (1.0, 11.0)
    assert first.confidence == pytest.approx((3 * 0.9 + 6 * 0.6) / 9, abs=1e-3)
    assert first.audio == {"recording_id": "rec-insp", "from": 0, "to": 5, "start_ms": T0 + 1000}
    en = merge_turns([utt("work", 0, 2, "We never signed"), utt("work", 3, 5, "a contract.")], "en")
    assert [t.text for t in en] == ["We never signed a contract."]


def test_interjections_stay_their_own_turns() -> None:
    turns = merge_turns([utt("insp", 0.0, 5.0, "你们每天工作几个小时，"),
                         utt("work", 5.2, 5.8, "嗯。"),
                         utt("insp", 6.0, 9.0, "周末休息吗？"),
                         utt("work", 10.0, 10.5, "对。"),
                         utt("work", 11.0, 14.0, "每天十二个小时，周末不休息。")], "zh")
    assert [t.text for t in turns] == ["你们每天工作几个小时，", "嗯。", "周末休息吗？", "对。",
                                       "每天十二个小时，周末不休息。"]


def test_overlapping_speakers_are_never_interleaved() -> None:
    turns = merge_turns([utt("insp", 0.0, 6.0, "我问你一个问题，你要如实回答。"),
                         utt("work", 4.0, 9.0, "好的我知道了我会如实回答的。"),
                         utt("insp", 8.5, 10.0, "第一个问题是。")], "zh")
    assert [t.participant_id for t in turns] == ["pid-insp", "pid-work", "pid-insp"]
    assert turns[1].text == "好的我知道了我会如实回答的。"


def test_seq_range_stays_within_the_first_pieces_recording() -> None:
    turns = merge_turns([utt("work", 0, 3, "我是第一段。", seq=(8, 9), recording="r-a"),
                         utt("work", 4, 7, "断线以后重新连接。", seq=(0, 2), recording="r-b")], "zh")
    assert turns[0].audio == {"recording_id": "r-a", "from": 8, "to": 9, "start_ms": T0}


def test_turn_as_dict_is_the_record_turn() -> None:
    turn, = merge_turns([utt("insp", 3.2049, 6.9, "你在这家公司工作多久了？", seq=(2, 4),
                             confidence=0.81)], "zh")
    assert turn.as_dict() == {
        "speaker": "name-insp", "role": "inspector", "kind": "question", "start": 3.2, "end": 6.9,
        "text": "你在这家公司工作多久了？", "confidence": 0.81, "participant_id": "pid-insp",
        "audio": {"recording_id": "rec-insp", "from": 2, "to": 4, "start_ms": T0 + 3205}}
    assert json.dumps(turn.as_dict(), ensure_ascii=False)


def test_no_utterances_no_turns() -> None:
    assert merge_turns([], "zh") == []


# --- normaliser -----------------------------------------------------------------------

def test_normalise_folds_width_script_case_and_punctuation() -> None:
    assert normalise("老闆，ＡＢＣ！  Hello,   World.") == "老板 abc hello world"
    assert normalise("It's「工资」…") == "its 工资"
    assert normalise("One two, 3 and TWENTY") == "1 2 3 and 20"
    assert normalise("一二三，欠了三个月") == "123 欠了3个月"


def test_error_rates_use_the_normaliser() -> None:
    assert cer("你在这家公司工作多久了？", "你在這家公司工作多久了") == 0.0
    assert cer("你在这家公司", "你在那家公司") == pytest.approx(1 / 6)
    assert wer("How long have you worked here?", "how long have you worked here") == 0.0
    assert wer(["a b c d"], ["a b x d"]) == pytest.approx(0.25)


# --- models ---------------------------------------------------------------------------

def test_a_missing_model_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(str(tmp_path / "nowhere"), tmp_path)


def test_a_model_without_tokenizer_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "m"
    model.mkdir()
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        (model / name).write_bytes(b"x")
    with pytest.raises(ModelError, match="no tokenizer.json"):
        check_model_dir(model)
    (model / "tokenizer.json").write_bytes(b"{}")
    assert resolve_model(str(model), tmp_path) == model


def test_model_errors_are_transcription_errors() -> None:
    assert issubclass(ModelError, TranscriptionError)


def test_tiny_en_is_found_in_its_package(tmp_path: Path) -> None:
    path = resolve_model("tiny.en", tmp_path)
    assert (path / "model.bin").is_file() and (path / "tokenizer.json").is_file()


def test_tiny_en_refuses_chinese(tmp_path: Path) -> None:
    from transcription.engine import Transcriber

    tiny = Transcriber(resolve_model("tiny.en", tmp_path), cpu_threads=1)
    with pytest.raises(ModelError, match="English-only"):
        tiny.transcribe(np.zeros(16_000, dtype=np.float32), "zh")
    with pytest.raises(TranscriptionError, match="not supported"):
        tiny.check_language("fr")


def test_base_is_assembled_once_and_checked(tmp_path: Path) -> None:
    path = resolve_model("base", tmp_path)
    assert path == tmp_path / "models" / "whisper-base"
    model = path / "model.bin"
    assert model.stat().st_size == BASE_SIZE
    assert json.loads((path / STAMP).read_text()) == {"sha256": BASE_SHA256, "size": BASE_SIZE}
    assert not [p for p in path.iterdir() if p.name.startswith(".")]
    mtime = model.stat().st_mtime_ns
    assert resolve_model("base", tmp_path) == path and model.stat().st_mtime_ns == mtime
    with model.open("r+b") as f:  # torn by a full disk: the size check notices
        f.truncate(BASE_SIZE // 2)
    resolve_model("base", tmp_path)
    assert hashlib.sha256(model.read_bytes()).hexdigest() == BASE_SHA256


def test_a_sentence_split_by_a_pause_is_one_turn_not_an_interjection() -> None:
    turns = merge_turns([utt("insp", 0.0, 2.5, "How long have you worked here?"),
                         utt("work", 3.0, 4.1, "I have worked"),
                         utt("work", 4.8, 6.4, "here for two years.")], "en")
    assert [t.text for t in turns] == ["How long have you worked here?",
                                       "I have worked here for two years."]


@pytest.mark.parametrize("heard, written", [
    ("你好,我是李四.", "你好，我是李四。"),
    ("工资是3.5万, 对吗?", "工资是3.5万，对吗？"),  # a decimal point stays
    ("10:30开会,好吗 ?", "10:30开会，好吗？"),  # and a time's colon
    ("What y'all秘密?", "What y'all秘密？"),  # English inside keeps its own, apostrophe and all
    ("他说OK.", "他说OK."),  # after English, English punctuation
    ("你好，我是", "你好，我是"),
])
def test_a_chinese_draft_gets_chinese_punctuation(heard: str, written: str) -> None:
    from transcription.engine import _join
    from transcription.normalise import chinese_punctuation

    assert chinese_punctuation(heard) == written
    assert _join([heard], "zh") == written
    assert _join(["Hello, world."], "en") == "Hello, world."  # an English record is left alone
