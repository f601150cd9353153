"""One version of an inquiry record as a PDF (A4) with an embedded Chinese font.

Every page carries the version's SHA-256, so a printed page can be matched to the stored
JSON, and — once the interviewee has signed — a small copy of the signature, because a
Chinese 询问笔录 is signed on every page. The output is a pure function of the arguments
(and the font file): the creation date is the latest answer it prints (else the
interview's end), not "now", so the stored PDF of a confirmed version can be rendered
again and compared byte for byte.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from PIL import Image, UnidentifiedImageError

from transcription.errors import FontMissing, TranscriptionError
from transcription.bureau_time import format_time
from transcription.record import (
    formula, header_lines, role_name, turn_prefix, without_formula,
)

FONT_ENV = "ZEROMEET_PDF_FONT"
KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
FAMILY = "cjk"
GREY = (110, 110, 110)
RED = (200, 0, 0)
FOOTER_SIGNATURE_MM = (24, 9)

_WORDS = {
    "zh": {"sha": "笔录 SHA-256: ", "version": "版本 {v}", "page": "第 {n} 页 / 共 {total} 页",
           "signature": "被询问人签名", "signed": "签名人：{name}    确认时间：{at}",
           "refused": "{name}（{role}）于 {at} 拒绝签名，理由：{reason}",
           "officer": "询问人签名", "officer_signed": "询问人：{name}（执法证号：{badge}）    签名时间：{at}",
           "draft": "草稿 DRAFT"},
    "en": {"sha": "Record SHA-256: ", "version": "Version {v}", "page": "Page {n} of {total}",
           "signature": "Interviewee's signature", "signed": "Signed by {name}    confirmed {at}",
           "refused": "{name} ({role}) refused to sign on {at}; reason: {reason}",
           "officer": "Interviewer's signature",
           "officer_signed": "Interviewer: {name} (certificate no. {badge})    signed {at}",
           "draft": "DRAFT 草稿"},
}


class SignatureUnreadable(TranscriptionError):
    """The signature bytes are not an image Pillow can read."""


def find_cjk_font() -> tuple[Path, int]:
    """The font file to embed and, for a collection (.ttc), the face to use.

    An operator's ZEROMEET_PDF_FONT wins; when it names no file that is an error rather
    than a silent fallback, so a wrong setting is noticed.
    """
    configured = os.environ.get(FONT_ENV)
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(f"{FONT_ENV} is {configured!r}, which is not a font file: point it "
                              "at a .ttf/.ttc/.otf that covers Chinese, or unset it.")
        return Path(configured), chinese_face(Path(configured))
    for known in KNOWN_FONTS:
        if Path(known).is_file():
            return Path(known), chinese_face(Path(known))
    found = fontconfig_font()
    if found is None:
        raise FontMissing("No Chinese font is installed: install fonts-wqy-microhei (apt-get "
                          f"install fonts-wqy-microhei) or set {FONT_ENV} to a CJK font file.")
    return found


def fontconfig_font() -> tuple[Path, int] | None:
    """What fontconfig offers for Simplified Chinese, with its face index, if anything."""
    if shutil.which("fc-match") is None:
        return None
    try:
        done = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", ":lang=zh-cn"],
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    file, _, index = done.stdout.partition("\n")
    path = Path(file.strip())
    # fontconfig answers its best guess even without any CJK font; only TrueType/OpenType
    # files can be embedded, and a Latin-only one would print empty boxes.
    if done.returncode != 0 or path.suffix.lower() not in (".ttf", ".ttc", ".otf", ".otc"):
        return None
    if not path.is_file() or not _covers_chinese(path, int(index or 0)):
        return None
    return path, int(index or 0)


def chinese_face(path: Path) -> int:
    """In a collection, the Simplified Chinese face (Noto's .ttc starts with Japanese)."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    faces = TTCollection(str(path), lazy=True).fonts
    names = [str(face["name"].getDebugName(1) or "") for face in faces]
    for index, name in enumerate(names):
        if name.endswith(" SC"):
            return index
    return 0


def _covers_chinese(path: Path, index: int) -> bool:
    from fontTools.ttLib import TTFont

    with TTFont(str(path), fontNumber=index, lazy=True) as font:
        return ord("笔") in (font.getBestCmap() or {})


def render_pdf(content: dict[str, Any], *, sha256: str, version: int,
               confirmations: list[dict[str, Any]] | tuple[()] = (),
               signature_png: bytes | None = None, draft: bool = True,
               officers: list[dict[str, Any]] | tuple[()] = ()) -> bytes:
    """The record as PDF bytes. `confirmations` are the record answer's confirmations of
    this version; a `confirmed` one and `signature_png` add the signature block and the
    signature on every page's footer. `officers`: the officers' signatures ({name, badge,
    at, png}), each beside the interviewee's (询问人签名). Raises FontMissing,
    SignatureUnreadable."""
    font, face = find_cjk_font()
    signature = flatten_signature(signature_png) if signature_png else None
    pdf = RecordPDF(content, sha256=sha256, version=version, draft=draft, signature=signature)
    pdf.officer_signatures = [{**o, "png": flatten_signature(o["png"]) if o.get("png") else None}
                              for o in officers]
    pdf.add_font(FAMILY, "", str(font), collection_font_number=face)
    pdf.set_title(f"{content['header']['title']} {content['header']['case_number']}")
    pdf.set_creator("zeromeet")
    pdf.set_lang("en" if content["language"] == "en" else "zh-CN")
    pdf.set_creation_date(creation_date(content, [*confirmations, *officers]))
    pdf.add_page()
    pdf.body()
    pdf.confirmations([c for c in confirmations if c.get("version", version) == version])
    return bytes(pdf.output())


def creation_date(content: dict[str, Any], confirmations: Any) -> datetime:
    """The latest answer the PDF prints (it cannot be older than what it shows), else the
    interview's end: never "now", so the same arguments give the same bytes."""
    times = [datetime.fromisoformat(c["at"]) for c in confirmations if isinstance(c.get("at"), str)]
    return max([datetime.fromisoformat(content["header"]["ended_at"]), *times])


def flatten_signature(png: bytes) -> bytes:
    """The signature drawn on white: a transparent canvas would otherwise print as black
    in viewers that ignore the soft mask, hiding the strokes."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise SignatureUnreadable(f"The signature is not a readable image: {error}.") from None
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    white.save(out, format="PNG")
    return out.getvalue()


def minutes_seconds(seconds: float) -> str:
    """mm:ss on the interview clock; minutes run on past 59 rather than adding hours."""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def wrap_mode(text: str) -> WrapMode:
    """Chinese runs have no spaces to break at, so a paragraph holding any wraps by
    character (as Chinese typesetting does); others wrap by word."""
    wide = any(unicodedata.east_asian_width(char) in ("W", "F") for char in text)
    return WrapMode.CHAR if wide else WrapMode.WORD


class RecordPDF(FPDF):
    """The page furniture (draft label, footer with hash, pages and signature) and the
    record's blocks, each a method so the layout reads top to bottom."""

    def __init__(self, content: dict[str, Any], *, sha256: str, version: int, draft: bool,
                 signature: bytes | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.content, self.sha256, self.record_version = content, sha256, version
        self.draft, self.signature = draft, signature
        self.officer_signatures: list[dict[str, Any]] = []
        self.words = _WORDS["en" if content["language"] == "en" else "zh"]
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=26)

    def header(self) -> None:
        if self.draft:
            self.set_font(FAMILY, size=11)
            self.set_text_color(*RED)
            self.set_xy(self.l_margin, 8)
            self.cell(0, 6, self.words["draft"], align="R")
            self.set_text_color(0)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_xy(self.l_margin, -18)
        self.set_font(FAMILY, size=7)
        self.set_text_color(*GREY)
        page = self.words["page"].format(n=self.page_no(), total=self.str_alias_nb_pages)
        self.cell(0, 4, self.words["sha"] + self.sha256, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, f"{self.words['version'].format(v=self.record_version)}    {page}")
        self.set_text_color(0)
        if self.signature:
            width, height = FOOTER_SIGNATURE_MM
            self.image(io.BytesIO(self.signature), x=self.w - self.r_margin - width,
                       y=self.h - 19, w=width, h=height, keep_aspect_ratio=True)

    def paragraph(self, text: str, size: float = 11, height: float = 6.5) -> None:
        self.set_font(FAMILY, size=size)
        self.multi_cell(0, height, text, align="L", wrapmode=wrap_mode(text),
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def body(self) -> None:
        self.set_font(FAMILY, size=18)
        self.cell(0, 12, self.content["header"]["title"], align="C",
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)
        self.header_table()
        self.ln(4)
        self.paragraph(self.content["notice"], size=10, height=5.5)
        self.ln(3)
        for turn in self.content["turns"]:
            self.turn(turn)
        self.ln(3)
        # The confirmation formula is printed beside a signature only, never above a refusal.
        self.paragraph(without_formula(self.content["closing"]), size=10.5)

    def header_table(self) -> None:
        lines = header_lines(self.content)
        self.set_font(FAMILY, size=10.5)
        with self.table(col_widths=(28, 146), first_row_as_headings=False, line_height=6.5,
                        text_align="LEFT", padding=1.2,
                        wrapmode=wrap_mode("".join(value for _, value in lines))) as table:
            for label, value in lines:
                table.row((label, value))

    def turn(self, turn: dict[str, Any]) -> None:
        if self.will_page_break(4.5 + 6.5):  # keep the time with the turn's first line
            self.add_page()
        self.set_font(FAMILY, size=7.5)
        self.set_text_color(*GREY)
        self.cell(0, 4.5, f"{minutes_seconds(turn['start'])}–{minutes_seconds(turn['end'])}  "
                          f"{turn['speaker']}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)
        self.paragraph(turn_prefix(self.content, turn) + turn["text"])
        self.ln(1.5)

    def confirmations(self, confirmations: list[dict[str, Any]]) -> None:
        confirmed = [c for c in confirmations if c.get("decision") == "confirmed"]
        if confirmed:
            self.signature_block(confirmed[-1])
        for officer in self.officer_signatures:
            self.officer_block(officer)
        self.ln(2)
        for refusal in (c for c in confirmations if c.get("decision") == "refused"):
            self.paragraph(self.words["refused"].format(
                name=refusal.get("name", ""), at=self.when(refusal.get("at")),
                role=role_name(refusal.get("role", ""), self.content["language"]),
                reason=refusal.get("reason") or "—"), size=10.5)

    def signature_block(self, confirmation: dict[str, Any]) -> None:
        if self.will_page_break(45):
            self.add_page()
        self.ln(4)
        self.paragraph(formula(self.content["language"]), size=11)
        self.paragraph(self.words["signature"], size=11)
        if self.signature:
            self.image(io.BytesIO(self.signature), w=60, h=25, keep_aspect_ratio=True)
        self.paragraph(self.words["signed"].format(name=confirmation.get("name", ""),
                                                   at=self.when(confirmation.get("at"))), size=10)

    def officer_block(self, officer: dict[str, Any]) -> None:
        if self.will_page_break(40):
            self.add_page()
        self.ln(3)
        self.paragraph(self.words["officer"], size=11)
        if officer.get("png"):
            self.image(io.BytesIO(officer["png"]), w=50, h=20, keep_aspect_ratio=True)
        badge = officer.get("badge") or "—"
        self.paragraph(self.words["officer_signed"].format(
            name=officer.get("name", ""), badge=badge, at=self.when(officer.get("at"))), size=10)

    def when(self, at: str | datetime | None) -> str:
        """A confirmation's time in China time; the record answer gives ISO strings."""
        if at is None:
            return ""
        iso = at.isoformat() if isinstance(at, datetime) else at
        return format_time(iso, self.content["language"],
                           time_zone=self.content["header"].get("time_zone"))
