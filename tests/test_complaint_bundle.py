"""A case opened from a complaint exports to a bundle that proves the complaint's steps
offline: its log pinned by the export's signed checkpoint and linked at acceptance, and
the working day it was accepted on, counted again on the calendar the bundle carries.
An export for the employer leaves out what a confidential complainant sent."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from evidence.discrepancy import Kind
from evidence.verify import verify
from server.complaints import intake
from server.complaints.workdays import Calendar, local_day
from server.db.types import utcnow
from tests.support.api import Api, bearer
from tests.support.complaints import PNG, aiohttp_form, bureau, file

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _accepted_case(api: Api, monkeypatch: pytest.MonkeyPatch, days_ago: int) -> tuple[dict, str, str]:
    b = await bureau(api)
    earlier = utcnow() - timedelta(days=days_ago)
    with monkeypatch.context() as m:  # the complaint arrived `days_ago` days ago
        m.setattr(intake, "utcnow", lambda: earlier)
        filed = await file(api, b["city"], name="李秘密")
    await api.ok("POST", "/api/complaint/evidence", 201, headers=bearer(filed["token"]),
                 data=aiohttp_form(PNG, "李秘密的欠条.png"))
    cid = (await api.ok("GET", "/api/complaints", headers=b["zhao"]))[0]["id"]
    await api.ok("POST", f"/api/complaints/{cid}/claim", headers=b["zhao"])
    accepted = await api.ok("POST", f"/api/complaints/{cid}/accept", headers=b["zhao"])
    return b, filed["number"], accepted["case_id"]


async def _export(api: Api, headers: dict, case_id: str, path: Path, query: str = "") -> Path:
    async with api.client.post(f"/api/cases/{case_id}/bundle{query}", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        path.write_bytes(await resp.read())
    return path


async def test_the_bundle_proves_on_which_working_day_a_complaint_was_accepted(
        api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b, number, case_id = await _accepted_case(api, monkeypatch, days_ago=4)
    zipped = await _export(api, b["zhao"], case_id, tmp_path / "b.zip")
    report = verify(zipped)
    assert report.ok, report.problems
    day = Calendar({}).between(local_day(utcnow() - timedelta(days=4)), local_day(utcnow()))
    assert report.counts["complaints"] == 1
    assert f"complaint {number}: received" in report.summary()
    assert f"working day {day} (due by" in report.summary(), report.summary()

    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(zipped) as z:
        z.extractall(folder)
    root = next(folder.iterdir())
    log_file = next((root / "data" / "complaints").glob("*/events.jsonl"))
    original = log_file.read_text()
    lines = original.splitlines()
    first = json.loads(lines[0])
    first["detail"]["unit"] = "city"  # the complaint rewritten as routed elsewhere
    log_file.write_text("\n".join([json.dumps(first, ensure_ascii=False), *lines[1:]]) + "\n")
    problems = verify(root).lines()
    assert any("events.jsonl" in p and "hash" in p and number in p for p in problems), problems
    log_file.write_text("\n".join(lines[:-1]) + "\n")  # the last step cut off
    problems = verify(root).problems
    assert any(p.kind is Kind.CHAIN and "not the log the export pinned" in str(p) for p in problems), problems
    log_file.write_text(original)
    points_file = log_file.with_name("checkpoints.json")
    assert len(json.loads(points_file.read_text())) >= 1  # signed at export
    points_file.write_text("[]")
    problems = verify(root).problems
    assert any(p.kind is Kind.UNSEALED and "after its last signed checkpoint" in str(p) for p in problems), problems
    (root / "data" / "complaints" / "calendar.json").write_text(json.dumps(
        {"time_zone": "Asia/Shanghai", "days": {"not a day": True}}))
    assert any("calendar.json" in p and "not a date" in p for p in verify(root).lines())


async def test_an_export_for_the_employer_leaves_out_what_the_complainant_sent(
        api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    b, number, case_id = await _accepted_case(api, monkeypatch, days_ago=0)
    full = await _export(api, b["zhao"], case_id, tmp_path / "full.zip")
    for_employer = await _export(api, b["zhao"], case_id, tmp_path / "employer.zip", "?audience=employer")
    assert verify(full).ok and verify(for_employer).ok, verify(for_employer).problems

    def everything(path: Path) -> bytes:
        with zipfile.ZipFile(path) as z:
            return b"".join(z.read(n) for n in z.namelist())
    assert "李秘密".encode() in everything(full)  # the form as received, and the file's name
    assert "李秘密".encode() not in everything(for_employer)
    with zipfile.ZipFile(for_employer) as z:
        index = json.loads(z.read(next(n for n in z.namelist() if n.endswith("data/index.json"))))
    assert index["audience"] == "employer" and index["items"] == []
    assert sorted(w["kind"] for w in index["withheld"]) == ["complaint_form", "upload"]
    assert "complaints" not in index
    status, got = await api.call("POST", f"/api/cases/{case_id}/bundle?audience=press", headers=b["zhao"])
    assert status == 400 and got["error"] == "invalid_audience"
