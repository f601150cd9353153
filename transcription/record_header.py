"""The parts of a record's header an inspector fills in or corrects in the editor: the
officers (each with an enforcement certificate number, 执法证号), the record keeper
(记录人), and what each interviewee said of themselves (ID, phone, address: claimed, as
told). Who the interviewees are, the case and the times stay as the server wrote them.

Pure functions: editor input (HTTP JSON) checked into stored form, or ValueError naming
the field.
"""

from __future__ import annotations

from typing import Any

from transcription.record import MAX_SPEAKER, validate_text

MAX_OFFICERS = 10
ID_TYPES = ("居民身份证", "护照", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
            "外国人永久居留身份证", "其他")
CLAIMED = {"id_type": 32, "id_number": 40, "phone": 32, "address": 200}


def edited_header(current: dict[str, Any], edit: object) -> dict[str, Any]:
    """`current` with the editable fields of `edit` applied (those it leaves out stay)."""
    if not isinstance(edit, dict):
        raise ValueError("header must be an object.")
    unknown = set(edit) - {"inspectors", "recorder", "interviewees"}
    if unknown:
        raise ValueError(f"header: {', '.join(sorted(unknown))} cannot be edited.")
    header = dict(current)
    if "inspectors" in edit:
        header["inspectors"] = _officers(edit["inspectors"])
    if "recorder" in edit:
        header["recorder"] = _short(edit["recorder"], "header: recorder", MAX_SPEAKER)
    if "interviewees" in edit:
        header["interviewees"] = _interviewees(current["interviewees"], edit["interviewees"])
    return header


def officers_with_badges(header: dict[str, Any]) -> int:
    """How many officers the record names with their 执法证号."""
    return sum(1 for p in header.get("inspectors", ()) if p.get("name") and p.get("badge"))


def _officers(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_OFFICERS:
        raise ValueError(f"header: inspectors must be a list of 1 to {MAX_OFFICERS} officers.")
    out = []
    for number, person in enumerate(value, start=1):
        where = f"header: inspector {number}"
        if not isinstance(person, dict) or set(person) - {"name", "badge"}:
            raise ValueError(f"{where} must be an object with a name and a badge.")
        name = validate_text(person.get("name"), f"{where}: name", MAX_SPEAKER).strip()
        if not name:
            raise ValueError(f"{where}: name is empty.")
        badge = _short(person.get("badge"), f"{where}: badge", 32)
        out.append({"name": name, **({"badge": badge} if badge else {})})
    return out


def _interviewees(current: list[dict[str, Any]], value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) != len(current):
        raise ValueError(f"header: interviewees must list the {len(current)} interviewee(s) "
                         "of the record, in order.")
    out = []
    for number, (person, edit) in enumerate(zip(current, value, strict=True), start=1):
        where = f"header: interviewee {number}"
        if not isinstance(edit, dict) or set(edit) - {*CLAIMED, "name", "role"}:
            raise ValueError(f"{where} may give only {', '.join(CLAIMED)}.")
        if edit.get("name", person["name"]) != person["name"] or edit.get("role", person["role"]) != person["role"]:
            raise ValueError(f"{where}: who the interviewee is cannot be edited.")
        entry = {"name": person["name"], "role": person["role"]}
        for field, limit in CLAIMED.items():
            text = _short(edit.get(field, person.get(field)), f"{where}: {field}", limit)
            if text:
                entry[field] = text
        out.append(entry)
    return out


def _short(value: object, what: str, limit: int) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""  # left empty, or cleared
    text = validate_text(value, what, limit).strip()
    if "\n" in text:
        raise ValueError(f"{what} must be one line.")
    return text
