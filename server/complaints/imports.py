"""Clues from elsewhere — the national wage-arrears clue platform, the 12345 hotline —
imported from a CSV file, one complaint each, keeping their own numbers.

The file must name its columns in a header row, in English or Chinese (see COLUMNS);
`number`, `name` and `phone` are required. Every row is checked before any is filed:
a file with one bad row is refused whole, naming the line, and files nothing. A clue
already imported (the same number from the same source) is skipped, so a file can be
imported again after a failure."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evidence.store import ObjectStore
from server.complaints import intake
from server.db.complaint_models import Complaint
from server.errors import InvalidInput

COLUMNS = {
    "number": ("number", "编号", "线索编号", "工单编号"), "name": ("name", "姓名", "投诉人"),
    "phone": ("phone", "电话", "联系电话", "手机"), "employer": ("employer", "用人单位", "被投诉单位"),
    "district": ("district", "区县", "所在区县"), "category": ("category", "类别", "问题类别"),
    "workers": ("workers", "人数", "涉及人数"), "amount": ("amount", "金额", "拖欠金额"),
    "description": ("description", "内容", "诉求内容", "情况"), "received": ("received", "受理时间", "登记时间"),
}
CATEGORY_WORDS = {"欠薪": "wages", "拖欠工资": "wages", "劳动合同": "contract", "社会保险": "insurance",
                  "社保": "insurance", "工时休假": "hours", "童工": "child_labour", "其他": "other"}
MOST_ROWS = 2000


@dataclass(frozen=True)
class Imported:
    filed: list[str]  # the new complaints' numbers
    skipped: list[str]  # the external numbers imported before


def parse(text: str, check: Any) -> list[tuple[int, dict[str, str], dict[str, Any]]]:
    """(line, the row as read, the complaint's fields) for every row; `check` turns a row's
    values into fields as the public form's are checked (InvalidInput for a bad one)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise InvalidInput("The file is empty; it needs a header row naming its columns.", code="import_invalid")
    names = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
    keys = [names.get(h.strip().lstrip("\ufeff").lower() if h.isascii() else h.strip().lstrip("\ufeff"))
            for h in header]
    missing = [k for k in ("number", "name", "phone") if k not in keys]
    if missing:
        raise InvalidInput(f"The header row has no column for {', '.join(missing)} "
                           f"({', '.join(COLUMNS[missing[0]])}).", code="import_invalid")
    out = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(out) >= MOST_ROWS:
            raise InvalidInput(f"At most {MOST_ROWS} clues a file.", code="import_invalid")
        row = {k: v.strip() for k, v in zip(keys, values, strict=False) if k}
        if not row.get("number"):
            raise InvalidInput(f"Line {line}: it has no number.", code="import_invalid")
        body: dict[str, Any] = {k: v for k, v in row.items() if v and k not in ("number", "received")}
        if "category" in body:
            body["category"] = CATEGORY_WORDS.get(body["category"], body["category"])
        for number in ("workers", "amount"):
            if number in body:
                try:
                    body[number] = int(body[number].replace(",", ""))
                except ValueError:
                    raise InvalidInput(f"Line {line}: {number} {body[number]!r} is not a whole number.",
                                       code="import_invalid") from None
        try:
            fields = check(body)
        except InvalidInput as exc:
            raise InvalidInput(f"Line {line}: {exc.message}", code="import_invalid") from None
        out.append((line, row, fields))
    if not out:
        raise InvalidInput("The file has a header row but no clues.", code="import_invalid")
    return out


async def import_rows(session: AsyncSession, store: ObjectStore, *, channel: str, source: str,
                      staff_id: str, filename: str, file_sha256: str,
                      rows: list[tuple[int, dict[str, str], dict[str, Any]]]) -> Imported:
    filed, skipped = [], []
    for line, row, fields in rows:
        ref = f"{source}:{row['number']}"[:64]
        if await session.scalar(select(Complaint.id).where(Complaint.external_ref == ref)) is not None:
            skipped.append(row["number"])
            continue
        body = json.dumps({"source": source, "line": line, "row": row}, ensure_ascii=False).encode()
        filing = intake.Filing(
            channel=channel, fields=fields, body=body, address="import", filed_by=staff_id,
            external_ref=ref, observed={"imported_from": {"source": source, "file": filename[:255],
                                                          "file_sha256": file_sha256, "line": line}})
        complaint, _token = await intake.file_complaint(session, store, filing)
        filed.append(complaint.number)
    return Imported(filed, skipped)
