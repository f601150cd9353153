"""Every verifier names a discrepancy by kind as well as in words: a tamper of each kind,
made by hand on a small bundle (written and signed by the real writer) or on a chain,
is reported with that kind, and with the words `zeromeet verify` has always printed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence import bundle as bag
from evidence import chain, chat, confirmation, custody
from evidence.discrepancy import Discrepancy, Kind
from evidence.segment import SegmentClosed
from evidence.verify import Report, verify

pytestmark = pytest.mark.unit

KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo)
CASE, IDS = "case-1", ("rec-1", "int-1", "party-1", "audio")
UPLOAD, UPLOAD_PATH = b"%PDF-1.4 payslip " * 64, "data/objects/up-1.pdf"
MANIFEST_PATH = "data/objects/rec-1.json"
SEGMENTS = {seq: bytes([seq]) * (500 + seq) for seq in (1, 2)}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _segment_path(seq: int) -> str:
    return f"data/objects/seg-{seq}.webm"


def _manifest(*, swap: bool = False, seal: dict[str, Any] | None = None) -> bytes:
    """A two-segment recording, chained and sealed; `swap` lists its segments reordered."""
    entries, head = [], chain.genesis(*IDS)
    for seq, data in SEGMENTS.items():
        stored = SegmentClosed(
            path=Path(f"seg-{seq}.webm"), sha256=_sha(data), size=len(data), frames=1,
            first_arrival_us=seq * 1_000, last_arrival_us=seq * 1_000 + 500, rtp_first=seq * 960,
            rtp_last=seq * 960 + 480, start_ms=seq * 20, end_ms=seq * 20 + 20, gap=False,
            codec="opus").chained(seq, head)
        head = stored.link
        entries.append(stored.manifest_entry(f"objects/seg-{seq}.webm"))
    sealed = chain.Seal(recording_id="rec-1", head=head, segments=len(entries), sealed_at_us=9_000,
                        status="ended").signed(KEY)
    return json.dumps({
        "recording": {"id": "rec-1", "interview_id": "int-1", "kind": "audio",
                      "participant": {"id": "party-1", "name": "王芳"}},
        "segments": entries[::-1] if swap else entries,
        "seal": {**asdict(sealed), "algorithm": "Ed25519", **(seal or {})},
    }).encode()


def _custody(extra: int = 0) -> tuple[bytes, bytes]:
    """The custody log (two events, signed at the second) and its checkpoints; `extra`
    events appended after the checkpoint."""
    events, prev = [], custody.genesis(CASE)
    for seq, action in enumerate(("stored", "exported", *["viewed"] * extra), start=1):
        events.append(custody.make_event(case_id=CASE, seq=seq, at=f"2025-01-0{seq}T00:00:00Z",
                                         action=action, actor={"kind": "server"}, item_id=None,
                                         detail={}, prev=prev))
        prev = events[-1]["hash"]
    point = custody.sign_checkpoint(KEY, case_id=CASE, seq=2, head=events[1]["hash"],
                                    at="2025-01-03T00:00:00Z")
    return "".join(json.dumps(e) + "\n" for e in events).encode(), json.dumps([point]).encode()


def _bundle(folder: Path, *, manifest: bytes | None = None, extra: int = 0,
            recording_id: str = "rec-1") -> Path:
    """A bundle written and signed by the real writer, its index naming each file by its
    own hash (so a change made here is not also an altered item), extracted to a folder."""
    manifest = _manifest() if manifest is None else manifest
    events, points = _custody(extra)
    index = {
        "format": bag.FORMAT, "case": {"id": CASE, "number": "C-1"},
        "items": [{"id": "up-1", "kind": "upload", "path": UPLOAD_PATH, "sha256": _sha(UPLOAD)},
                  {"id": "rec-item", "kind": "recording", "path": MANIFEST_PATH, "sha256": _sha(manifest)}],
        "recordings": [{"id": recording_id, "manifest": MANIFEST_PATH, "participant": "王芳",
                        "kind": "audio",
                        "segments": [{"seq": seq, "path": _segment_path(seq), "sha256": _sha(data)}
                                     for seq, data in SEGMENTS.items()]}],
    }
    writer = bag.BagWriter("C-1")
    files = {UPLOAD_PATH: UPLOAD, MANIFEST_PATH: manifest, bag.CUSTODY_EVENTS: events,
             bag.CUSTODY_CHECKPOINTS: points, bag.PUBLIC_KEY: PEM,
             **{_segment_path(seq): data for seq, data in SEGMENTS.items()},
             bag.INDEX: json.dumps(index, ensure_ascii=False).encode()}
    for name, data in files.items():
        writer.add(name, data)
    writer.finish(KEY, {"External-Identifier": "C-1"})
    zipped = folder.with_suffix(".zip")
    zipped.write_bytes(writer.take())
    with zipfile.ZipFile(zipped) as z:
        z.extractall(folder)
    return folder / "C-1"


def _found(report: Report) -> dict[str, Kind]:
    return {str(d): d.kind for d in report.problems}


def test_the_untouched_bundle_verifies(tmp_path: Path) -> None:
    report = verify(_bundle(tmp_path / "b"), PEM)
    assert report.ok, report.problems


def test_altered_bytes_are_altered(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b")
    (root / UPLOAD_PATH).write_bytes(UPLOAD.replace(b"payslip", b"paysl1p", 1))
    assert _found(verify(root, PEM)) == {
        f"{UPLOAD_PATH}: its SHA-256 does not match manifest-sha256.txt (altered)": Kind.ALTERED,
        f"{UPLOAD_PATH}: its bytes are not those hashed on arrival (upload item up-1)": Kind.ALTERED,
    }


def test_a_removed_file_is_missing(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b")
    (root / _segment_path(2)).unlink()
    found = _found(verify(root, PEM))
    assert found == {
        f"{_segment_path(2)}: listed in manifest-sha256.txt but missing": Kind.MISSING,
        f"{_segment_path(2)}: missing (recording rec-1 (王芳, audio), segment 2)": Kind.MISSING,
        "bag-info.txt: Payload-Oxum does not match the payload": Kind.DIFFERS,  # its size is gone
    }


def test_an_added_file_is_unexpected(tmp_path: Path) -> None:
    root = _bundle(tmp_path / "b")
    (root / "data/objects/planted.pdf").write_bytes(b"%PDF-1.4 another ledger")
    assert _found(verify(root, PEM)) == {
        "data/objects/planted.pdf: a file that manifest-sha256.txt does not list": Kind.UNEXPECTED}


def test_a_reordered_chain_is_a_chain_discrepancy(tmp_path: Path) -> None:
    found = verify(_bundle(tmp_path / "b", manifest=_manifest(swap=True)), PEM).problems
    assert found and {d.kind for d in found} == {Kind.CHAIN}, found
    assert str(found[0]) == ("recording rec-1 (王芳, audio): segment 1: sequence number 2 is out of "
                             "place (a segment is missing or reordered)")
    assert found[0].where == "recording rec-1 (王芳, audio): segment 1"


def test_a_forged_seal_and_another_signer_are_signature_discrepancies(tmp_path: Path) -> None:
    other = Ed25519PrivateKey.generate()
    forged = _manifest(seal={"signature": other.sign(b"anything").hex()})
    assert _found(verify(_bundle(tmp_path / "b", manifest=forged), PEM)) == {
        "recording rec-1 (王芳, audio): the seal's signature does not verify with the public key":
            Kind.SIGNATURE}
    trusted = other.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    found = verify(_bundle(tmp_path / "c"), trusted).problems
    assert found and {d.kind for d in found} == {Kind.SIGNATURE}, found
    assert f"{bag.PUBLIC_KEY}: not the public key given (the bundle names another signer)" in map(str, found)


def test_a_manifest_that_is_no_json_is_malformed(tmp_path: Path) -> None:
    assert _found(verify(_bundle(tmp_path / "b", manifest=b"{not json"), PEM)) == {
        f"{MANIFEST_PATH}: not readable JSON": Kind.MALFORMED}


def test_index_and_manifest_that_disagree_differ(tmp_path: Path) -> None:
    found = _found(verify(_bundle(tmp_path / "b", recording_id="rec-9"), PEM))
    assert found["recording rec-9 (王芳, audio): its manifest is for another recording"] is Kind.DIFFERS


def test_events_after_the_last_checkpoint_are_unsealed(tmp_path: Path) -> None:
    assert _found(verify(_bundle(tmp_path / "b", extra=1), PEM)) == {
        f"{bag.CUSTODY_EVENTS}: events 3–3 come after the last signed checkpoint (added after export?)":
            Kind.UNSEALED}


def test_the_checks_themselves_name_kinds() -> None:
    """Each check the verifiers share, on its own input."""
    events = [custody.make_event(case_id="c", seq=seq, at="t", action="stored", actor={}, item_id=None,
                                 detail={}, prev=custody.genesis("c")) for seq in (1, 2)]
    assert [(d.kind, str(d)) for d in custody.check_log("c", events, [], None)] == [
        (Kind.CHAIN, "custody event 2: does not follow the event before it (broken link)")]
    assert [d.kind for d in custody.check_log("c", [{**events[0], "action": "viewed"}], [], None)] == [
        Kind.ALTERED]
    assert [d.kind for d in chat.check("int-1", b"{}")] == [Kind.MALFORMED, Kind.MALFORMED]
    assert [d.kind for d in chain.check_chain(*IDS, [], None, None)] == [Kind.UNSEALED]
    stated = {"decision": "confirmed", "record_sha256": "r", "text_sha256": "t", "signature_sha256": "s"}
    assert [(d.kind, str(d)) for d in confirmation.check(
        stated, "00", KEY.public_key(), record_sha256="r", text_sha256="x", signature_png=None)] == [
        (Kind.SIGNATURE, "the server's signature over the statement does not verify"),
        (Kind.DIFFERS, "the text it binds is not the text of the stored version"),
        (Kind.MISSING, "its signature image is missing")]


def test_a_discrepancy_reads_as_it_always_did() -> None:
    d = Discrepancy(Kind.CHAIN, "segment 2", "chain link does not match its contents and predecessor")
    assert str(d) == "segment 2: chain link does not match its contents and predecessor"
    assert str(d.within("recording rec-1")) == f"recording rec-1: {d}"
    assert d.within("recording rec-1").where == "recording rec-1: segment 2"
    assert str(Discrepancy(Kind.UNSEALED, "", "the recording is not sealed")) == "the recording is not sealed"
    assert str(Discrepancy(Kind.UNSEALED, "", "not sealed").within("x")) == "x: not sealed"
    assert str(d.noting("complaint 7")) == f"{d} (complaint 7)"
    assert d.within("") is d
    assert d.as_dict() == {"kind": "chain", "where": "segment 2",
                           "message": "chain link does not match its contents and predecessor"}
    assert json.loads(json.dumps(d.as_dict())) == d.as_dict()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.kind = Kind.ALTERED  # type: ignore[misc]
    assert 1 < len(Kind) <= 10 and all(k == k.value for k in Kind)
    report = Report()
    report.add(Discrepancy(Kind.UNEXPECTED, "data/x\nOK", "gone\x1b[31m"))
    assert report.lines() == ["data/x\\nOK: gone\\x1b[31m"] and not report.ok
    assert report.problems[0].kind is Kind.UNEXPECTED
