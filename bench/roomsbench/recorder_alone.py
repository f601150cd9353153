"""Part 1 of bench/recording.py: zeromeet's recording path alone, in-process, against
aiortc's MediaRecorder, a VP8 decode and a bare SHA-256 on the same frames."""

from __future__ import annotations

import asyncio
import fractions
import time
from pathlib import Path
from typing import Any

import av
import numpy as np


def encoded_media(seconds: float) -> tuple[list[bytes], list[bytes]]:
    """VP8 frames of the call benchmark's moving pattern at ~1 Mbit/s, and Opus frames."""
    from tests.support.rtc import PatternVideo

    pattern = PatternVideo()
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 640, 480, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 30)
    encoder.bit_rate = 1_000_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "g": "60", "lag-in-frames": "0"}
    video: list[bytes] = []
    for i in range(int(seconds * 30)):
        image = np.roll(pattern._base, i * 4, axis=1)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        video += [bytes(p) for p in encoder.encode(frame)]
    video += [bytes(p) for p in encoder.encode(None)]
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48000, "stereo", "s16"
    opus.bit_rate = 32000
    audio: list[bytes] = []
    t = np.arange(960) / 48000
    for i in range(int(seconds * 50)):
        tone = (3000 * np.sin(2 * np.pi * 220 * (t + i * 0.02))).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(np.repeat(tone[None, :], 2, axis=0).reshape(1, -1),
                                           format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, i * 960
        audio += [bytes(p) for p in opus.encode(frame)]
    return video, audio


async def recorder_alone(seconds: float, tmp: Path) -> dict[str, Any]:
    from server.db.engine import make_engine, sessionmaker_for, upgrade
    from server.keys import load_or_create_signing_key
    from server.recording.ledger import DatabaseLedger
    from server.recording.live import LiveRecording
    from server.seaweed import EmbeddedSeaweed
    from server.services.recordings import RecordingMeta
    from evidence.store import S3ObjectStore
    from media.recorder import TrackRecorder

    video, audio = encoded_media(10)
    repeat = max(1, int(seconds // 10))
    media_seconds = 10 * repeat
    seaweed = EmbeddedSeaweed(tmp / "seaweed", bucket="bench")
    s3 = await seaweed.start()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}")
    try:
        await upgrade(engine)
        store = S3ObjectStore(endpoint=s3.endpoint, access_key=s3.access_key,
                              secret_key=s3.secret_key, bucket="bench")
        await store.ensure_bucket()
        sessions = sessionmaker_for(engine)
        key = load_or_create_signing_key(tmp)
        from sqlalchemy import text
        async with sessions() as session, session.begin():
            await session.execute(text(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at) "
                "VALUES ('u', 'u', 'u', 'inspector', 'x', '2026-01-01 00:00:00')"))
            await session.execute(text(
                "INSERT INTO cases (id, number, title, employer, description, status, created_by, "
                "created_at, updated_at) VALUES ('c', 'ZM-1', 't', '', '', 'intake', 'u', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
            await session.execute(text(
                "INSERT INTO interviews (id, case_id, title, language, state, created_by, created_at) "
                "VALUES ('i', 'c', 't', 'zh', 'live', 'u', '2026-01-01 00:00:00')"))

        t0_us = int(time.time() * 1e6)
        lives = []
        cpu0, wall0 = time.process_time(), time.monotonic()
        for kind, frames, step_us, rate in (("video", video, 33_333, 90000),
                                            ("audio", audio, 20_000, 48000)):
            meta = RecordingMeta(id=f"00000000-0000-4000-8000-00000000000{len(lives)}",
                                 interview_id="i", participant_id="p", participant_kind="party",
                                 participant_name="bench", participant_role="worker", kind=kind,
                                 node="bench", started_at_us=t0_us)
            directory = tmp / "spool" / meta.id
            directory.mkdir(parents=True)
            live = LiveRecording(meta, directory, store=store, ledger=DatabaseLedger(sessions), key=key)
            recorder = TrackRecorder(kind, live, request_keyframe=lambda: None)
            n = 0
            for _ in range(repeat):
                for data in frames:
                    ts = n * step_us * rate // 1_000_000
                    recorder.on_frame("VP8" if kind == "video" else "opus", data, ts, ts & 0xFFFFFFFF,
                                      t0_us + n * step_us)
                    n += 1
                    if n % 200 == 0:
                        await asyncio.sleep(0)  # let the uploads run alongside, as in a call
            recorder.close()
            lives.append(live)
        for live in lives:
            live.seal("ended")
        await asyncio.wait_for(asyncio.gather(*(live.sealed.wait() for live in lives)), 300)
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
        stored = {live.meta.kind: (live.stored, live.waiting) for live in lives}
    finally:
        await engine.dispose()
        await seaweed.stop()
    media_bytes = (sum(map(len, video)) + sum(map(len, audio))) * repeat

    # Baselines on the same frames, in the same run.
    cpu0 = time.process_time()
    for _ in range(repeat):
        decoder = av.CodecContext.create("vp8", "r")
        for data in video:
            decoder.decode(av.Packet(data))
    decode_cpu = time.process_time() - cpu0
    import hashlib
    cpu0 = time.process_time()
    for _ in range(repeat):
        h = hashlib.sha256()
        for data in video + audio:
            h.update(data)
    hash_cpu = time.process_time() - cpu0
    mediarecorder_cpu = await mediarecorder_alone(video, audio, repeat, tmp / "mediarecorder.mp4")
    return {
        "media_seconds": media_seconds, "media_bytes": media_bytes,
        "bytes_per_minute": media_bytes / media_seconds * 60,
        "video_kbit_s": sum(map(len, video)) * 8 / 10 / 1000,
        "cpu_seconds": cpu, "wall_seconds": wall, "segments": stored,
        "core_pct_per_party": 100 * cpu / media_seconds,
        "decode_core_pct": 100 * decode_cpu / media_seconds,
        "sha256_core_pct": 100 * hash_cpu / media_seconds,
        "mediarecorder_core_pct": 100 * mediarecorder_cpu / media_seconds,
    }


async def mediarecorder_alone(video: list[bytes], audio: list[bytes], repeat: int,
                              path: Path) -> float:
    """aiortc's MediaRecorder to MP4 on the same media, given already decoded frames (the
    server decodes anyway): its CPU seconds."""
    from aiortc.contrib.media import MediaRecorder
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    vp8, opus = av.CodecContext.create("vp8", "r"), av.CodecContext.create("opus", "r")
    pictures = [f for data in video for f in vp8.decode(av.Packet(data))]
    sounds = [f for data in audio for f in opus.decode(av.Packet(data))]

    class Frames(MediaStreamTrack):
        def __init__(self, kind: str, frames: list, step: int, rate: int) -> None:
            super().__init__()
            self.kind, self._frames, self._step, self._rate = kind, frames, step, rate
            self._i = 0

        async def recv(self):  # noqa: ANN202
            if self._i >= len(self._frames) * repeat:
                self.stop()
                raise MediaStreamError
            frame = self._frames[self._i % len(self._frames)]
            frame.pts, frame.time_base = self._i * self._step, fractions.Fraction(1, self._rate)
            self._i += 1
            if self._i % 50 == 0:
                await asyncio.sleep(0)
            return frame

    recorder = MediaRecorder(str(path))
    recorder.addTrack(Frames("video", pictures, 3000, 90000))
    recorder.addTrack(Frames("audio", sounds, 960, 48000))
    cpu0 = time.process_time()
    await recorder.start()
    while any(not t.done() for t in asyncio.all_tasks() if "__run_track" in repr(t.get_coro())):
        await asyncio.sleep(0.05)
    await recorder.stop()
    return time.process_time() - cpu0
