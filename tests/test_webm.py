"""The WebM writer and reader, checked against real VP8 and Opus packets and FFmpeg's demuxer (PyAV)."""

from __future__ import annotations

import fractions
import json
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from evidence.join import concatenate
from evidence.webm import (
    CLUSTER,
    Block,
    SegmentWriter,
    TrackInfo,
    header,
    opus_head,
    parse,
    vp8_keyframe,
    vp8_size,
)

T0 = 1_790_000_000_000
VIDEO = TrackInfo("video", "VP8", 320, 240, uid=7)
AUDIO = TrackInfo("audio", "opus", uid=8)
CLUSTER_ID = CLUSTER.to_bytes(4, "big")


@pytest.fixture(scope="module")
def vp8_packets() -> list[tuple[bytes, bool]]:
    """90 frames at 30 fps of a moving gradient, a key frame every 30 frames."""
    ctx = av.CodecContext.create("libvpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = 320, 240, "yuv420p"
    ctx.time_base = fractions.Fraction(1, 30)
    ctx.gop_size = 30
    ctx.options = {"deadline": "realtime", "cpu-used": "8"}
    y, x = np.mgrid[0:240, 0:320]
    packets = []
    for i in range(90):
        rgb = np.stack([(x + 4 * i) % 256, (y + 2 * i) % 256, np.full_like(x, 8 * i % 256)], axis=-1)
        frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    assert len(packets) == 90
    return [(bytes(p), p.is_keyframe) for p in packets]


@pytest.fixture(scope="module")
def opus_packets() -> list[bytes]:
    """One second of a 440 Hz stereo tone in 20 ms Opus packets."""
    ctx = av.CodecContext.create("libopus", "w")
    ctx.sample_rate, ctx.layout, ctx.format = 48000, "stereo", "s16"
    ctx.time_base = fractions.Fraction(1, 48000)
    packets = []
    for i in range(50):
        tone = (np.sin(2 * np.pi * 440 * (np.arange(960) + 960 * i) / 48000) * 10000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, 960 * i
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    return [bytes(p) for p in packets]


def write(track: TrackInfo, blocks: list[Block]) -> bytes:
    writer = SegmentWriter(track)
    return writer.start() + b"".join(writer.block(b.timestamp_ms, b.data, keyframe=b.keyframe) for b in blocks)


def video_blocks(packets: list[tuple[bytes, bool]], t0: int = T0) -> list[Block]:
    return [Block(t0 + 33 * i, key, data) for i, (data, key) in enumerate(packets)]


def audio_blocks(packets: list[bytes], t0: int = T0) -> list[Block]:
    return [Block(t0 + 20 * i, True, data) for i, data in enumerate(packets)]


def decode(path: Path, kind: str) -> list[av.frame.Frame]:
    with av.open(str(path)) as container:
        return list(container.decode(**{kind: 0}))


def ffprobe(path: Path) -> dict | None:
    """FFmpeg's own prober, where installed: the ffmpeg binaries are not a dependency."""
    if shutil.which("ffprobe") is None:
        return None
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["streams"][0]


def test_vp8_segment_decodes_with_absolute_timestamps(tmp_path: Path, vp8_packets) -> None:
    path = tmp_path / "video.webm"
    path.write_bytes(write(VIDEO, video_blocks(vp8_packets)))
    frames = decode(path, "video")
    assert len(frames) == 90
    assert {(f.width, f.height) for f in frames} == {(320, 240)}
    assert frames[0].pts == T0 and frames[0].time_base == fractions.Fraction(1, 1000)
    assert frames[0].time == pytest.approx(T0 / 1000)
    assert [f.pts for f in frames] == [T0 + 33 * i for i in range(90)]
    if (probe := ffprobe(path)) is not None:
        assert (probe["codec_name"], probe["width"], probe["height"]) == ("vp8", 320, 240)
        assert int(probe["nb_read_frames"]) == 90


def test_opus_segment_decodes_with_absolute_timestamps(tmp_path: Path, opus_packets) -> None:
    path = tmp_path / "audio.webm"
    path.write_bytes(write(AUDIO, audio_blocks(opus_packets)))
    frames = decode(path, "audio")
    assert abs(len(frames) - len(opus_packets)) <= 1
    assert {(f.sample_rate, f.layout.name) for f in frames} == {(48000, "stereo")}
    assert frames[0].pts == T0 and frames[0].time == pytest.approx(T0 / 1000)
    # FFmpeg drops the 312 pre-skip samples (CodecDelay) from the first frame and shifts the rest.
    assert frames[0].samples == 960 - 312
    assert frames[-1].pts == pytest.approx(T0 + 20 * (len(opus_packets) - 1) - 6.5, abs=1)
    assert sum(f.samples for f in frames) == 960 * len(opus_packets) - 312
    if (probe := ffprobe(path)) is not None:
        assert (probe["codec_name"], probe["sample_rate"], probe["channels"]) == ("opus", "48000", 2)


@pytest.mark.parametrize("track", [VIDEO, AUDIO])
def test_parse_round_trip(track: TrackInfo, vp8_packets, opus_packets) -> None:
    blocks = video_blocks(vp8_packets) if track.kind == "video" else audio_blocks(opus_packets)
    data = write(track, blocks)
    parsed = parse(data)
    assert parsed.track == track
    assert parsed.blocks == blocks
    assert parsed.header_size == len(header(track)) and data[parsed.header_size:].startswith(CLUSTER_ID)
    assert (parsed.complete_size, parsed.torn) == (len(data), False)


def test_header_layout() -> None:
    assert opus_head() == b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
    head = header(AUDIO)
    assert head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head and opus_head() in head
    assert b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" in head
    chunk = SegmentWriter(VIDEO).block(T0, b"frame", keyframe=True)
    assert chunk == (CLUSTER_ID + b"\x01" + b"\xff" * 7 + b"\xe7\x88" + T0.to_bytes(8, "big")
                     + b"\xa3\x89\x81\x00\x00\x80frame")
    assert TrackInfo("audio", "OPUS").codec == "opus" and TrackInfo("video", "vp8", 2, 2).codec == "VP8"
    for bad in [("video", "VP9", 2, 2), ("video", "VP8"), ("audio", "VP8"), ("video", "opus", 2, 2)]:
        with pytest.raises(ValueError):
            TrackInfo(*bad)


def offsets(size: int) -> list[int]:
    return sorted({*range(min(size, 600)), *range(600, size, 97), size})


@pytest.mark.parametrize("track", [VIDEO, AUDIO])
def test_truncated_anywhere(track: TrackInfo, vp8_packets, opus_packets) -> None:
    blocks = video_blocks(vp8_packets) if track.kind == "video" else audio_blocks(opus_packets)
    data = write(track, blocks)
    for cut in offsets(len(data)):
        parsed = parse(data[:cut])
        assert parsed.blocks == blocks[:len(parsed.blocks)], cut
        assert parsed.complete_size <= cut and parsed.torn == (parsed.complete_size < cut)
        again = parse(data[:parsed.complete_size])
        assert (again.blocks, again.torn, again.complete_size) == (parsed.blocks, False, parsed.complete_size)
        if cut >= parsed.header_size + 1 and parsed.track is not None:
            assert parsed.track == track
    assert len(parse(data[:len(data) - 1]).blocks) == len(blocks) - 1


def test_truncated_file_still_decodes(tmp_path: Path, vp8_packets, opus_packets) -> None:
    for track, blocks in [(VIDEO, video_blocks(vp8_packets)), (AUDIO, audio_blocks(opus_packets))]:
        data = write(track, blocks)
        for cut in (len(data) // 3, len(data) * 2 // 3 + 5):
            parsed = parse(data[:cut])
            assert parsed.torn and 0 < len(parsed.blocks) < len(blocks)
            path = tmp_path / f"{track.kind}-{cut}.webm"
            path.write_bytes(data[:parsed.complete_size])
            frames = decode(path, track.kind)
            if track.kind == "video":
                assert [f.pts for f in frames] == [b.timestamp_ms for b in parsed.blocks]
            else:
                assert abs(len(frames) - len(parsed.blocks)) <= 1


def element(eid: int, payload: bytes) -> bytes:
    """An EBML element with a known size, written independently of the module under test."""
    size = len(payload)
    size_bytes = (0x80 | size).to_bytes(1, "big") if size < 0x7F else (0x10000000 | size).to_bytes(4, "big")
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big") + size_bytes + payload


def test_known_sizes_and_unknown_elements() -> None:
    """Files from other muxers: sized Segment and Clusters, short timestamps, Void, Cues, Tags."""
    unknown_size_segment = header(AUDIO)
    ebml_end = unknown_size_segment.index(b"\x18\x53\x80\x67")
    level1 = unknown_size_segment[ebml_end + 12:]
    cluster = element(0xE7, b"\x03\xe8") + element(0xEC, b"\0" * 3) + element(0xA3, b"\x81\x00\x14\x80one")
    cluster2 = element(0xE7, b"\x07\xd0") + element(0xA3, b"\x81\xff\xf6\x80two")
    body = (element(0x114D9B74, b"\0" * 4) + level1 + element(0xEC, b"\0" * 200)
            + element(CLUSTER, cluster) + element(0x1C53BB6B, b"\0" * 10) + element(CLUSTER, cluster2)
            + element(0x1254C367, b"\0" * 6))
    data = unknown_size_segment[:ebml_end] + element(0x18538067, body)
    parsed = parse(data)
    assert parsed.track == AUDIO
    assert parsed.blocks == [Block(1020, True, b"one"), Block(1990, True, b"two")]
    assert (parsed.complete_size, parsed.torn) == (len(data), False)
    for cut in range(len(data)):
        assert parse(data[:cut]).blocks == parsed.blocks[:len(parse(data[:cut]).blocks)]


def test_clusters_split_on_long_spans_and_jumps() -> None:
    times = [T0 + 100 * i for i in range(120)]  # 12 s
    times += [times[-1] + 40_000, times[-1] + 40_100, times[-1] + 39_000]  # a jump, then back a little
    writer = SegmentWriter(VIDEO)
    chunks = [writer.block(t, bytes([i % 256]) * 5, keyframe=i % 10 == 0) for i, t in enumerate(times)]
    opened = [times[i] for i, c in enumerate(chunks) if c.startswith(CLUSTER_ID)]
    assert opened == [T0, T0 + 5000, T0 + 10_000, times[-3]]
    parsed = parse(header(VIDEO) + b"".join(chunks))
    assert [b.timestamp_ms for b in parsed.blocks] == times
    assert [b.keyframe for b in parsed.blocks] == [i % 10 == 0 for i in range(len(times))]
    with pytest.raises(ValueError):
        writer.block(times[-3] - 32_769, b"x", keyframe=True)
    assert writer.block(times[-3] - 32_768, b"x", keyframe=True)


def test_jumps_decode_in_ffmpeg(tmp_path: Path, vp8_packets) -> None:
    blocks = [Block(T0 + 33 * i + (40_000 if i >= 45 else 0) + (7000 if i >= 60 else 0), key, data)
              for i, (data, key) in enumerate(vp8_packets)]
    path = tmp_path / "jumps.webm"
    path.write_bytes(write(VIDEO, blocks))
    assert parse(path.read_bytes()).blocks == blocks
    assert [f.pts for f in decode(path, "video")] == [b.timestamp_ms for b in blocks]


def test_concatenate_segments(tmp_path: Path, vp8_packets) -> None:
    blocks = video_blocks(vp8_packets)
    keys = [i for i, b in enumerate(blocks) if b.keyframe]
    assert keys == [0, 30, 60]
    segments = [write(VIDEO, blocks[a:b]) for a, b in [(0, 30), (30, 60), (60, 90)]]
    segments[2] = segments[2][:-10]  # the last segment was torn by a crash
    chunks = list(concatenate(iter(segments), origin_ms=T0))
    assert len(chunks) == 3
    path = tmp_path / "joined.webm"
    path.write_bytes(b"".join(chunks))
    frames = decode(path, "video")
    assert len(frames) == 89
    assert [f.pts for f in frames] == [33 * i for i in range(89)]
    assert [b.data for b in parse(path.read_bytes()).blocks] == [b.data for b in blocks[:89]]


def test_concatenate_starts_at_a_keyframe_after_origin(tmp_path: Path, vp8_packets, opus_packets) -> None:
    segments = [write(VIDEO, video_blocks(vp8_packets)[a:a + 30]) for a in (0, 30, 60)]
    path = tmp_path / "late.webm"
    path.write_bytes(b"".join(concatenate(segments, origin_ms=T0 + 33 * 10)))
    frames = decode(path, "video")
    assert [f.pts for f in frames] == [33 * (i - 10) for i in range(30, 90)]

    audio = [write(AUDIO, audio_blocks(opus_packets)[a:a + 17]) for a in (0, 17, 34)]
    path = tmp_path / "audio.webm"
    path.write_bytes(b"".join(concatenate(audio, origin_ms=T0 + 100)))
    parsed = parse(path.read_bytes())
    assert [b.timestamp_ms for b in parsed.blocks] == [20 * i for i in range(len(opus_packets) - 5)]
    frames = decode(path, "audio")
    assert abs(len(frames) - len(parsed.blocks)) <= 1 and frames[0].pts == 0
    assert all(a.pts < b.pts for a, b in zip(frames, frames[1:]))


def test_vp8_header_fields(vp8_packets) -> None:
    assert [vp8_keyframe(data) for data, _ in vp8_packets] == [key for _, key in vp8_packets]
    assert {vp8_size(data) for data, key in vp8_packets if key} == {(320, 240)}
    assert {vp8_size(data) for data, key in vp8_packets if not key} == {None}
    assert not vp8_keyframe(b"") and vp8_size(b"\x00" * 5) is None


def test_not_webm() -> None:
    for data in [b"hello", b"\x1a\x45\xdf\xa3\x80\x18\x53\x80\x68\x80", b"RIFF....WEBPVP8 "]:
        with pytest.raises(ValueError):
            parse(data)
    assert parse(b"").blocks == parse(b"\x1a\x45").blocks == []
    assert parse(b"\x1a\x45").torn and not parse(b"").torn
