"""A segment has one type in two shapes (evidence/segment.py), and every place that keeps
a stored segment keeps exactly its fields: the `segments` table (plus where the bytes
are), the manifest entry (plus the object key) and the spool's sidecar. A field added to
`SegmentStored` and not to its table fails here, not in a recording."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from evidence import chain
from evidence.segment import SegmentClosed, SegmentStored
from server.db.models import Segment
from server.recording import spool

pytestmark = pytest.mark.unit

KEPT_BY_THE_ROW = {"id", "recording_id", "object_key", "version_id", "stored_at"}


def closed(path: Path) -> SegmentClosed:
    return SegmentClosed(path=path, sha256="ab" * 32, size=1234, frames=100,
                         first_arrival_us=1_000_000, last_arrival_us=2_980_000, rtp_first=0,
                         rtp_last=178_200, start_ms=1000, end_ms=3000, gap=False, codec="VP8",
                         width=640, height=480)


def test_the_table_holds_the_stored_segment_field_for_field() -> None:
    stored = {f.name for f in fields(SegmentStored)}
    assert {c.name for c in Segment.__table__.columns} - KEPT_BY_THE_ROW == stored
    assert set(chain.LINKED) < stored


def test_a_closed_segment_chains_into_the_shape_every_store_keeps(tmp_path: Path) -> None:
    genesis = chain.genesis("rec-1", "int-1", "party-1", "video")
    stored = closed(tmp_path / "open-000001.webm").chained(1, genesis)
    assert stored.link == chain.link(genesis, stored) and stored.codec == "VP8"
    entry = stored.manifest_entry("interviews/int-1/recordings/rec-1/000001.webm")
    assert set(entry) == {f.name for f in fields(SegmentStored)} | {"key"}
    assert SegmentStored.from_dict(entry) == stored
    assert SegmentStored.of(Segment(object_key="k", **stored.as_dict())) == stored
    found = chain.check_chain("rec-1", "int-1", "party-1", "video", [entry], None, None)
    assert [d.kind for d in found] == ["unsealed"]  # the link holds; no seal was given

    (tmp_path / "open-000001.webm").write_bytes(b"webm bytes")
    spool.commit_segment(tmp_path, tmp_path / "open-000001.webm", stored)
    assert spool.scan(tmp_path).committed == [stored]


def test_a_manifest_entry_from_before_segments_kept_their_codec_still_reads() -> None:
    stored = closed(Path("x.webm")).chained(1, chain.genesis("r", "i", "p", "audio"))
    older = {k: v for k, v in stored.manifest_entry("k").items() if k != "codec"}
    assert SegmentStored.from_dict(older).codec == ""
    with pytest.raises(TypeError):  # a field the chain binds cannot be left out
        SegmentStored.from_dict({k: v for k, v in older.items() if k != "sha256"})
