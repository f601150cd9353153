"""The inquiry record (询问笔录): its content, the text a party confirms, hashes and diffs.

A version's content is plain JSON (docs/records.md). What a party reads on the phone and
confirms is `render_text(content)`, so that text must be a pure, deterministic function
of the content: the confirmation binds its SHA-256. Pure functions only: no I/O.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import unicodedata
from datetime import datetime
from typing import Any

from evidence.chain import canonical_sha256
from transcription.bureau_time import DEFAULT_ZONE, time_span

FORMAT = "zeromeet.record/1"
# Below this a machine turn is marked for a person to check. Its confidence is about
# exp(mean token log-probability) (engine.confidence): 0.5 is a log-probability of -0.69.
# Measured with the bundled models, 74 pieces of clear speech (TTS and espeak-ng, English
# and Mandarin, through Opus, noise and tempo changes) all scored 0.52 or more (Mandarin
# lowest: 0.6 marked some, and left others at 0.603), while 27 of 30 garbled pieces
# (reversed speech, gibberish, babble) scored below 0.5.
LOW_CONFIDENCE = 0.5
MAX_TURNS = 2000
FLAGS = ("echo",)
MAX_TEXT = 10_000
MAX_SPEAKER = 128
MAX_SECONDS = 86_400
ROLES = ("inspector", "worker", "employer", "witness")
KINDS = ("question", "answer")

ROLE_NAMES = {
    "zh": {"inspector": "劳动保障监察员", "worker": "劳动者", "employer": "用人单位代表",
           "witness": "证人"},
    "en": {"inspector": "labour inspector", "worker": "worker",
           "employer": "employer's representative", "witness": "witness"},
}

_NOTICE = {
    "zh": ("我们是劳动保障监察员（询问人姓名见上），依法出示执法证件后，现就本案有关情况向你进行调查询问。"
           "你应当如实回答询问，不得隐瞒事实或者作虚假陈述；对与本案无关的问题，你有权拒绝回答。"
           "你认为询问人与本案有利害关系或者有其他关系、可能影响公正处理的，有权申请其回避。"
           "本次询问通过远程视频进行，全程录音录像。"
           "询问结束后，你将阅读本笔录并确认其内容，记录有遗漏或者差错的，可以提出补充或者更正。"),
    "en": ("We are labour security inspectors (named above); having shown our enforcement "
           "identification, we are questioning you under the law about matters of this case. "
           "You must answer truthfully and must not conceal facts or make false statements; you "
           "may refuse to answer questions unrelated to this case. If you believe an inspector "
           "has an interest in this case, or another relationship that may affect its fair "
           "handling, you may apply for that inspector's recusal. This interview is held over "
           "remote video and recorded in full on audio and video. When it ends you will read "
           "this record and confirm it; you may ask for anything missing or wrong to be added "
           "or corrected."),
}

_CLOSING = {
    "zh": "请仔细阅读以上笔录。记录有遗漏或者差错的，可以提出补充或者更正；拒绝签名的，请说明理由。",
    "en": ("Please read the record above carefully. You may ask for anything missing or wrong "
           "to be added or corrected; if you refuse to sign, please give your reason."),
}

# What the interviewee writes or confirms beside a signature, and only there: never
# printed above a refusal. Records before this was apart end their closing with it
# (`without_formula`).
_FORMULA = {
    "zh": "以上笔录我看过，与我说的相符。",
    "en": "I have read the record above and it matches what I said.",
}
_FORMULA_LINES = ("被询问人确认：", "Interviewee's confirmation:")

_LABELS = {
    "zh": {"title": "询问笔录", "place": "远程视频", "case_number": "案件编号", "case_title": "案由",
           "employer": "用人单位", "time": "时间", "place_label": "地点", "inspectors": "询问人",
           "interviewees": "被询问人", "q": "问：", "a": "答：", "sep": "：", "list": "、",
           "badge": "执法证号", "recorder": "记录人", "id": "证件", "phone": "联系电话",
           "address": "住址", "of": "（{name}）"},
    "en": {"title": "Inquiry record", "place": "Remote video", "case_number": "Case number",
           "case_title": "Case", "employer": "Employer", "time": "Time", "place_label": "Place",
           "inspectors": "Interviewers", "interviewees": "Interviewees", "q": "Q: ", "a": "A: ",
           "sep": ": ", "list": ", ", "badge": "certificate no.", "recorder": "Recorded by",
           "id": "ID", "phone": "Phone", "address": "Address", "of": " ({name})"},
}


def _lang(language: str) -> str:
    """Anything that is not English is written in Chinese: the record's legal language."""
    return "en" if language == "en" else "zh"


def labels(language: str) -> dict[str, str]:
    return _LABELS[_lang(language)]


def role_name(role: str, language: str) -> str:
    return ROLE_NAMES[_lang(language)].get(role, role)


def notice(language: str) -> str:
    """The rights notice read to the interviewee before the first question."""
    return _NOTICE[_lang(language)]


def closing(language: str) -> str:
    """The closing the interviewee reads before signing (or refusing, with a reason)."""
    return _CLOSING[_lang(language)]


def formula(language: str) -> str:
    """What a signature confirms (以上笔录我看过，与我说的相符): beside it, nowhere else."""
    return _FORMULA[_lang(language)]


def without_formula(closing_text: str) -> str:
    """A closing without the confirmation formula that records made before it was kept
    apart end with (so that no refusal is printed below it)."""
    lines = closing_text.split("\n")
    while lines and lines[-1].startswith(_FORMULA_LINES):
        lines.pop()
    return "\n".join(lines)


def build_draft(*, interview_id: str, case_id: str, language: str, case_number: str,
                case_title: str, employer: str, started_at: datetime, ended_at: datetime,
                inspectors: list[str] | list[tuple[str, str]], interviewees: list[tuple[str, str]],
                turns: list[dict[str, Any]], time_zone: str = DEFAULT_ZONE) -> dict[str, Any]:
    """Version 1 of a record: the machine's turns, checked like an editor's save so that
    every stored version obeys the same rules. `inspectors`: names, or (name, 执法证号)
    pairs; the first is the record keeper (记录人) until the inspector says otherwise."""
    officers = [(entry, "") if isinstance(entry, str) else entry for entry in inspectors]
    return {
        "format": FORMAT, "interview_id": interview_id, "case_id": case_id,
        "language": language,
        "header": {
            "title": labels(language)["title"], "case_number": case_number,
            "case_title": case_title, "employer": employer,
            "started_at": _iso(started_at, "started_at"), "ended_at": _iso(ended_at, "ended_at"),
            "place": labels(language)["place"], "time_zone": time_zone,
            "inspectors": [{"name": name, **({"badge": badge} if badge else {})}
                           for name, badge in officers],
            "recorder": officers[0][0] if officers else "",
            "interviewees": [{"name": name, "role": role} for name, role in interviewees],
        },
        "notice": notice(language),
        "turns": validate_turns(turns),
        "closing": closing(language),
    }


def _iso(moment: datetime, name: str) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, not a naive datetime.")
    return moment.isoformat()


# --- editor input ---------------------------------------------------------------------

def validate_turns(turns: object) -> list[dict[str, Any]]:
    """Turns from an editor (HTTP input) checked and normalised into stored form.

    Keys not in the record format are dropped, including the editor's `low_confidence`
    marks, which are derived (`annotate`) and must not change the version's hash.
    Raises ValueError naming the turn (1-based) and the field.
    """
    if not isinstance(turns, list):
        raise ValueError("turns must be a list.")
    if len(turns) > MAX_TURNS:
        raise ValueError(f"A record holds at most {MAX_TURNS} turns, not {len(turns)}.")
    return [_turn(number, turn) for number, turn in enumerate(turns, start=1)]


def _turn(number: int, turn: object) -> dict[str, Any]:
    where = f"Turn {number}"
    if not isinstance(turn, dict):
        raise ValueError(f"{where} must be an object.")
    speaker = validate_text(turn.get("speaker"), f"{where}: speaker", MAX_SPEAKER)
    role = turn.get("role")
    if role not in ROLES:
        raise ValueError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}.")
    kind = turn.get("kind") or ("question" if role == "inspector" else "answer")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be question or answer, not {kind!r}.")
    start = _seconds(turn.get("start"), f"{where}: start")
    end = _seconds(turn.get("end"), f"{where}: end")
    if end < start:
        raise ValueError(f"{where}: end ({end}) is before start ({start}).")
    return {"speaker": speaker, "role": role, "kind": kind, "start": start, "end": end,
            "text": validate_text(turn.get("text"), f"{where}: text", MAX_TEXT),
            "confidence": _confidence(turn.get("confidence"), where),
            "participant_id": _optional_str(turn.get("participant_id"), f"{where}: participant_id"),
            "audio": _audio(turn.get("audio"), where), **_flags(turn.get("flags"), where)}


def _flags(value: object, where: str) -> dict[str, Any]:
    """Marks for the inspector ("echo"); kept through edits, absent when there are none."""
    if value is None or value == []:
        return {}
    if not isinstance(value, list) or any(flag not in FLAGS for flag in value):
        raise ValueError(f"{where}: flags must be a list of {', '.join(FLAGS)}.")
    return {"flags": sorted(set(value))}


def validate_text(value: object, what: str, limit: int) -> str:
    """A stripped, NFC-normalised, non-empty text of at most `limit` characters. Line
    breaks become "\\n"; any other control character, or a lone surrogate (which could not
    be written as UTF-8), is refused."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string.")
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ValueError(f"{what} must not be empty.")
    if len(text) > limit:
        raise ValueError(f"{what} is longer than {limit} characters.")
    for char in text:
        if char != "\n" and unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"{what} contains the control character U+{ord(char):04X}.")
    return text


def _number(value: object) -> float | None:
    """A finite float, or None; booleans are not numbers here although Python says so."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _seconds(value: object, what: str) -> float:
    number = _number(value)
    if number is None or not 0 <= number <= MAX_SECONDS:
        raise ValueError(f"{what} must be a finite number of seconds from 0 to {MAX_SECONDS}.")
    return number


def _confidence(value: object, where: str) -> float | None:
    if value is None:
        return None
    number = _number(value)
    if number is None or not 0 <= number <= 1:
        raise ValueError(f"{where}: confidence must be a number from 0 to 1, or null.")
    return number


def _optional_str(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} must be a string or null.")
    return value


def _audio(value: object, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("recording_id"), str):
        raise ValueError(f"{where}: audio must be null or an object with a recording_id string.")
    numbers = {key: value.get(key) for key in ("from", "to", "start_ms")}
    if any(isinstance(n, bool) or not isinstance(n, int) for n in numbers.values()):
        raise ValueError(f"{where}: audio from, to and start_ms must be whole numbers.")
    if not 1 <= numbers["from"] <= numbers["to"]:
        raise ValueError(f"{where}: audio segments must run from 1 upwards, from <= to.")
    return {"recording_id": value["recording_id"], **numbers}


# --- the text a party confirms ---------------------------------------------------------

def header_lines(content: dict[str, Any]) -> list[tuple[str, str]]:
    """The header as (label, value) pairs, shared by the text and the PDF."""
    language, header = content["language"], content["header"]
    words = labels(language)
    people = words["list"].join(
        f"{p['name']}（{role_name(p['role'], language)}）" if _lang(language) == "zh"
        else f"{p['name']} ({role_name(p['role'], language)})"
        for p in header["interviewees"])
    lines = [(words["case_number"], header["case_number"]),
             (words["case_title"], header["case_title"]),
             (words["employer"], header["employer"]),
             (words["time"], time_span(header, language)),
             (words["place_label"], header["place"]),
             (words["inspectors"], words["list"].join(_officer(p, words) for p in header["inspectors"]))]
    if header.get("recorder"):
        lines.append((words["recorder"], header["recorder"]))
    lines.append((words["interviewees"], people))
    # What each interviewee said of themselves (claimed, as told), where the record has it.
    many = len(header["interviewees"]) > 1
    for person in header["interviewees"]:
        whose = words["of"].format(name=person["name"]) if many else ""
        for field, label in (("id", "id"), ("phone", "phone"), ("address", "address")):
            value = _claimed(person, field)
            if value:
                lines.append((words[label] + whose, value))
    return lines


def _officer(person: dict[str, Any], words: dict[str, str]) -> str:
    if not person.get("badge"):
        return person["name"]
    return f"{person['name']}（{words['badge']}：{person['badge']}）" if words["sep"] == "：" \
        else f"{person['name']} ({words['badge']} {person['badge']})"


def _claimed(person: dict[str, Any], field: str) -> str:
    if field == "id":
        kind, number = person.get("id_type", ""), person.get("id_number", "")
        return " ".join(part for part in (kind, number) if part)
    return person.get(field, "")


def turn_prefix(content: dict[str, Any], turn: dict[str, Any]) -> str:
    """问：/答： (Q:/A:). With more than one person answering, each answer names its
    speaker so that the record says who said what."""
    words = labels(content["language"])
    if turn["kind"] == "question":
        return words["q"]
    answering = {t["speaker"] for t in content["turns"] if t["kind"] == "answer"}
    if len(answering) < 2:
        return words["a"]
    if _lang(content["language"]) == "zh":
        return f"答（{turn['speaker']}）："
    return f"A ({turn['speaker']}): "


def render_text(content: dict[str, Any]) -> str:
    """The exact text a party reads and confirms; `text_sha256` binds it."""
    sep = labels(content["language"])["sep"]
    lines = [content["header"]["title"]]
    lines += [f"{label}{sep}{value}" for label, value in header_lines(content)]
    lines += ["", content["notice"], ""]
    lines += [turn_prefix(content, turn) + turn["text"] for turn in content["turns"]]
    lines += ["", content["closing"]]
    return "\n".join(lines) + "\n"


def content_sha256(content: dict[str, Any]) -> str:
    return canonical_sha256(content)


def text_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(render_text(content).encode("utf-8")).hexdigest()


# --- versions ---------------------------------------------------------------------------

def diff_versions(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from one version to the next, in document order: the notice, the
    turns (matched on speaker, kind and text, so a retimed turn is still equal), the
    closing."""
    changes = _field_change(before, after, "notice")
    old, new = before["turns"], after["turns"]
    matcher = difflib.SequenceMatcher(None, [_turn_key(t) for t in old],
                                      [_turn_key(t) for t in new], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        changes.append({"op": op, "before": old[i1:i2], "after": new[j1:j2]})
    return changes + _field_change(before, after, "closing")


def _turn_key(turn: dict[str, Any]) -> tuple[str, str, str]:
    return turn["speaker"], turn["kind"], turn["text"]


def _field_change(before: dict[str, Any], after: dict[str, Any],
                  field: str) -> list[dict[str, Any]]:
    if before[field] == after[field]:
        return []
    return [{"op": "replace", "field": field, "before": [before[field]], "after": [after[field]]}]


def annotate(content: dict[str, Any]) -> list[dict[str, Any]]:
    """The turns as the editor shows them: a machine turn the recogniser was unsure of is
    marked for a person to check. Typed turns (confidence null) never are."""
    return [{**turn, "low_confidence": turn.get("confidence") is not None
             and turn["confidence"] < LOW_CONFIDENCE} for turn in content["turns"]]
