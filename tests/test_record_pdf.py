"""The record as PDF: Chinese text that extracts back, the hash and the signature on
every page, the draft label, an embedded font, and a clear error without a font."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from transcription import pdf as record_pdf
from transcription.pdf import (
    FONT_ENV, FontMissing, SignatureUnreadable, find_cjk_font, flatten_signature, render_pdf,
)
from transcription.record import build_draft, content_sha256

STARTED = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
QUESTION = "第{i}问：你在这家公司工作多久了？每天加班到几点？"
ANSWER = "第{i}答：我在这里工作了三年，每天加班到晚上十点，工资已经三个月没有按时发放，老板说等工程款到了再发。"


def long_record(language: str = "zh", pairs: int = 40) -> dict[str, Any]:
    turns = []
    for i in range(pairs):
        turns.append({"speaker": "王检查", "role": "inspector", "start": i * 60.0,
                      "end": i * 60 + 5.0, "text": QUESTION.format(i=i), "confidence": 0.9})
        turns.append({"speaker": "李工人", "role": "worker", "start": i * 60 + 8.0,
                      "end": i * 60 + 50.0, "text": ANSWER.format(i=i), "confidence": 0.5})
    return build_draft(
        interview_id="i-1", case_id="c-1", language=language, case_number="ZM-2026-000001",
        case_title="拖欠工资", employer="某某建筑有限公司", started_at=STARTED,
        ended_at=STARTED + timedelta(minutes=45), inspectors=["王检查", "张监察"],
        interviewees=[("李工人", "worker")], turns=turns)


def signature_png(transparent: bool = True) -> bytes:
    """A drawn stroke as the phone sends it: black ink on a transparent canvas."""
    canvas = np.zeros((120, 360, 4), np.uint8)
    if not transparent:
        canvas[:] = 255
    cv2.polylines(canvas, [np.array([[20, 80], [120, 30], [220, 90], [340, 40]])], False,
                  (0, 0, 0, 255), 5)
    ok, encoded = cv2.imencode(".png", canvas)
    assert ok
    return encoded.tobytes()


CONFIRMED = {"decision": "confirmed", "name": "李工人", "role": "worker", "version": 3,
             "at": "2026-11-23T09:50:00+00:00", "reason": ""}
REFUSED = {"decision": "refused", "name": "赵证人", "role": "witness", "version": 3,
           "at": "2026-11-23T09:52:00+00:00", "reason": "笔录记录不全"}


@pytest.fixture(scope="module")
def content() -> dict[str, Any]:
    return long_record()


@pytest.fixture(scope="module")
def signed(content: dict[str, Any]) -> bytes:
    return render_pdf(content, sha256=content_sha256(content), version=3,
                      confirmations=[CONFIRMED, REFUSED], signature_png=signature_png(),
                      draft=False)


@pytest.fixture(scope="module")
def draft(content: dict[str, Any]) -> bytes:
    return render_pdf(content, sha256=content_sha256(content), version=1)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Extracted text without the line breaks the layout put inside paragraphs."""
    return "".join(text.split())


def test_chinese_text_comes_back(content: dict[str, Any], draft: bytes) -> None:
    pages = page_texts(draft)
    assert len(pages) >= 3
    everything = flat("".join(pages))
    for piece in ("询问笔录", "案件编号ZM-2026-000001", "案由拖欠工资", "用人单位某某建筑有限公司",
                  "时间2026年11月23日17时00分至17时45分", "地点远程视频", "被询问人李工人（劳动者）",
                  "询问人王检查、张监察", "记录人王检查", "有权申请其回避", "请仔细阅读以上笔录"):
        assert piece in everything
    # The confirmation formula stands beside a signature, and a draft has none.
    assert "与我说的相符" not in everything
    for i in (0, 17, 39):
        assert flat("问：" + QUESTION.format(i=i)) in everything
        assert flat("答：" + ANSWER.format(i=i)) in everything
    assert "39:08–39:50李工人" in everything  # the turn's time on the interview clock


def test_every_page_carries_the_hash_version_and_page_count(content: dict[str, Any],
                                                            draft: bytes) -> None:
    pages = page_texts(draft)
    for number, text in enumerate(pages, start=1):
        assert f"笔录 SHA-256: {content_sha256(content)}" in text
        assert "版本 1" in text
        assert f"第 {number} 页 / 共 {len(pages)} 页" in text


def test_draft_label_only_on_drafts(draft: bytes, signed: bytes) -> None:
    assert all("草稿 DRAFT" in text for text in page_texts(draft))
    assert not any("草稿" in text or "DRAFT" in text for text in page_texts(signed))


def test_font_is_embedded(draft: bytes) -> None:
    fonts = []
    for page in PdfReader(io.BytesIO(draft)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                fonts.append(descendant.get_object()["/FontDescriptor"].get_object())
    assert fonts and all("/FontFile2" in descriptor for descriptor in fonts)


def images_on(page: Any) -> list[Any]:
    xobjects = page["/Resources"].get("/XObject", {})
    return [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]


def test_signature_on_every_page_and_in_its_block(signed: bytes, draft: bytes) -> None:
    reader = PdfReader(io.BytesIO(signed))
    for page in reader.pages:
        [image] = images_on(page)
        assert "/SMask" not in image  # flattened on white
    last = flat(reader.pages[-1].extract_text())
    assert "被询问人签名" in last and "签名人：李工人" in last
    assert last.count("以上笔录我看过，与我说的相符") == 1
    assert last.index("与我说的相符") < last.index("签名人：李工人") < last.index("拒绝签名，理由")
    assert "确认时间：2026年11月23日17时50分" in last
    assert "赵证人（证人）于2026年11月23日17时52分拒绝签名，理由：笔录记录不全" in last
    assert not any(images_on(page) for page in PdfReader(io.BytesIO(draft)).pages)


def test_transparent_signature_is_drawn_on_white() -> None:
    with Image.open(io.BytesIO(flatten_signature(signature_png()))) as image:
        assert image.mode == "RGB"
        assert image.getpixel((0, 0)) == (255, 255, 255)
        assert image.getpixel((20, 80)) == (0, 0, 0)


def test_unreadable_signature_is_refused(content: dict[str, Any]) -> None:
    with pytest.raises(SignatureUnreadable):
        render_pdf(content, sha256="0" * 64, version=1, signature_png=b"not a png")


def test_english_record_and_metadata() -> None:
    content = long_record("en", pairs=2)
    data = render_pdf(content, sha256="ab" * 32, version=2, draft=True)
    [text] = page_texts(data)
    assert "Record SHA-256: " + "ab" * 32 in text
    assert "Version 2" in text and "Page 1 of 1" in text and "DRAFT" in text
    assert "Q: " + QUESTION.format(i=1) in text and "Interviewees" in text
    metadata = PdfReader(io.BytesIO(data)).metadata
    assert metadata.title == "Inquiry record ZM-2026-000001" and metadata.creator == "zeromeet"


def test_same_input_same_bytes(content: dict[str, Any], signed: bytes) -> None:
    again = render_pdf(content, sha256=content_sha256(content), version=3,
                       confirmations=[CONFIRMED, REFUSED], signature_png=signature_png(),
                       draft=False)
    assert again == signed


def test_font_setting_that_names_nothing_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv(FONT_ENV, str(tmp_path / "missing.ttf"))
    with pytest.raises(FontMissing, match="ZEROMEET_PDF_FONT"):
        find_cjk_font()


def test_no_font_anywhere(monkeypatch: pytest.MonkeyPatch, content: dict[str, Any]) -> None:
    monkeypatch.delenv(FONT_ENV, raising=False)
    monkeypatch.setattr(record_pdf, "KNOWN_FONTS", ())
    monkeypatch.setattr(record_pdf, "fontconfig_font", lambda: None)
    with pytest.raises(FontMissing, match="install fonts-wqy-microhei .* or set ZEROMEET_PDF_FONT"):
        render_pdf(content, sha256="0" * 64, version=1)


def test_font_setting_and_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    path, face = find_cjk_font()
    monkeypatch.setenv(FONT_ENV, str(path))
    assert find_cjk_font() == (path, face)
    if path.name == "wqy-microhei.ttc":
        assert face == 0  # Micro Hei, not its monospaced sibling


def test_fontconfig_finds_a_chinese_face(monkeypatch: pytest.MonkeyPatch) -> None:
    found = record_pdf.fontconfig_font()
    assert found is not None, "fontconfig offers no Chinese font: `make test` installs one"
    path, index = found
    assert path.is_file() and index >= 0


def test_a_refusal_is_never_printed_below_the_confirmation_formula(content: dict[str, Any]) -> None:
    refused = render_pdf(content, sha256=content_sha256(content), version=3,
                         confirmations=[REFUSED], draft=False)
    text = flat("".join(page_texts(refused)))
    assert "拒绝签名，理由：笔录记录不全" in text and "相符" not in text
    # A record drafted before the formula was kept apart ends its closing with it.
    old = {**content, "closing": content["closing"] + "\n被询问人确认：以上笔录我看过，与我说的相符。"}
    text = flat("".join(page_texts(render_pdf(old, sha256="0" * 64, version=3,
                                               confirmations=[REFUSED], draft=False))))
    assert "拒绝签名" in text and "相符" not in text


def test_the_creation_date_is_not_before_the_answers_it_prints(content: dict[str, Any],
                                                               signed: bytes, draft: bytes) -> None:
    def created(data: bytes) -> datetime:
        return PdfReader(io.BytesIO(data)).metadata.creation_date

    assert created(signed) == datetime.fromisoformat(REFUSED["at"])  # the latest answer
    assert created(draft) == datetime.fromisoformat(content["header"]["ended_at"])
