"""`zeromeet verify` on hostile or corrupt bundles: a court clerk runs it on whatever file
they were handed, so every kind of damage is a named discrepancy and exit 1, never a
traceback, a hang or a memory blow-up. Pure Python: a small bundle made with the real
writer, then damaged the way each attack would."""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence import bundle as bag
from evidence import chain, custody
from evidence.segment import SegmentClosed
from evidence.sources import INFLATE_RATIO, Unreadable, open_source
from evidence.verify import READ_LIMIT, SIGNATURE_LIMIT, verify
from tests.support.proc import env_for, run

KEY = Ed25519PrivateKey.generate()
PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo)
# An EC key on China's SM2 curve: a real public key that cryptography cannot load.
SM2_PEM = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEYSklp5fa3bdb8WsXdCUfF0yex47o
tVuuZWBnTytBt/NzygcThMz/zWwabvbSxzLNf9ytxBK3NNrPelF1O0PhIg==
-----END PUBLIC KEY-----
"""
CASE = "case-1"
UPLOAD, UPLOAD_PATH = b"%PDF-1.4 payslip " * 64, "data/objects/up-1.pdf"
SEGMENT, SEGMENT_PATH = bytes(range(256)) * 8, "data/objects/seg-1.webm"
MANIFEST_PATH = "data/objects/rec-1.json"


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1).encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(seal: dict[str, Any] | None = None, **segment: Any) -> bytes:
    """A one-segment recording, chained and sealed; `seal` and `segment` override fields."""
    stored = SegmentClosed(
        path=Path("seg-1.webm"), sha256=_sha(SEGMENT), size=len(SEGMENT), frames=1,
        first_arrival_us=1_000, last_arrival_us=2_000, rtp_first=0, rtp_last=960, start_ms=1,
        end_ms=21, gap=False, codec="opus",
    ).chained(1, chain.genesis("rec-1", "int-1", "party-1", "audio"))
    link = stored.link
    sealed = chain.Seal(recording_id="rec-1", head=link, segments=1, sealed_at_us=3_000,
                        status="ended").signed(KEY)
    return _json({
        "recording": {"id": "rec-1", "interview_id": "int-1", "kind": "audio",
                      "participant": {"id": "party-1", "name": "王芳"}},
        "segments": [{**stored.manifest_entry("objects/seg-1.webm"), **segment}],
        "seal": {**asdict(sealed), "algorithm": "Ed25519", **(seal or {})},
    })


def _index(**fields: Any) -> bytes:
    return _json({
        "format": bag.FORMAT, "case": {"id": CASE, "number": "C-1"},
        "items": [{"id": "up-1", "kind": "upload", "path": UPLOAD_PATH, "sha256": _sha(UPLOAD)},
                  {"id": "rec-item", "kind": "recording", "path": MANIFEST_PATH,
                   "sha256": _sha(_manifest())}],
        "recordings": [{"id": "rec-1", "manifest": MANIFEST_PATH, "participant": "王芳", "kind": "audio",
                        "segments": [{"seq": 1, "path": SEGMENT_PATH, "sha256": _sha(SEGMENT)}]}],
        **fields,
    })


def _events() -> list[dict[str, Any]]:
    events, prev = [], custody.genesis(CASE)
    for seq, action in enumerate(("stored", "exported"), start=1):
        events.append(custody.make_event(case_id=CASE, seq=seq, at=f"2025-01-0{seq}T00:00:00Z",
                                         action=action, actor={"kind": "server"}, item_id=None,
                                         detail={}, prev=prev))
        prev = events[-1]["hash"]
    return events


def _checkpoints(**fields: Any) -> bytes:
    head = _events()[-1]["hash"]
    point = custody.sign_checkpoint(KEY, case_id=CASE, seq=2, head=head, at="2025-01-03T00:00:00Z")
    return _json([{**point, **fields}])


def _bundle(path: Path, changes: dict[str, bytes] | None = None) -> Path:
    """A bundle written and signed by the real writer, so its manifests and signature
    hold; `changes` replace files by path."""
    changes = changes or {}
    files = {
        UPLOAD_PATH: UPLOAD, MANIFEST_PATH: _manifest(),
        bag.CUSTODY_EVENTS: "".join(json.dumps(e) + "\n" for e in _events()).encode(),
        bag.CUSTODY_CHECKPOINTS: _checkpoints(), bag.PUBLIC_KEY: PEM, bag.INDEX: _index(),
    }
    files.update(changes)
    writer = bag.BagWriter("C-1")
    member = writer.open(SEGMENT_PATH, len(SEGMENT))
    member.write(changes.get(SEGMENT_PATH, SEGMENT))
    member.close()
    for name, data in files.items():
        if name != SEGMENT_PATH:
            writer.add(name, data)
    writer.finish(KEY, {"External-Identifier": "C-1"})
    path.write_bytes(writer.take())
    return path


class _Appender:
    """A file zipfile can only append to (as the bundle writer's sink): whatever is
    written into it between members stays there, and the offsets count it."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def tell(self) -> int:
        return len(self.data)

    def flush(self) -> None:
        pass


def _rezip(source: Path, dest: Path, *, compression: int = zipfile.ZIP_STORED,
           junk_before: str = "", bzip2: str = "", swap: dict[str, bytes] | None = None,
           tweak: Callable[[zipfile.ZipInfo], None] | None = None) -> Path:
    """The same members in a new zip: deflated, with junk before one member, one member
    in bzip2, members swapped for other bytes (by path in the bag), or with `tweak`
    applied to each member's central directory entry."""
    out, swap = _Appender(), swap or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:  # type: ignore[arg-type]
        for info in old.infolist():
            if junk_before and info.filename.endswith(junk_before):
                out.write(b"hidden " * 100)
            method = zipfile.ZIP_BZIP2 if bzip2 and info.filename.endswith(bzip2) else compression
            data = swap.get(info.filename.removeprefix("C-1/")) or old.read(info)
            new.writestr(info.filename, data, compress_type=method)
        if tweak is not None:
            for info in new.infolist():
                tweak(info)
    dest.write_bytes(bytes(out.data))
    return dest


def _overlapping(source: Path, dest: Path, names: list[str], zeros: int) -> Path:
    """`source` with David Fifield's "overlapping files" zip bomb added: each of `names` a
    deflated member whose data runs on, through stored blocks that quote the local headers
    of the members after it, into one kernel that inflates to `zeros` zero bytes. Each
    member inflates to the whole kernel: work members × kernel from one kernel's bytes.
    (The CRCs are left 0; zipfile checks them only once a member is inflated whole.)"""
    squeeze, megabyte = zlib.compressobj(9, zlib.DEFLATED, -15), bytes(1 << 20)
    kernel = b"".join(squeeze.compress(megabyte) for _ in range(zeros >> 20)) + squeeze.flush()
    infos = [zipfile.ZipInfo(f"C-1/{name}", date_time=(2025, 1, 1, 0, 0, 0)) for name in names]
    for info in infos:
        info.compress_type, info.CRC = zipfile.ZIP_DEFLATED, 0
    headers = [info.FileHeader() for info in infos]
    out = _Appender()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:  # type: ignore[arg-type]
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        for number, (info, header) in enumerate(zip(infos, headers, strict=True)):
            info.header_offset = out.tell()
            out.write(header)
            if number + 1 < len(headers):  # a stored block (not the last) quoting the next header
                quoted = len(headers[number + 1])
                out.write(b"\x00" + struct.pack("<HH", quoted, quoted ^ 0xFFFF))
        out.write(kernel)
        for number, (info, header) in enumerate(zip(infos, headers, strict=True)):
            info.compress_size = out.tell() - info.header_offset - len(header)
            info.file_size = sum(len(h) for h in headers[number + 1:]) + zeros
            new.filelist.append(info)
            new.NameToInfo[info.filename] = info
        new.start_dir = out.tell()
    dest.write_bytes(bytes(out.data))
    return dest


class _Runaway(BaseException):
    """Inflation past what a test allows: a BaseException, so that the verifier's
    catch-alls (which name any error as a discrepancy) let it through and fail the test."""


class _Meter:
    """Counts the bytes zipfile's decompressors give out, and stops a runaway verifier."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, stop: int) -> None:
        self.inflated, self.stop = 0, stop
        # zipfile's private factory is the one place every member's inflating goes through
        make = zipfile._get_decompressor  # type: ignore[attr-defined]
        monkeypatch.setattr(zipfile, "_get_decompressor", lambda method: _Counted(make(method), self))

    def add(self, data: bytes) -> bytes:
        self.inflated += len(data)
        if self.inflated > self.stop:
            raise _Runaway(f"inflated {self.inflated} bytes, more than the {self.stop} allowed")
        return data


class _Counted:
    def __init__(self, inner: Any, meter: _Meter) -> None:
        self._inner, self._meter = inner, meter

    def decompress(self, data: bytes, *limit: int) -> bytes:
        return self._meter.add(self._inner.decompress(data, *limit))

    def flush(self, *length: int) -> bytes:
        return self._meter.add(self._inner.flush(*length))

    def __getattr__(self, name: str) -> Any:  # eof, unconsumed_tail
        return getattr(self._inner, name)


def _flip_data(path: Path, member: str) -> None:
    """Flip a byte in the middle of one member's (compressed) data, not its headers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(f"C-1/{member}")
    lengths = data[info.header_offset + 26:info.header_offset + 30]  # of the name and the extra field
    start = info.header_offset + 30 + sum(struct.unpack("<HH", lengths))
    data[start + info.compress_size // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _extract(zipped: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zipped) as z:
        z.extractall(folder)
    return folder / "C-1"


def _named(report: Any, text: str) -> bool:
    return not report.ok and any(text in p for p in report.lines())


def test_a_good_bundle_verifies_as_a_zip_a_folder_and_on_the_command_line(tmp_path: Path) -> None:
    zipped = _bundle(tmp_path / "b.zip")
    report = verify(zipped, PEM)
    assert report.ok, report.problems
    assert report.counts == {"files": 7, "items": 2, "recordings": 1, "segments": 1,
                             "confirmations": 0, "custody events": 2}
    assert verify(_extract(zipped, tmp_path / "x")).ok
    assert verify(_rezip(zipped, tmp_path / "deflated.zip", compression=zipfile.ZIP_DEFLATED)).ok
    (tmp_path / "key.pem").write_bytes(PEM)
    done = run(["verify", str(zipped), "--public-key", str(tmp_path / "key.pem")], env_for(tmp_path / "d"))
    assert done.returncode == 0 and done.stdout.startswith("OK C-1: 7 files"), done


@pytest.mark.parametrize(("damage", "named"), [
    ("crc", f"{UPLOAD_PATH}: cannot be read from the zip (BadZipFile: Bad CRC-32"),
    ("deflate", f"{MANIFEST_PATH}: cannot be read from the zip ("),
    ("encrypted", f"{UPLOAD_PATH}: cannot be read from the zip (RuntimeError: "),
    ("method", f"{SEGMENT_PATH}: cannot be read from the zip (NotImplementedError: "),
    ("bzip2", f"{SEGMENT_PATH}: compressed with bzip2, which zipfile inflates without a bound"),
], ids=["crc", "deflate", "encrypted", "method", "bzip2"])
def test_a_member_that_cannot_be_read_is_named_and_the_others_are_still_checked(
        tmp_path: Path, damage: str, named: str) -> None:
    zipped = _bundle(tmp_path / "b.zip", {bag.CUSTODY_CHECKPOINTS: _checkpoints(case_id="other")})
    if damage == "crc":
        _flip_data(zipped, UPLOAD_PATH)
    elif damage == "deflate":
        zipped = _rezip(zipped, tmp_path / "d.zip", compression=zipfile.ZIP_DEFLATED)
        _flip_data(zipped, MANIFEST_PATH)
    elif damage == "bzip2":  # zipfile inflates bzip2 without bound: 200 bytes can be a gigabyte
        zipped = _rezip(zipped, tmp_path / "z.zip", bzip2=SEGMENT_PATH)
    else:
        def tweak(info: zipfile.ZipInfo) -> None:
            if damage == "encrypted" and info.filename.endswith(UPLOAD_PATH):
                info.flag_bits |= 0x01
            if damage == "method" and info.filename.endswith(SEGMENT_PATH):
                info.compress_type = 99
        zipped = _rezip(zipped, tmp_path / "t.zip", tweak=tweak)
    report = verify(zipped, PEM)
    assert _named(report, named), report.problems
    assert sum(named.split(":")[0] in p for p in report.lines()) == 1, report.problems  # once, not per check
    assert _named(report, "custody checkpoint at event 2: belongs to another case"), report.problems


@pytest.mark.parametrize(("changes", "named"), [
    ({bag.INDEX: _index(case="C-1")}, f'{bag.INDEX}: "case" is not an object'),
    ({bag.INDEX: _index(recordings=["x"])}, f'{bag.INDEX}: "recordings" entry 1 is not an object'),
    ({bag.INDEX: _index(items=[1, "x"])}, f'{bag.INDEX}: "items" entry 2 is not an object'),
    ({bag.INDEX: _index(export_problems={"path": "x"})}, f'{bag.INDEX}: "export_problems" is not a list'),
    ({bag.INDEX: b"[" * 100_000 + b"]" * 100_000}, f"{bag.INDEX}: not readable JSON"),
    ({bag.INDEX: b"[]"}, f"{bag.INDEX}: its content is not an object"),
    ({MANIFEST_PATH: b"null"}, f"{MANIFEST_PATH}: its content is null"),
    ({bag.CUSTODY_CHECKPOINTS: _checkpoints(seq="2")},
     "custody checkpoint 1: its sequence number '2' is not a whole number"),
    ({bag.CUSTODY_CHECKPOINTS: _checkpoints(seq=[2])},
     "custody checkpoint 1: its sequence number [2] is not a whole number"),
    ({bag.CUSTODY_CHECKPOINTS: b'{"seq": 2}'}, f"{bag.CUSTODY_CHECKPOINTS}: its content is not a list"),
    ({MANIFEST_PATH: _manifest(seal={"head": None})}, "the seal's signature does not verify"),
    ({MANIFEST_PATH: _manifest(seq=2**70)}, "segment 1: unreadable chain entry"),
    ({bag.PUBLIC_KEY: SM2_PEM}, "public key: not an Ed25519 key"),
], ids=["case-text", "recording-text", "item-text", "export-problems-object", "deep-nesting",
        "index-list", "manifest-null",
        "checkpoint-seq-text", "checkpoint-seq-list", "checkpoints-object", "seal-head-null",
        "segment-seq-huge", "sm2-key-inside"])
def test_malformed_content_is_a_named_discrepancy(tmp_path: Path, changes: dict[str, bytes],
                                                   named: str) -> None:
    report = verify(_bundle(tmp_path / "b.zip", changes))
    assert _named(report, named), report.problems


def test_a_public_key_of_another_algorithm_is_named_wherever_it_comes_from(tmp_path: Path) -> None:
    good = _bundle(tmp_path / "b.zip")
    assert _named(verify(good, SM2_PEM), "public key: not an Ed25519 key")
    swapped = _bundle(tmp_path / "s.zip", {bag.PUBLIC_KEY: SM2_PEM})
    assert _named(verify(swapped, PEM), f"{bag.PUBLIC_KEY}: not the public key given")


def test_a_key_file_that_is_no_key_file_is_a_usage_error_not_a_hang(tmp_path: Path) -> None:
    good = _bundle(tmp_path / "b.zip")
    fifo, huge = tmp_path / "key.fifo", tmp_path / "huge.pem"
    os.mkfifo(fifo)
    huge.write_bytes(b"A" * (1 << 20))
    for key, said in ((fifo, "not a regular file"), (huge, "far too large")):
        done = run(["verify", str(good), "--public-key", str(key)], env_for(tmp_path / "d"), timeout=30)
        assert done.returncode == 2 and said in done.stderr, done


@pytest.mark.parametrize(("build", "named"), [
    ("prefix", "the zip has {n} bytes before its first file (another archive may be hidden there)"),
    ("between", "the zip has 700 bytes between C-1/data/public-key.pem and C-1/data/index.json"),
    ("after", "the zip has 700 bytes after its end (another archive may be hidden there)"),
], ids=["prefix", "between", "after"])
def test_bytes_that_belong_to_no_file_of_the_zip_are_named(tmp_path: Path, build: str, named: str) -> None:
    good = _bundle(tmp_path / "b.zip")
    hidden = io.BytesIO()
    with zipfile.ZipFile(hidden, "w") as z:
        z.writestr("confession.txt", "the real ledger")
    evil = tmp_path / "evil.zip"
    if build == "prefix":
        evil.write_bytes(hidden.getvalue() + good.read_bytes())
        named = named.format(n=len(hidden.getvalue()))
    elif build == "between":
        _rezip(good, evil, junk_before=bag.INDEX)
    else:
        evil.write_bytes(good.read_bytes() + b"hidden " * 100)
    assert _named(verify(evil, PEM), named)
    if build == "prefix":
        done = run(["verify", str(evil)], env_for(tmp_path / "d"))
        assert done.returncode == 1 and named in done.stdout and "Traceback" not in done.stderr, done


def test_a_small_zip_that_inflates_to_gigabytes_is_not_read_whole(tmp_path: Path) -> None:
    bomb = b"\n" * (32 << 20)
    zipped = _rezip(_bundle(tmp_path / "b.zip", {bag.PUBLIC_KEY: bomb}), tmp_path / "bomb.zip",
                    compression=zipfile.ZIP_DEFLATED)
    assert zipped.stat().st_size < 200_000
    tracemalloc.start()
    try:
        report = verify(zipped)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert _named(report, f"{bag.PUBLIC_KEY}: {len(bomb)} bytes, more than the 65536 it may have; not read")
    assert peak < 8 << 20, peak
    index = b"{}" + b" " * READ_LIMIT
    zipped = _bundle(tmp_path / "big.zip", {bag.INDEX: index})
    assert _named(verify(zipped), f"{bag.INDEX}: {len(index)} bytes, more than the {READ_LIMIT} it may have")


@pytest.mark.timeout(120)
def test_members_that_overlap_one_deflate_stream_are_named_and_never_inflated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """30 directory entries over one 256 MiB stream of zeros (~250 KB deflated): read as
    zipfile reads them, 7.5 GiB of inflating; none of it may happen."""
    names, zeros = [f"data/objects/bomb-{n}" for n in range(30)], 256 << 20
    items = [{"id": name, "kind": "upload", "path": name, "sha256": "0" * 64} for name in names]
    good = _bundle(tmp_path / "b.zip", {bag.INDEX: _index(items=items)})
    bomb = _overlapping(good, tmp_path / "bomb.zip", names, zeros)
    assert bomb.stat().st_size < 600_000
    meter = _Meter(monkeypatch, stop=2 * zeros)
    report = verify(bomb, PEM)
    assert meter.inflated < 1 << 20, meter.inflated  # not one member × stream, let alone 30
    for name in names[1:]:
        assert _named(report, f"C-1/{name}: overlaps C-1/{names[0]} in the zip (the layout of a zip bomb)")
    for name in names:
        assert f"{name}: shares its bytes with another part of the zip; not read" in report.lines()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("claim", "named"), [
    ("index", f"{UPLOAD_PATH}: more than the {len(UPLOAD)} bytes the index says it has; not read further"),
    ("oxum", f"{UPLOAD_PATH}: more than the {len(UPLOAD) + len(PEM)} bytes left of the "
             "{oxum} that Payload-Oxum gives the payload; not read further"),
], ids=["index-size", "payload-oxum"])
def test_a_member_that_inflates_past_its_claimed_size_is_stopped_there_and_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, claim: str, named: str) -> None:
    """The zip's own entry gives the true 32 MiB (so zipfile would inflate it all); the
    index, or bag-info's Payload-Oxum, says the upload is its usual kilobyte."""
    bomb, honest = bytes(32 << 20), _bundle(tmp_path / "honest.zip")
    with zipfile.ZipFile(honest) as z:
        bag_info = z.read("C-1/bag-info.txt")
    oxum = int(bag_info.split(b"Payload-Oxum: ")[1].split(b".")[0])
    sized = json.loads(_index())
    sized["items"][0]["size"] = len(UPLOAD)
    changes = {UPLOAD_PATH: bomb, **({bag.INDEX: _json(sized)} if claim == "index" else {})}
    swap = {"bag-info.txt": bag_info} if claim == "oxum" else {}
    zipped = _rezip(_bundle(tmp_path / "b.zip", changes), tmp_path / "d.zip",
                    compression=zipfile.ZIP_DEFLATED, swap=swap)
    meter = _Meter(monkeypatch, stop=8 << 20)
    report = verify(zipped, PEM)
    assert meter.inflated < oxum + (2 << 20), meter.inflated  # the claim, a chunk, the other files
    assert named.format(oxum=oxum) in report.lines(), report.problems


def _named_over_and_over(kind: str) -> tuple[dict[str, bytes], str, str]:
    """A bundle's changes that name one 32 MiB file (JSON, then spaces, which deflate to
    ~32 KB) 200 times, as `kind`; the file's path, and what the check must say of it."""
    spaces, times = b" " * (32 << 20), 200
    index = json.loads(_index())
    if kind == "recording":
        big = _manifest() + spaces
        index["items"][1]["sha256"] = _sha(big)
        index["recordings"] += [{**index["recordings"][0], "id": f"rec-{n}"} for n in range(2, times + 1)]
        named = f"recording rec-{times}: its manifest {MANIFEST_PATH} is also recording rec-1's; not checked again"
        return {MANIFEST_PATH: big, bag.INDEX: _json(index)}, MANIFEST_PATH, named
    path = f"data/objects/{kind}.json"
    if kind == "signature":  # 200 confirmations, each its own file, naming one signature image
        big = bytes(32 << 20)
        digest = _sha(big)  # once: 200 hashes of 32 MiB cost this test seconds
        index["items"].append({"id": "sig", "kind": "signature", "path": path, "sha256": digest})
        changes = {path: big}
        for n in range(times):
            doc = _json({"statement": {"decision": "confirmed", "signature_sha256": digest, "n": n}})
            changes[f"data/objects/c-{n}.json"] = doc
            index["items"].append({"id": f"c-{n}", "kind": "confirmation", "path": f"data/objects/c-{n}.json",
                                   "sha256": _sha(doc)})
        return ({**changes, bag.INDEX: _json(index)}, path,
                f"{path}: {len(big)} bytes, more than the {SIGNATURE_LIMIT} it may have; not read")
    big = _json({"statement": {}, "server_signature": ""} if kind == "confirmation" else {"turns": []}) + spaces
    digest = _sha(big)
    index["items"] += [{"id": f"{kind}-{n}", "kind": kind, "path": path, "sha256": digest}
                       for n in range(times)]
    return ({path: big, bag.INDEX: _json(index)}, path,
            f"{path}: named by {times} items of the index (each file is one item); checked once")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", ["recording", "record", "confirmation", "signature"])
def test_a_file_the_index_names_over_and_over_is_inflated_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """A zip of 40 KB (110 with 200 confirmations) whose index names one 32 MiB deflated
    file 200 times, as the manifest of 200 recordings, 200 record versions or confirmations,
    or the signature image of 200 confirmations: read per entry, 6 GiB of inflating and a
    minute of work; read once, 32 MiB."""
    changes, path, named = _named_over_and_over(kind)
    zipped = _rezip(_bundle(tmp_path / "b.zip", changes), tmp_path / "d.zip", compression=zipfile.ZIP_DEFLATED)
    assert zipped.stat().st_size < 150_000
    meter = _Meter(monkeypatch, stop=3 * (32 << 20))
    report = verify(zipped, PEM)
    assert meter.inflated < (32 << 20) + (2 << 20), meter.inflated  # the file once, and the others
    assert named in report.lines(), report.problems
    assert len(set(report.problems)) == len(report.problems), report.problems  # each checked once
    if kind == "recording":  # each later recording is named, not checked
        assert sum(path in p for p in report.lines()) == 199, report.problems


def test_no_reading_of_a_zip_gives_out_more_than_its_inflate_budget(tmp_path: Path) -> None:
    """However its reader is led to read, a zip gives out at most INFLATE_RATIO times its
    size: more than deflate gives when each member is read once, and no more."""
    zipped = tmp_path / "z.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bagit.txt", b"")
        z.writestr("data/zeros", bytes(32 << 20))  # deflate's best: ~1030 to 1
    source = open_source(zipped)
    assert 32 << 20 < INFLATE_RATIO * zipped.stat().st_size < 64 << 20
    assert len(source.read("data/zeros", READ_LIMIT)) == 32 << 20
    with pytest.raises(Unreadable, match=f"given out {INFLATE_RATIO * zipped.stat().st_size} bytes, "
                                         f"{INFLATE_RATIO} times its size"):
        for _ in source.chunks("data/zeros"):
            pass


def test_a_member_that_inflates_past_its_zip_entry_is_cut_there_and_fails_its_crc(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """zipfile's own bound, which the claims above add to: it inflates no further than the
    size the directory entry gives, and the CRC of what it got then fails."""
    def shrink(info: zipfile.ZipInfo) -> None:
        if info.filename.endswith(UPLOAD_PATH):
            info.file_size = 4096

    zipped = _rezip(_bundle(tmp_path / "b.zip", {UPLOAD_PATH: bytes(32 << 20)}), tmp_path / "d.zip",
                    compression=zipfile.ZIP_DEFLATED, tweak=shrink)
    meter = _Meter(monkeypatch, stop=8 << 20)
    report = verify(zipped, PEM)
    assert meter.inflated < 2 << 20, meter.inflated  # the entry's size, and one read's worth
    named = f"{UPLOAD_PATH}: cannot be read from the zip (BadZipFile: Bad CRC-32"
    assert _named(report, named), report.problems


def test_a_folder_with_a_fifo_or_symlinks_names_them_and_never_opens_them(tmp_path: Path) -> None:
    folder = _extract(_bundle(tmp_path / "b.zip"), tmp_path / "x")
    (folder / UPLOAD_PATH).unlink()
    (folder / UPLOAD_PATH).symlink_to("/dev/zero")
    os.mkfifo(folder / "data/objects/pipe")
    (folder / "data/outside").symlink_to("/etc/passwd")
    done = run(["verify", str(folder)], env_for(tmp_path / "d"), timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done
    lines = done.stdout.splitlines()
    for named in (f"{UPLOAD_PATH}: a symbolic link, not a file; not followed",
                  "data/objects/pipe: not a regular file (a FIFO, a device or a socket); not opened",
                  "data/outside: a symbolic link, not a file; not followed",
                  f"{UPLOAD_PATH}: listed in manifest-sha256.txt but missing"):
        assert named in lines, lines
    assert verify(folder).lines() == lines


def test_names_from_the_bundle_cannot_forge_output_lines(tmp_path: Path) -> None:
    forged = "data/x\nOK C-1: 7 files\x1b[2K\u202e"
    problems = [{"path": "data/y\r\nOK", "problem": "gone\x1b[31m"}]
    zipped = _bundle(tmp_path / "b.zip", {bag.INDEX: _index(export_problems=problems)})
    with zipfile.ZipFile(zipped, "a") as z:
        z.writestr(f"C-1/{forged}", b"planted")
    report = verify(zipped, PEM)
    assert _named(report, "data/x\\nOK C-1: 7 files\\x1b[2K\\u202e: a file that manifest-sha256.txt "
                          "does not list")
    assert _named(report, "data/y\\r\\nOK: left out at export: gone\\x1b[31m")
    assert all(p.isprintable() for p in report.lines()), report.problems
    done = run(["verify", str(zipped)], env_for(tmp_path / "d"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done
    assert done.stdout.splitlines() == report.lines() and "\x1b" not in done.stdout


def test_a_check_that_breaks_anyway_is_named_and_the_others_still_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapes are checked where data is read; whatever still slips through (here a chain
    check that raises) becomes one line for its section, not a traceback."""
    def broken(*args: Any) -> list[Any]:
        raise KeyError("link")

    monkeypatch.setattr(chain, "check_chain", broken)
    zipped = _bundle(tmp_path / "b.zip", {bag.CUSTODY_CHECKPOINTS: _checkpoints(case_id="other")})
    report = verify(zipped)
    assert _named(report, "recording rec-1: malformed (KeyError: 'link')"), report.problems
    assert _named(report, "custody checkpoint at event 2: belongs to another case"), report.problems
