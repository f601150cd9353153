"""What `spool.scan` makes of a recording directory a kill left at any step, and
`recover_torn` on the segments it finds."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from media.recorder import TrackRecorder
from evidence.segment import SegmentStored
from server.recording import spool
from tests.test_recorder import Sink, feed_video


def _record(seq: int) -> SegmentStored:
    return SegmentStored(
        seq=seq, sha256="0" * 64, size=10, frames=1, first_arrival_us=0, last_arrival_us=1,
        rtp_first=0, rtp_last=1, start_ms=0, end_ms=1, gap=False, recovered=False, width=640,
        height=480, codec="VP8", link="1" * 64)


def test_scan_sorts_out_every_step_a_kill_can_interrupt(tmp_path: Path) -> None:
    spool.make_dir(tmp_path, {"id": "r"})
    (tmp_path / "000001.json").write_text(json.dumps(asdict(_record(1))))  # stored; webm removed
    spool.write_json(tmp_path / "000002.json", asdict(_record(2)))
    (tmp_path / "000002.webm").write_bytes(b"chained, waiting for the store")
    (tmp_path / "000003.webm").write_bytes(b"renamed; the kill came before its sidecar")
    (tmp_path / "000003.json.tmp").write_text('{"seq": ')
    (tmp_path / "open-000009.webm").write_bytes(b"torn")
    (tmp_path / "open-000008.webm").write_bytes(b"closed, waiting for its rename")
    (tmp_path / "seal.json.tmp").write_text("{")

    left = spool.scan(tmp_path)

    assert left.meta == {"id": "r"}
    assert [r.seq for r in left.committed] == [2]
    assert [p.name for p in left.torn] == ["000003.webm", "open-000008.webm", "open-000009.webm"]
    assert sorted(p.name for p in left.tmp) == ["000003.json.tmp", "seal.json.tmp"]
    assert {seq: p.name for seq, p in left.sidecars.items()} == {1: "000001.json"}
    assert left.seal is None


def test_an_unreadable_sidecar_leaves_its_segment_to_be_finished_like_a_torn_one(tmp_path: Path) -> None:
    (tmp_path / "000004.json").write_text('{"seq": 4}')  # not a whole record
    (tmp_path / "000004.webm").write_bytes(b"x")
    left = spool.scan(tmp_path)
    assert left.committed == [] and [p.name for p in left.torn] == ["000004.webm"]


def test_a_renamed_whole_segment_is_recovered_whole_and_a_torn_one_is_cut(tmp_path: Path) -> None:
    sink = Sink(tmp_path)
    rec = TrackRecorder("video", sink, request_keyframe=lambda: None)
    feed_video(rec, 3)  # one closed segment of 2 s, one open one
    closed = sink.closed[0]
    renamed = closed.path.rename(spool.segment_path(tmp_path, 1))
    whole = spool.recover_torn(renamed, 33)
    assert whole is not None
    assert (whole.sha256, whole.size, whole.frames) == (closed.sha256, closed.size, closed.frames)

    torn = tmp_path / "open-000002.webm"  # a second of frames, as a kill leaves it on disk
    whole_blocks = torn.stat().st_size
    torn.write_bytes(torn.read_bytes() + b"\xa3\x40\x20\x81")  # and a block cut short
    cut = spool.recover_torn(torn, 33)
    assert cut is not None and cut.frames == 30
    assert cut.size == whole_blocks == torn.stat().st_size
