"""TrackRecorder's segmenting rules and its failures, with synthetic frames and a
recording sink that keeps what it is given."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from media import recorder as recorder_module
from evidence import webm
from evidence.segment import SegmentClosed
from media.recorder import TrackRecorder

T0 = 1_790_000_000_000_000  # µs on the interview clock


def vp8(key: bool, size: tuple[int, int] = (640, 480), fill: int = 0) -> bytes:
    if not key:
        return bytes([0x01, 0, 0]) + bytes([fill]) * 40
    w, h = size
    return bytes([0x00, 0, 0, 0x9D, 0x01, 0x2A]) + w.to_bytes(2, "little") + h.to_bytes(2, "little") \
        + bytes([fill]) * 40


class Sink:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.opened = 0
        self.closed: list[SegmentClosed] = []
        self.alarms: dict[str, str] = {}
        self.alarm_log: list[tuple[str, str | None]] = []

    def open_segment(self) -> Path:
        self.opened += 1
        return self.directory / f"open-{self.opened:06d}.webm"

    def segment_closed(self, segment: SegmentClosed) -> None:
        self.closed.append(segment)

    def alarm(self, code: str, message: str | None) -> None:
        self.alarm_log.append((code, message))
        if message is None:
            self.alarms.pop(code, None)
        else:
            self.alarms[code] = message


def feed_video(rec: TrackRecorder, seconds: float, *, start_s: float = 0, gop: int = 30,
               size: tuple[int, int] = (640, 480), first_index: int = 0) -> int:
    frames = int(seconds * 30)
    for i in range(frames):
        t = start_s + i / 30
        index = first_index + i
        rec.on_frame("VP8", vp8(index % gop == 0, size, fill=index % 256), int(t * 90000),
                     int(t * 90000) & 0xFFFFFFFF, T0 + int(t * 1_000_000))
    return frames


@pytest.fixture
def sink(tmp_path: Path) -> Sink:
    return Sink(tmp_path)


def test_video_segments_start_on_keyframes_about_every_two_seconds(sink: Sink) -> None:
    asked: list[int] = []
    rec = TrackRecorder("video", sink, request_keyframe=lambda: asked.append(1))
    sent = feed_video(rec, 7.0)
    rec.close()
    assert [s.frames for s in sink.closed] == [60, 60, 60, 30]
    assert sum(s.frames for s in sink.closed) == sent
    assert sink.closed[0].start_ms == T0 // 1000
    for earlier, later in zip(sink.closed, sink.closed[1:]):
        assert later.start_ms >= earlier.end_ms
    for segment in sink.closed:
        parsed = webm.parse(segment.path.read_bytes())
        assert parsed.blocks[0].keyframe and not parsed.torn
        assert len(parsed.blocks) == segment.frames
        assert (parsed.track.width, parsed.track.height) == (640, 480)
        assert segment.size == segment.path.stat().st_size
        assert hashlib.sha256(segment.path.read_bytes()).hexdigest() == segment.sha256
    assert not asked  # keyframes came on time: none had to be asked for
    assert not sink.alarms


def test_a_late_keyframe_is_asked_for_and_frames_before_the_first_are_not_written(sink: Sink) -> None:
    asked: list[int] = []
    rec = TrackRecorder("video", sink, request_keyframe=lambda: asked.append(1))
    for i in range(5):  # joined mid-picture: undecodable until a keyframe
        t = i / 30
        rec.on_frame("VP8", vp8(False), int(t * 90000), int(t * 90000), T0 + int(t * 1e6))
    assert asked and rec.skipped == 5 and sink.opened == 0
    feed_video(rec, 5.0, start_s=0.2, gop=10_000)  # one keyframe, then a long GOP
    rec.close()
    assert len(asked) >= 3  # asked again about once a second after the segment was due
    assert len(sink.closed) == 1 and sink.closed[0].frames == 150


def test_a_new_size_or_a_gap_starts_a_new_segment(sink: Sink) -> None:
    rec = TrackRecorder("video", sink, request_keyframe=lambda: None)
    feed_video(rec, 1.0)
    feed_video(rec, 1.0, start_s=1.0, size=(480, 640))  # the phone turned: a keyframe, new size
    feed_video(rec, 1.0, start_s=4.0)  # 2 s with nothing: the network dropped
    rec.close()
    assert [(s.width, s.height, s.gap) for s in sink.closed] == [
        (640, 480, False), (480, 640, False), (640, 480, True)]




def test_frames_held_up_by_a_stalled_loop_are_no_gap_and_all_are_kept(sink: Sink) -> None:
    """The server's loop stood still for 1.2 s: the frames sent meanwhile waited in its
    socket and arrive together, following on in RTP time. Nothing is missing, so there is
    no gap, and no delta frame is left out waiting for a keyframe."""
    asked: list[int] = []
    rec = TrackRecorder("video", sink, request_keyframe=lambda: asked.append(1))
    for i in range(50):
        t = i / 30
        arrival = 1.5 if 10 <= i < 45 else t  # frames 10 to 44 held until 1.5 s, then a burst
        rec.on_frame("VP8", vp8(i == 0, fill=i), int(t * 90000), int(t * 90000),
                     T0 + int(arrival * 1_000_000))
    rec.close()
    assert rec.skipped == 0 and not asked
    assert [s.gap for s in sink.closed] == [False] and sink.closed[0].frames == 50
    times = [b.timestamp_ms for b in webm.parse(sink.closed[0].path.read_bytes()).blocks]
    assert times == sorted(times) and times[-1] - times[0] == pytest.approx(49 * 1000 / 30, abs=2)
def test_audio_segments_are_two_seconds_and_a_reconnect_is_marked(sink: Sink) -> None:
    rec = TrackRecorder("audio", sink, request_keyframe=lambda: None, after_gap=True)
    for i in range(250):
        t = i * 0.02
        rec.on_frame("opus", b"\xfc" + bytes([i % 256]) * 60, i * 960, (i * 960 + 12345) & 0xFFFFFFFF,
                     T0 + int(t * 1e6))
    rec.close()
    assert [s.frames for s in sink.closed] == [100, 100, 50]
    assert [s.gap for s in sink.closed] == [True, False, False]
    assert sink.closed[0].rtp_first == 12345 and sink.closed[0].rtp_last == 99 * 960 + 12345


def test_an_unrecordable_codec_raises_an_alarm(sink: Sink) -> None:
    rec = TrackRecorder("video", sink, request_keyframe=lambda: None)
    rec.on_frame("H264", b"\x00\x00\x00\x01\x65", 0, 0, T0)
    assert "H264" in sink.alarms["codec"] and not sink.closed


def test_a_full_disk_is_an_alarm_not_a_crash_and_recording_resumes(
        sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "RETRY_WRITE_S", 0.0)
    rec = TrackRecorder("video", sink, request_keyframe=lambda: None)
    feed_video(rec, 1.0)
    real_write = os.write
    failing = {"on": True}

    def write(fd: int, data: bytes) -> int:
        if failing["on"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(recorder_module.os, "write", write)
    feed_video(rec, 1.0, start_s=1.0, first_index=30)
    assert "No space left on device" in sink.alarms["write"]
    assert len(sink.closed) == 1 and sink.closed[0].frames == 30  # what was written is kept
    assert webm.parse(sink.closed[0].path.read_bytes()).torn is False
    failing["on"] = False
    feed_video(rec, 2.0, start_s=2.0, first_index=60)
    rec.close()
    assert "write" not in sink.alarms
    assert [s.gap for s in sink.closed] == [False, True]
    assert sink.closed[1].frames == 60


def test_a_busy_stretch_where_every_frame_comes_late_leaves_no_hole_in_the_timeline(
        sink: Sink) -> None:
    """Audio for 6 s, of which 2 s to 4.5 s each packet arrives 600 ms late (the loop is
    behind the whole time): the segments follow on in the sender's time, with no hole
    where the late stretch began or ended and nothing overlapping."""
    rec = TrackRecorder("audio", sink, request_keyframe=lambda: None)
    for i in range(300):
        t = i * 0.02
        late = 0.6 if 2.0 <= t < 4.5 else 0.0
        rec.on_frame("opus", b"\xfc" + bytes([i % 256]) * 60, i * 960, i * 960,
                     T0 + int((t + late) * 1e6))
    rec.close()
    assert [s.gap for s in sink.closed] == [False, False, False]
    for earlier, later in zip(sink.closed, sink.closed[1:]):
        assert later.start_ms - earlier.end_ms <= 2, (earlier.end_ms, later.start_ms)
    assert 6000 <= sink.closed[-1].end_ms - sink.closed[0].start_ms <= 6004  # a drift allowance


def test_a_burst_when_the_call_starts_keeps_every_packet_on_its_own_time(sink: Sink) -> None:
    """The loop was busy while the call came up (a DTLS handshake on a loaded machine):
    the first 3 s of audio waited in the socket and came at once, then packets came on
    time. The party's timeline comes back to time by a clock's drift a segment rather
    than jumping back onto the packets already written: no two blocks share a time, none
    goes back, so the decoder, which lets a later block win, overwrites none (a
    fresh-clone run lost "two three four five six" of a counted sentence so)."""
    rec = TrackRecorder("audio", sink, request_keyframe=lambda: None)
    for i in range(400):
        t = i * 0.02
        rec.on_frame("opus", b"\xfc" + bytes([i % 256]) * 60, i * 960, i * 960,
                     T0 + int(max(t, 3.0) * 1e6))
    rec.close()
    times = [b.timestamp_ms for s in sink.closed for b in webm.parse(s.path.read_bytes()).blocks]
    assert len(times) == 400 and rec.skipped == 0
    steps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(steps) >= 20 - recorder_module.DRIFT_US // 1000, sorted(steps)[:5]
    assert times[-1] - times[0] <= 399 * 20 + 2 * len(sink.closed)  # a drift allowance


def test_a_phone_clock_that_runs_fast_is_brought_back_to_server_time(sink: Sink) -> None:
    """Ten minutes of audio from a phone whose clock runs 1000 ppm fast (its RTP time gains
    0.6 s on the server's), every packet on time: each segment's offset moves back by up
    to a clock's drift, so the last block is still within a few ms of when it came, and
    no block is written at or before the one before it."""
    rec = TrackRecorder("audio", sink, request_keyframe=lambda: None)
    frames = 30_000
    for i in range(frames):
        t = i * 0.02
        rtp = int(i * 960 * 1.001)
        rec.on_frame("opus", b"\xfc" + bytes([i % 256]) * 20, rtp, rtp, T0 + int(t * 1e6))
    rec.close()
    times = [b.timestamp_ms for s in sink.closed for b in webm.parse(s.path.read_bytes()).blocks]
    assert len(times) == frames
    assert min(b - a for a, b in zip(times, times[1:])) >= 20 - recorder_module.DRIFT_US // 1000
    last_arrival_ms = (T0 + int((frames - 1) * 0.02 * 1e6)) // 1000
    assert abs(times[-1] - last_arrival_ms) <= 25, times[-1] - last_arrival_ms
