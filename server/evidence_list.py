"""The evidence list (证据目录) of a bundle: one row per item — number, kind, what it is,
who gave it or where it came from, when it arrived, size, SHA-256, and its file in the
bundle — and one per recording's playable file, right after its recording — as a CSV
that a spreadsheet opens (UTF-8 with a byte-order mark) and as a PDF to print and file
with a submission. Both are derived from the bundle's index, so they say nothing the
index does not."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from transcription.bureau_time import china_time

CSV_PATH = "data/evidence-list.csv"
PDF_PATH = "data/evidence-list.pdf"
HEADINGS = ("序号", "证据种类", "说明", "提供人或来源", "收到时间", "大小（字节）", "SHA-256", "文件")
KINDS = {"recording": "录音录像", "upload": "上传材料", "snapshot": "视频截图", "thumbnail": "缩略图",
         "record": "询问笔录（版本）", "record-text": "询问笔录文本（当事人所见）", "confirmation": "确认声明", "officer-signature": "询问人签名声明", "signature": "签名图像",
         "record-pdf": "询问笔录PDF", "chat": "文字交流记录", "complaint_form": "投诉登记表", "transcript": "转写稿",
         "playable": "录音录像（可播放文件）"}
ROLES = {"worker": "劳动者", "employer": "用人单位", "witness": "证人", "inspector": "监察员",
         "supervisor": "监察员", "legal": "法制人员", "admin": "管理员"}


def rows(index: dict[str, Any]) -> list[list[str]]:
    """The list's rows, in the index's order (which is the order items arrived). A
    recording's playable file, which is no item but a file derived from one, follows its
    recording as number "N-1"."""
    numbers = {item["id"]: n for n, item in enumerate(index["items"], start=1)}
    recordings = {r["item"]: r for r in index.get("recordings", [])}
    out = []
    for item in index["items"]:
        recording = recordings.get(item["id"])
        out.append([str(numbers[item["id"]]), KINDS.get(item["kind"], item["kind"]),
                    _what(item, recording, numbers), _who(item, recording),
                    _when(item.get("created_at")), str(item["size"]), item["sha256"], item["path"]])
        if recording is not None and recording.get("playable"):
            out.append(_playable(numbers[item["id"]], item, recording))
    return out


def _playable(number: int, item: dict[str, Any], recording: dict[str, Any]) -> list[str]:
    made = recording["playable"]
    media = "录像" if recording.get("kind") == "video" else "录音"
    what = (f"{recording.get('participant')}的{media}（可直接播放），导出时由第{number}项的"
            f"{len(made.get('made_from', []))}段拼接而成，未转码")
    return [f"{number}-1", KINDS["playable"], what, _who(item, recording), _when(item.get("created_at")),
            str(made["size"]), made["sha256"], made["path"]]


def _what(item: dict[str, Any], recording: dict[str, Any] | None, numbers: dict[str, int]) -> str:
    claimed, observed = item.get("claimed") or {}, item.get("observed") or {}
    if recording is not None:
        media = "录像" if recording.get("kind") == "video" else "录音"
        text = f"{recording.get('participant')}的{media}，{len(recording.get('segments', []))}段（清单及哈希链）"
    elif item["kind"] == "complaint_form":
        text = f"投诉 {(observed.get('complaint') or {}).get('number', '')} 提交的原始表单"
    elif claimed.get("filename"):
        text = str(claimed["filename"])
    else:
        text = item.get("content_type", "")
    if item.get("derived_from") in numbers:
        text += f"（由第{numbers[item['derived_from']]}项生成）"
    return text


def _who(item: dict[str, Any], recording: dict[str, Any] | None) -> str:
    if recording is not None:
        return f"{recording.get('participant')}（{ROLES.get(str(recording.get('role')), recording.get('role'))}）"
    observed = item.get("observed") or {}
    person = observed.get("uploader") or observed.get("participant")
    if isinstance(person, dict) and person.get("name"):
        role = ROLES.get(str(person.get("role")), person.get("role") or "")
        return f"{person['name']}（{role}）" if role else str(person["name"])
    if item["kind"] == "complaint_form":
        return "投诉人（公开投诉渠道）"
    return "系统生成"


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(china_time()).strftime("%Y-%m-%d %H:%M:%S")


def csv_bytes(listed: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADINGS)
    writer.writerows(listed)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def pdf_bytes(case_number: str, exported_at: str, listed: list[list[str]]) -> bytes:
    """The list on A4 landscape pages with an embedded Chinese font. Raises FontMissing."""
    from fpdf import FPDF  # loaded at the first PDF, not at every server's start
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    from transcription.pdf import find_cjk_font

    font, face = find_cjk_font()
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font("cjk", "", str(font), collection_font_number=face)
    pdf.set_title(f"证据目录 {case_number}")
    pdf.set_creator("zeromeet")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(datetime.fromisoformat(exported_at))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.cell(0, 9, f"证据目录  案件编号 {case_number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=8)
    pdf.cell(0, 6, f"导出时间 {_when(exported_at)}（北京时间）  共 {len(listed)} 项；"
                   "每项的 SHA-256 为收到时计算，可用 zeromeet verify 离线核对", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=7)
    with pdf.table(col_widths=(8, 20, 52, 30, 26, 16, 58, 60), wrapmode=WrapMode.CHAR,
                   line_height=4, first_row_as_headings=True,
                   headings_style=FontFace(emphasis="", fill_color=(232, 232, 232))) as table:
        for values in (HEADINGS, *listed):
            row = table.row()
            for value in values:
                row.cell(value)
    return bytes(pdf.output())
