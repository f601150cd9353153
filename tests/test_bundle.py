"""Evidence bundles end to end: a real call recorded and transcribed, a record confirmed
by the worker, an upload and its thumbnail, exported as a signed BagIt zip; checked by
`zeromeet verify`, `bagit.py --validate` and `openssl pkeyutl`; then tampered with in
every way the issue names, each caught and named."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence.verify import verify
from server.settings import Settings
from tests.support.api import bearer
from tests.support.proc import env_for, run
from tests.support.rooms import Interview
from tests.test_records_workflow import LINES, signature_png
from tests.support.conversation import converse

PAYSLIP = cv2.imencode(".jpg", np.full((480, 640, 3), (40, 120, 200), np.uint8))[1].tobytes()


@pytest.fixture
def settings(settings: Settings, whisper_models: dict) -> Settings:
    return settings.with_(transcribe=True, whisper_model=str(whisper_models["tiny.en"]))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_bundle_verifies_offline_and_every_tamper_is_named(room: Interview, tmp_path: Path) -> None:
    api, staff = room.api, room.staff
    conv = await converse(room, LINES, voice="en", language="en")
    case_id = room.case["id"]  # after: a conversation run again has a case of its own
    assert conv.record["status"] == "draft", conv.record["job"]
    worker = bearer(conv.tokens["worker"])
    path = f"/api/interviews/{room.id}/record"
    await api.ok("POST", f"{path}/send", 201, headers=staff,
                 json={"invitation_id": conv.invitations["worker"]["id"]})
    shown = await api.ok("GET", "/api/invitation/record", headers=worker)
    await api.ok("POST", "/api/invitation/record/confirm", 201, headers=worker, json={
        "version": 1, "text_sha256": shown["text_sha256"], "signature": signature_png()})
    form = {"file": io.BytesIO(PAYSLIP)}
    upload = await api.ok("POST", f"/api/cases/{case_id}/evidence", 201, headers=worker, data=form)

    # Who may export: the case's inspector and its legal staff; nobody else learns it exists.
    legal = await api.staff("li", role="legal")
    await api.ok("POST", f"/api/cases/{case_id}/members", 201, headers=staff, json={"username": "li"})
    outsider = await api.staff("zhao", role="legal")
    assert (await api.call("POST", f"/api/cases/{case_id}/bundle", headers=outsider))[0] == 404
    assert (await api.call("POST", f"/api/cases/{case_id}/bundle", headers=worker))[0] == 403
    async with api.client.post(f"/api/cases/{case_id}/bundle", headers=legal) as resp:
        assert resp.status == 200 and resp.content_type == "application/zip", await resp.text()
        assert int(resp.headers["X-Payload-Bytes"]) > len(PAYSLIP)
        zipped = tmp_path / "bundle.zip"
        zipped.write_bytes(await resp.read())
    pem = tmp_path / "key.pem"
    async with api.client.get("/api/keys") as resp:
        pem.write_bytes(await resp.read())

    # The exported bundle holds what the case holds, exactly as stored.
    with zipfile.ZipFile(zipped) as z:
        names = z.namelist()
        root = names[0].split("/")[0]
        z.extractall(tmp_path / "x")
    bag = tmp_path / "x" / root
    index = json.loads((bag / "data/index.json").read_text())
    kinds = sorted(i["kind"] for i in index["items"])
    assert kinds.count("recording") >= 2 and "thumbnail" in kinds and "confirmation" in kinds, kinds
    assert (bag / next(i["path"] for i in index["items"] if i["id"] == upload["id"])).read_bytes() == PAYSLIP
    assert sum(len(r["segments"]) for r in index["recordings"]) >= 4
    # One playable file per recording, beside its segments, joined from all of them.
    for entry in index["recordings"]:
        made = entry["playable"]
        assert made["path"].startswith(f"data/recordings/{entry['name']}/") and (bag / made["path"]).is_file()
        assert [s["sha256"] for s in made["made_from"]] == [s["sha256"] for s in entry["segments"]]
    events = [json.loads(line) for line in (bag / "data/custody/events.jsonl").read_text().splitlines()]
    actions = [e["action"] for e in events]
    for action in ("stored", "record_edited", "record_confirmed", "captured", "derived",
                   "access_granted", "exported"):
        assert action in actions, actions
    assert actions[-1] == "exported" and events[-1]["actor"]["username"] == "li"

    # Offline checks: ours (zip and folder, with and without a trusted key), BagIt's, OpenSSL's.
    offline = env_for(tmp_path / "nowhere", ZEROMEET_DATABASE_URL="postgresql+asyncpg://no@0.0.0.0:1/x")
    done = run(["verify", str(zipped), "--public-key", str(pem)], offline)
    assert done.returncode == 0 and done.stdout.startswith("OK ") and done.stdout.count("\n") == 1, done
    assert "the key given" in done.stdout and room.case["number"] in done.stdout
    assert verify(bag).ok and verify(tmp_path / "x").ok
    assert not (tmp_path / "nowhere").exists()
    bagit = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag)],
                           capture_output=True, text=True)
    assert bagit.returncode == 0, bagit.stderr
    openssl = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin",
                              "-in", str(bag / "tagmanifest-sha256.txt"),
                              "-sigfile", str(bag / "tagmanifest-sha256.txt.sig")],
                             capture_output=True, text=True)
    assert openssl.returncode == 0 and "Signature Verified Successfully" in openssl.stdout, openssl

    # The evidence list (证据目录), one row per item of the index, as CSV and PDF.
    listed = list(csv.reader(io.StringIO((bag / "data/evidence-list.csv").read_text(encoding="utf-8-sig"))))
    assert listed[0] == ["序号", "证据种类", "说明", "提供人或来源", "收到时间", "大小（字节）", "SHA-256", "文件"]
    playables = [r for r in listed[1:] if "-" in r[0]]  # "3-1": the playable file of item 3
    listed = [listed[0]] + [r for r in listed[1:] if "-" not in r[0]]
    assert [r[6] for r in listed[1:]] == [i["sha256"] for i in index["items"]]
    assert [r[7] for r in listed[1:]] == [i["path"] for i in index["items"]]
    assert [r[7] for r in playables] == [r["playable"]["path"] for r in index["recordings"]]
    uploaded = next(r for r in listed[1:] if r[6] == upload["sha256"])
    uploader = next(i for i in index["items"] if i["id"] == upload["id"])["observed"]["uploader"]["name"]
    assert uploaded[1] == "上传材料" and uploader in uploaded[3]
    assert sum(r[1] == "录音录像" for r in listed[1:]) == kinds.count("recording")
    assert any("（由第" in r[2] for r in listed[1:] if r[1] == "缩略图")  # a thumbnail names its source
    from pypdf import PdfReader
    printed = "".join(p.extract_text() for p in PdfReader(bag / "data/evidence-list.pdf").pages)
    assert "证据目录" in printed and room.case["number"] in printed
    assert index["evidence_list"] == {"csv": "data/evidence-list.csv", "pdf": "data/evidence-list.pdf"}

    # Exporting is itself in the case's custody history, which the legal page shows.
    history = await api.ok("GET", f"/api/cases/{case_id}/custody", headers=legal)
    assert history["ok"] and history["events"][-1]["action"] == "exported"
    assert (await api.call("GET", f"/api/cases/{case_id}/custody", headers=outsider))[0] == 404

    segment = Path(index["recordings"][0]["segments"][1]["path"])
    record = next(i["path"] for i in index["items"] if i["kind"] == "record")
    upload_path = next(i["path"] for i in index["items"] if i["id"] == upload["id"])
    tampers: list[tuple[str, Callable[[Path], None], str]] = [
        ("a byte of a segment", lambda b: _flip(b / segment), str(segment)),
        ("a byte of an upload", lambda b: _flip(b / upload_path), upload_path),
        ("the record", lambda b: _flip(b / record), record),
        ("the custody log", lambda b: _edit(b / "data/custody/events.jsonl", '"record_confirmed"',
                                            '"record_refused"'), "(record_refused): its hash does not match"),
        ("a deleted segment", lambda b: (b / segment).unlink(), f"{segment}: listed in manifest-sha256.txt but missing"),
        ("an added file", lambda b: (b / "data/extra.txt").write_text("hello"), "data/extra.txt: a file that"),
        ("an added root file", lambda b: (b / "notes.txt").write_text("hi"), "notes.txt: a file that"),
        ("reordered custody events", _reorder_custody, "out of place"),
        ("a segment, manifests regenerated", lambda b: (_flip(b / segment), _rebag(b)),
         "tagmanifest-sha256.txt.sig: the signature"),
        ("a segment, manifests regenerated", lambda b: (_flip(b / segment), _rebag(b)),
         f"{segment}: its bytes are not the segment its chain names"),
    ]
    for what, tamper, named in tampers:
        copy = tmp_path / f"t-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(bag, copy)
        tamper(copy)
        report = verify(copy, pem.read_bytes())
        assert not report.ok and any(named in p for p in report.lines()), (what, report.problems)

    # A swapped public key: the bundle re-signed by someone else. With the trusted key the
    # signer is named; with only the bundle's own key, the seals and statements it cannot
    # have made give it away.
    copy = tmp_path / "swapped"
    shutil.copytree(bag, copy)
    _flip(copy / record)
    forger = Ed25519PrivateKey.generate()
    (copy / "data/public-key.pem").write_bytes(forger.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    _rebag(copy)
    (copy / "tagmanifest-sha256.txt.sig").write_bytes(forger.sign((copy / "tagmanifest-sha256.txt").read_bytes()))
    trusted = verify(copy, pem.read_bytes())
    assert any("not the public key given" in p for p in trusted.lines()), trusted.problems
    own = verify(copy)
    assert any("seal's signature does not verify" in p for p in own.lines()), own.problems
    assert any("checkpoint" in p and "signature" in p for p in own.lines()), own.problems

    # The command line: one line per discrepancy, exit 1.
    shutil.make_archive(str(tmp_path / "bad"), "zip", root_dir=tmp_path, base_dir="swapped")
    done = run(["verify", str(tmp_path / "bad.zip"), "--public-key", str(pem)], offline)
    assert done.returncode == 1 and "not the public key given" in done.stdout, done
    assert len(done.stdout.splitlines()) == len(trusted.problems)


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _reorder_custody(bag: Path) -> None:
    path = bag / "data/custody/events.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines))


def _rebag(bag: Path) -> None:
    """What a forger with bagit.py would do: recompute every manifest."""
    import bagit

    bagit.Bag(str(bag)).save(manifests=True)
