"""A recording's playable file in the bundle: one WebM per recording, joined from its
segments without transcoding, in a folder named for its party; decoded by PyAV frame for
frame against its segments, checked by `zeromeet verify` (joined again), and every
tamper with it named. And every segment, as the recorder writes it, says how long it is."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import av
import pytest

from evidence.verify import verify
from media.recorder import TrackRecorder
from server.appkeys import SIGNING_KEY
from server.bundle_playable import recording_name
from server.recording import spool
from tests.support.proc import env_for, run
from tests.support.rooms import Interview
from tests.test_recorder import Sink, feed_video

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_a_segment_says_how_long_it_is_and_so_does_one_recovered_after_a_kill(tmp_path: Path) -> None:
    sink = Sink(tmp_path)
    rec = TrackRecorder("video", sink, request_keyframe=lambda: None)
    feed_video(rec, 3)  # one closed segment of 2 s, one left open (as a kill leaves it)
    closed = sink.closed[0]
    assert hashlib.sha256(closed.path.read_bytes()).hexdigest() == closed.sha256
    assert closed.size == closed.path.stat().st_size
    with av.open(str(closed.path)) as container:
        assert container.duration is not None
        assert container.duration == pytest.approx((closed.end_ms - closed.start_ms) * 1000, abs=1000)
    torn = tmp_path / "open-000002.webm"
    with av.open(str(torn)) as container:
        assert container.duration is None  # still being written: its Duration slot is a Void
    cut = spool.recover_torn(torn, 33)
    assert cut is not None and cut.sha256 == hashlib.sha256(torn.read_bytes()).hexdigest()
    with av.open(str(torn)) as container:
        assert container.duration == pytest.approx((cut.end_ms - cut.start_ms) * 1000, abs=1000)
        assert 0.9e6 < container.duration < 1.1e6


def test_a_recording_name_is_safe_on_any_disk() -> None:
    rid = "1a2b3c4d-0000-4000-8000-000000000000"
    assert recording_name("王芳", "worker", "video", rid) == "王芳-worker-video-1a2b3c4d"
    for hostile in ("../../etc/passwd", "a/b\\c", "x\x00y\n\x1b[2J", "\u202eevil", "%2e%2e", " . ", ""):
        name = recording_name(hostile, "employer", "audio", rid)
        assert re.fullmatch(r"[\w.·]+-employer-audio-1a2b3c4d", name), (hostile, name)
        assert not name.startswith(".") and ".." not in name.split("-")[0]
    assert recording_name("阿依古丽·买买提 Ali", "witness", "audio", rid).startswith("阿依古丽·买买提_Ali-")


async def call(room: Interview, seconds: float) -> list[dict]:
    """An inspector and 张三 (worker) in a call for `seconds`, both sending pre-encoded
    media; the interview is then ended. The recordings, each with its segments."""
    invite = await room.invite("张三")
    inspector = await room.join(room.staff["Authorization"].split()[1], label=1, cheap=True)
    worker = await room.join(invite["token"], label=2, cheap=True)
    await worker.wait_for(lambda c: c.received.get(inspector.you, {}).get("video") is not None)
    await asyncio.sleep(seconds)
    await room.api.ok("POST", f"/api/interviews/{room.id}/end", headers=room.staff)
    detail = await room.api.ok("GET", f"/api/interviews/{room.id}", headers=room.staff)
    return [await room.api.ok("GET", f"/api/recordings/{r['id']}", headers=room.staff)
            for r in detail["recordings"]]


def decoded(data: bytes | Path) -> tuple[int, int | None]:
    """(frames PyAV decodes, the container's duration in µs)."""
    with av.open(io.BytesIO(data) if isinstance(data, bytes) else str(data)) as container:
        return sum(1 for _ in container.decode(container.streams[0])), container.duration


@SQLITE
async def test_each_recording_is_one_playable_file_in_the_bundle_checked_offline(
        room: Interview, tmp_path: Path) -> None:
    recordings = await call(room, 5)
    assert len(recordings) == 4 and all(r["state"] == "sealed" for r in recordings)
    api, staff = room.api, room.staff
    async with api.client.post(f"/api/cases/{room.case['id']}/bundle", headers=staff) as resp:
        assert resp.status == 200, await resp.text()
        zipped = tmp_path / "bundle.zip"
        zipped.write_bytes(await resp.read())
    pem = tmp_path / "key.pem"
    pem.write_text(await api.ok("GET", "/api/keys"))
    with zipfile.ZipFile(zipped) as z:
        root = z.namelist()[0].split("/")[0]
        z.extractall(tmp_path / "x")
    bag = tmp_path / "x" / root
    index = json.loads((bag / "data/index.json").read_text())
    by_id = {r["id"]: r for r in recordings}

    for entry in index["recordings"]:
        rec = by_id[entry["id"]]
        # A folder named for its party, side and kind, holding the manifest, the segments
        # as stored, and the playable file.
        name = f"{rec['participant']['name']}-{rec['participant']['role']}-{rec['kind']}-{rec['id'][:8]}"
        assert entry["name"] == name
        assert entry["manifest"] == f"data/recordings/{name}/manifest.json"
        assert [s["path"] for s in entry["segments"]] == [
            f"data/recordings/{name}/{s['key'].rsplit('/', 1)[1]}" for s in rec["segments"]]
        made = entry["playable"]
        assert made["path"] == f"data/recordings/{name}/{name}.webm"
        assert made["content_type"] == f"{rec['kind']}/webm"
        assert made["made_from"] == [{"seq": s["seq"], "sha256": s["sha256"]} for s in rec["segments"]]
        assert "left_out" not in made
        data = (bag / made["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == made["sha256"] and len(data) == made["size"]
        # Frame for frame the recording's segments, re-muxed: nothing decoded or encoded.
        frames = 0
        for segment, stored in zip(entry["segments"], rec["segments"], strict=True):
            count, duration = decoded(bag / segment["path"])
            frames += count
            assert duration == pytest.approx((stored["end_ms"] - stored["start_ms"]) * 1000, abs=1000)
        count, duration = decoded(data)
        assert count == frames > 0, entry["name"]
        span = rec["segments"][-1]["end_ms"] - rec["segments"][0]["start_ms"]
        assert made["duration_ms"] == span and duration == pytest.approx(span * 1000, abs=1000)

    # The page's "download playable file": the same bytes, named for its party.
    worker_video = next(e for e in index["recordings"] if e["role"] == "worker" and e["kind"] == "video")
    async with api.client.get(f"/api/recordings/{worker_video['id']}/media?download=1", headers=staff) as resp:
        assert resp.status == 200 and resp.content_type == "video/webm"
        assert "filename*=UTF-8''%E5%BC%A0%E4%B8%89-worker-video-" in resp.headers["Content-Disposition"]
        assert await resp.read() == (bag / worker_video["playable"]["path"]).read_bytes()
    history = await api.ok("GET", f"/api/cases/{room.case['id']}/custody", headers=staff)
    assert history["events"][-1]["action"] == "downloaded"
    assert history["events"][-1]["detail"]["playable"] is True

    # The evidence list: each playable file on the line after its recording's.
    listed = list(csv.reader(io.StringIO((bag / "data/evidence-list.csv").read_text(encoding="utf-8-sig"))))
    for entry in index["recordings"]:
        row = next(n for n, r in enumerate(listed) if r[6] == next(
            i["sha256"] for i in index["items"] if i["id"] == entry["item"]))
        assert listed[row + 1][0] == f"{listed[row][0]}-1" and listed[row + 1][1] == "录音录像（可播放文件）"
        assert listed[row + 1][6:] == [entry["playable"]["sha256"], entry["playable"]["path"]]
        assert "未转码" in listed[row + 1][2] and entry["participant"] in listed[row + 1][3]

    # Offline: ours (joined again), BagIt's (the names are UTF-8 paths), the command line.
    report = verify(zipped, pem.read_bytes())
    assert report.ok, report.problems
    assert report.counts["playable files"] == 4 and report.notes == []
    assert verify(bag).ok
    bagit = subprocess.run([sys.executable, "-m", "bagit", "--validate", str(bag)],
                           capture_output=True, text=True)
    assert bagit.returncode == 0, bagit.stderr
    done = run(["verify", str(zipped), "--public-key", str(pem)], env_for(tmp_path / "nowhere"))
    assert done.returncode == 0 and "4 playable files" in done.stdout, done

    key = api.app[SIGNING_KEY]
    playable = worker_video["playable"]["path"]
    first, second = worker_video["segments"][0], worker_video["segments"][1]

    def tampered(change) -> list[str]:  # noqa: ANN001
        copy = tmp_path / f"t-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(bag, copy)
        change(copy)
        return verify(copy, pem.read_bytes()).lines()

    # A byte of the playable file: the bag's manifest and the index both name it.
    problems = tampered(lambda b: _flip(b / playable))
    assert f"{playable}: its SHA-256 does not match manifest-sha256.txt (altered)" in problems
    assert any(p.startswith(f"{playable}: its bytes are not those the index lists") for p in problems)
    # Deleted: missing, named.
    problems = tampered(lambda b: (b / playable).unlink())
    assert any(p.startswith(f"{playable}: missing (the playable file of recording") for p in problems)
    # Even by the server's own key, re-signed after the fact: a playable file that is not
    # the join of the segments it names (its second segment left out), or one said to be
    # made from a segment of another SHA-256, is named.
    def without_second(b: Path) -> None:
        joined = _join(b, worker_video, skip=second["seq"])
        _relist(b, worker_video["id"], joined, key)
    problems = tampered(without_second)
    assert any(p.startswith(f"{playable}: not the join of the segments it names") for p in problems), problems

    def foreign_source(b: Path) -> None:
        _relist(b, worker_video["id"], None, key, made_from=[{"seq": first["seq"], "sha256": "0" * 64}])
    problems = tampered(foreign_source)
    assert any(f"{playable}: made from segment {first['seq']} with SHA-256 0000000000000000…, which is "
               "not the chain's" in p for p in problems), problems


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _join(bag: Path, entry: dict, *, skip: int) -> bytes:
    from evidence.join import Joiner

    joiner = Joiner(origin_ms=entry["playable"]["origin_ms"], duration_ms=entry["playable"]["duration_ms"])
    return b"".join(joiner.feed((bag / s["path"]).read_bytes()) for s in entry["segments"] if s["seq"] != skip)


def _relist(bag: Path, recording_id: str, data: bytes | None, key, **fields) -> None:  # noqa: ANN001, ANN003
    """What a server that made a wrong playable file would have written: the file, its
    hash and size in the index, the manifests, the signature — all consistent."""
    import bagit

    index = json.loads((bag / "data/index.json").read_text())
    made = next(r for r in index["recordings"] if r["id"] == recording_id)["playable"]
    if data is not None:
        (bag / made["path"]).write_bytes(data)
        made.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    made.update(fields)
    (bag / "data/index.json").write_text(json.dumps(index, ensure_ascii=False))
    bagit.Bag(str(bag)).save(manifests=True)
    (bag / "tagmanifest-sha256.txt.sig").write_bytes(key.sign((bag / "tagmanifest-sha256.txt").read_bytes()))
