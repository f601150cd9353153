"""An officer signs the record beside the interviewee (询问人签名): only a record that names
them, once per version; the signature is evidence, on the PDF, checked by the record's
verify and offline in the bundle; a version already confirmed gets a new PDF derived from
the one before. Real SeaweedFS and SQLite."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from evidence.s3client import minio_client
from evidence.verify import verify as verify_bundle
from server.settings import Settings
from tests.support.api import Api
from tests.support.records import signature_png
from tests.test_record_header_api import drafted

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def pdf_words(data: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


async def pdf(api: Api, path: str, headers: dict[str, str]) -> bytes:
    async with api.client.get(f"{path}.pdf", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read()


async def name_wang(api: Api, wang: dict[str, str], path: str, based_on: int) -> dict:
    record = await api.ok("GET", path, headers=wang)
    turns = [{k: t[k] for k in ("speaker", "role", "kind", "start", "end", "text")} for t in record["turns"]]
    return await api.ok("POST", f"{path}/versions", 201, headers=wang, json={
        "based_on": based_on, "turns": turns,
        "header": {"inspectors": [{"name": "Wang", "badge": "37010020261234"}]}})


async def test_an_officer_signs_beside_the_interviewee_and_it_verifies(api: Api, tmp_path: Path) -> None:
    wang, path, invitation, worker = await drafted(api)
    record = await api.ok("GET", path, headers=wang)
    body = {"version": 1, "text_sha256": record["text_sha256"], "signature": signature_png()}
    status, answer = await api.call("POST", f"{path}/sign", headers=wang, json=body)
    assert (status, answer["error"]) == (409, "not_named"), answer  # the header names 王检查, not Wang
    saved = await name_wang(api, wang, path, 1)
    body = {"version": 2, "text_sha256": saved["text_sha256"], "signature": signature_png()}
    status, answer = await api.call("POST", f"{path}/sign", headers=wang, json={**body, "text_sha256": "0" * 64})
    assert (status, answer["error"]) == (409, "text_changed")
    signed = await api.ok("POST", f"{path}/sign", 201, headers=wang, json=body)
    assert (signed["name"], signed["badge"], signed["version"]) == ("Wang", "37010020261234", 2)
    status, answer = await api.call("POST", f"{path}/sign", headers=wang, json=body)
    assert (status, answer["error"]) == (409, "already_signed")
    listed = (await api.ok("GET", path, headers=wang))["officer_signatures"]
    assert [(s["username"], s["version"]) for s in listed] == [("wang", 2)]
    assert "询问人：Wang（执法证号：37010020261234）" in pdf_words(await pdf(api, path, wang))  # the draft shows it

    # The party confirms: the stored PDF carries both signatures.
    await api.ok("POST", f"{path}/send", 201, headers=wang, json={"invitation_id": invitation["id"]})
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    await api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 2, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    words = pdf_words(await pdf(api, path, wang))
    assert "被询问人签名" in words and "询问人：Wang（执法证号：37010020261234）" in words
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    assert (verdict["ok"], verdict["problems"]) == (True, [])
    case_id = (await api.ok("GET", f"/api/interviews/{path.split('/')[3]}", headers=wang))["case_id"]
    events = (await api.ok("GET", f"/api/cases/{case_id}/custody", headers=wang))["events"]
    assert [e["actor"]["username"] for e in events if e["action"] == "record_signed"] == ["wang"]

    async with api.client.post(f"/api/cases/{case_id}/bundle", headers=wang) as resp:
        assert resp.status == 200
        zipped = tmp_path / "bundle.zip"
        zipped.write_bytes(await resp.read())
    assert verify_bundle(zipped).problems == []
    # A statement altered in the bundle is named.
    forged = tmp_path / "forged"
    with zipfile.ZipFile(zipped) as z:
        z.extractall(forged)
    [statement] = forged.glob("*/data/interviews/*/record/officer-signature-*.json")
    document = json.loads(statement.read_bytes())
    document["statement"]["officer"]["badge"] = "99999999"
    statement.write_bytes(json.dumps(document).encode())
    statement = statement.resolve()
    problems = verify_bundle(next(forged.iterdir())).lines()
    assert any(p.startswith(f"data/{statement.relative_to(next(forged.iterdir()) / 'data').as_posix()}")
               for p in problems), problems


async def test_signing_a_confirmed_version_makes_a_new_pdf_and_keeps_the_old(
        api: Api, settings: Settings) -> None:
    wang, path, invitation, worker = await drafted(api)
    saved = await name_wang(api, wang, path, 1)
    await api.ok("POST", f"{path}/send", 201, headers=wang, json={"invitation_id": invitation["id"]})
    await api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 2, "text_sha256": saved["text_sha256"], "signature": signature_png()})
    before = await pdf(api, path, wang)
    assert "询问人：Wang（执法证号" not in pdf_words(before)
    await api.ok("POST", f"{path}/sign", 201, headers=wang, json={
        "version": 2, "text_sha256": saved["text_sha256"], "signature": signature_png()})
    after = await pdf(api, path, wang)
    assert "询问人：Wang（执法证号：37010020261234）" in pdf_words(after) and "被询问人签名" in pdf_words(after)
    case_id = (await api.ok("GET", f"/api/interviews/{path.split('/')[3]}", headers=wang))["case_id"]
    pdfs = [i for i in await api.ok("GET", f"/api/cases/{case_id}/evidence", headers=wang)
            if i["kind"] == "record-pdf"]
    assert len(pdfs) == 2 and {p["derived_from"] for p in pdfs} & {p["id"] for p in pdfs}  # one from the other
    # The officer's image altered in the store is named by the record's verify, never a 500.
    image = next(i for i in await api.ok("GET", f"/api/cases/{case_id}/evidence", headers=wang)
                 if i["kind"] == "signature" and "officer_signature" in i["observed"])
    s3 = settings.s3
    client = minio_client(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure, region=s3.region)
    client.put_object(s3.bucket, image["object_key"], io.BytesIO(b"x"), 1)
    verdict = await api.ok("POST", f"{path}/verify", headers=wang)
    assert verdict["ok"] is False
    assert any(p.startswith("signed by officer Wang (version 2)") for p in verdict["problems"]), verdict
