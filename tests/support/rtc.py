"""A synthetic participant speaking docs/signalling.md with a real aiortc peer connection.

Used by the room tests and by bench/rooms.py: it sends a 640×480 test pattern and a tone
(or a sound file), and counts what arrives from every other participant.

`cheap=True` makes a party that costs its process almost nothing, so that a benchmark
measures the server: it sends pre-encoded media (a VP8 clip encoded once per process,
which restarts at its keyframe when asked for one, and Opus packets of a tone) and counts
what it receives without decoding it (the server's own tap, `decode=False`).
"""

from __future__ import annotations

import asyncio
import fractions
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame
from av.packet import Packet

from evidence.webm import vp8_keyframe, vp8_size
from media import tap
from tests.support.clock import now


class PatternVideo(VideoStreamTrack):
    """A moving test pattern at ~30 fps; `label` tints it so parties can be told apart."""

    def __init__(self, width: int = 640, height: int = 480, label: int = 0,
                 delay: float = 0.0) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.delay = delay  # seconds before the first frame: a camera that starts late
        self.first_sent_at: float | None = None
        base = np.zeros((height, width, 3), np.uint8)
        base[..., 0] = (label * 70) % 256
        base[..., 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
        base[..., 2] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
        self._base = base
        self.sent = 0

    async def recv(self) -> VideoFrame:
        if self.first_sent_at is None and self.delay:
            await asyncio.sleep(self.delay)
        pts, time_base = await self.next_timestamp()
        if self.first_sent_at is None:
            self.first_sent_at = now()
        image = np.roll(self._base, self.sent * 4, axis=1)
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


class ToneAudio(MediaStreamTrack):
    """A quiet 440 Hz tone in 20 ms frames at 48 kHz, paced in real time."""

    kind = "audio"
    RATE, SAMPLES = 48000, 960

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self._sent = 0
        self._start: float | None = None
        self.delay = delay  # seconds before the first frame: a microphone that starts late
        self.first_sent_at: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            if self.delay:
                await asyncio.sleep(self.delay)
            self._start = self.first_sent_at = now()
        else:
            await asyncio.sleep(max(0.0, self._start + self._sent / self.RATE - now()))
        t = (np.arange(self.SAMPLES) + self._sent) / self.RATE
        tone = (0.1 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = self.RATE, self._sent
        frame.time_base = fractions.Fraction(1, self.RATE)
        self._sent += self.SAMPLES
        return frame


_CLIPS: dict[tuple[str, int], list[bytes]] = {}


def precoded_clip(kind: str, label: int = 0) -> list[bytes]:
    """4 s of VP8 (640×480, 30 fps, ~800 kbit/s, one keyframe first) or 1 s of Opus (20 ms
    packets), encoded once per process."""
    key = (kind, label % 4)
    if key not in _CLIPS:
        _CLIPS[key] = _encode_video(label) if kind == "video" else _encode_audio()
    return _CLIPS[key]


def _encode_video(label: int) -> list[bytes]:
    import av
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    codec.bit_rate, codec.gop_size = 800_000, 10_000
    codec.time_base = fractions.Fraction(1, 30)
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    pattern = PatternVideo(label=label)
    noise = np.random.default_rng(label)
    out = []
    for i in range(120):
        image = np.roll(pattern._base, i * 4, axis=1)
        image[:64] = noise.integers(0, 256, (64, 640, 3), dtype=np.uint8)
        frame = VideoFrame.from_ndarray(image, format="bgr24").reformat(format="yuv420p")
        frame.pts = i
        out += [bytes(p) for p in codec.encode(frame)]
    out += [bytes(p) for p in codec.encode(None)]
    assert vp8_keyframe(out[0]) and not any(vp8_keyframe(f) for f in out[1:])
    return out


def _encode_audio() -> list[bytes]:
    import av
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate, codec.layout, codec.format = 48000, "mono", "s16"
    codec.bit_rate = 32_000
    out = []
    for i in range(50):
        t = (np.arange(960) + i * 960) / 48000
        tone = (0.1 * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, i * 960
        out += [bytes(p) for p in codec.encode(frame)]
    return out


class PrecodedTrack(MediaStreamTrack):
    """Pre-encoded packets in real time (video 30 fps, audio 20 ms); `keyframe()` makes
    the next video frame the clip's keyframe."""

    def __init__(self, kind: str, label: int = 0) -> None:
        super().__init__()
        self.kind = kind
        self._clip = precoded_clip(kind, label)
        self._step, self._rate = (3000, 90000) if kind == "video" else (960, 48000)
        self._start: float | None = None
        self._index = 0
        self.sent = 0
        self.first_sent_at: float | None = None

    def keyframe(self) -> None:
        self._index = 0

    async def recv(self) -> Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = self.first_sent_at = now()
        await asyncio.sleep(max(0.0, self._start + self.sent * self._step / self._rate - now()))
        packet = Packet(self._clip[self._index])
        packet.pts, packet.time_base = self.sent * self._step, fractions.Fraction(1, self._rate)
        self._index = (self._index + 1) % len(self._clip)
        self.sent += 1
        return packet


@dataclass
class Received:
    frames: int = 0
    sizes: set[tuple[int, int]] = field(default_factory=set)
    keyframes: int = 0
    first_at: float | None = None  # time.monotonic() of the first frame
    keyframe_at: float | None = None  # and of the latest keyframe (counting receivers only)


class RtcClient:
    """A participant. Its camera is 320×240 unless told: the picture's size changes
    nothing a test checks but the CPU the suite spends encoding and decoding it (a
    quarter of 640×480's); a test about full-size video, and the benchmarks, ask for it."""

    def __init__(self, base_url: str, interview_id: str, token: str, *, label: int = 0,
                 width: int = 320, height: int = 240, audio_file: str | None = None,
                 audio_delay: float = 0.0, video_delay: float = 0.0,
                 audio: MediaStreamTrack | None = None, cheap: bool = False) -> None:
        self.url = f"{base_url.rstrip('/')}/api/interviews/{interview_id}/ws".replace("http", "ws", 1)
        self.token = token
        self.label = label
        self.cheap = cheap
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._player = MediaPlayer(audio_file, loop=True) if audio_file and not cheap else None
        self.video: MediaStreamTrack
        if cheap:
            self.video, self.audio = PrecodedTrack("video", label), PrecodedTrack("audio")
        else:
            self.video = PatternVideo(width, height, label, delay=video_delay)
            self.audio = audio or (self._player.audio if self._player else ToneAudio(audio_delay))
        self.messages: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.received: dict[str, dict[str, Received]] = defaultdict(lambda: defaultdict(Received))
        self.you: str | None = None
        self.mids: dict[str, str] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def connect(self) -> None:
        self._http = aiohttp.ClientSession()
        self.ws = await self._http.ws_connect(self.url)
        await self.ws.send_json({"type": "hello", "token": self.token})
        welcome = await self._next()
        if welcome["type"] != "welcome":
            raise ConnectionRefusedError(welcome)
        self.you = welcome["you"]
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.on("track", self._on_track)
        self.pc.addTransceiver(self.audio, direction="sendonly")
        video = self.pc.addTransceiver(self.video, direction="sendonly")
        if isinstance(self.video, PrecodedTrack):
            video.sender._send_keyframe = self.video.keyframe
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.ws.send_json({"type": "offer", "sdp": self.pc.localDescription.sdp})
        answer = await self._next()
        assert answer["type"] == "answer", answer
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        self.answered_at = time.monotonic()
        self._tasks.append(asyncio.create_task(self._read()))

    async def _next(self) -> dict[str, Any]:
        while True:
            message = await self.ws.receive(timeout=30)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket closed: {message.type}")
            body = json.loads(message.data)
            self.messages.append(body)
            if body["type"] in ("welcome", "answer", "error"):
                if body["type"] == "error":
                    self.errors.append(body)
                return body

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            body = json.loads(message.data)
            self.messages.append(body)
            await self.events.put(body)
            if body["type"] == "offer":
                try:
                    await self.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], "offer"))
                    await self.pc.setLocalDescription(await self.pc.createAnswer())
                    await self.ws.send_json({"type": "answer", "sdp": self.pc.localDescription.sdp})
                except Exception as exc:  # noqa: BLE001 - say so, and go on reading the socket
                    # A reader that died here saw no later message ("replaced", "ended").
                    self.errors.append({"type": "offer_failed", "error": repr(exc)})
            elif body["type"] == "tracks":
                self.mids = {t["mid"]: t["participant"] for t in body["tracks"]}
            elif body["type"] == "error":
                self.errors.append(body)

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        if self.cheap:
            tap.install(transceiver.receiver, self._counter(track.kind, transceiver), lambda: None,
                        decode=False)
        else:
            self._tasks.append(asyncio.create_task(self._consume(track, transceiver.mid)))

    def _counter(self, kind: str, transceiver: Any):  # noqa: ANN202
        def count(codec: str, data: bytes, rtp: int, raw: int, arrival: int) -> None:
            got = self.received[self.mids.get(transceiver.mid or "", "?")][kind]
            got.frames += 1
            now = time.monotonic()
            got.first_at = got.first_at or now
            if kind == "video" and (size := vp8_size(data)) is not None:
                got.sizes.add(size)
                got.keyframes += 1
                got.keyframe_at = now
        return count

    async def keyframe_delays(self, timeout: float = 5.0) -> list[float | None]:
        """Ask the server for a keyframe on every received video track (as a browser does
        after a loss) and time each one's arrival; None: none came within `timeout`."""
        receiving = [t for t in self.pc.getTransceivers()
                     if t.kind == "video" and t.direction != "sendonly" and t.mid in self.mids]

        async def one(transceiver: Any) -> float | None:
            got = self.received[self.mids[transceiver.mid]]["video"]
            before, start = got.keyframes, time.monotonic()
            for source in transceiver.receiver.getSynchronizationSources():
                await transceiver.receiver._send_rtcp_pli(source.source)
            while got.keyframes == before:
                if time.monotonic() - start > timeout:
                    return None
                await asyncio.sleep(0.01)
            return (got.keyframe_at or start) - start
        return list(await asyncio.gather(*(one(t) for t in receiving)))

    async def _consume(self, track: MediaStreamTrack, mid: str | None) -> None:
        try:
            while True:
                frame = await track.recv()
                who = self.mids.get(mid or "", "?")
                got = self.received[who][track.kind]
                got.frames += 1
                got.first_at = got.first_at or time.monotonic()
                if isinstance(frame, VideoFrame):
                    got.sizes.add((frame.width, frame.height))
        except MediaStreamError:
            pass

    async def wait_for(self, predicate, timeout: float = 20.0) -> None:  # noqa: ANN001
        async def poll() -> None:
            while not predicate(self):
                await asyncio.sleep(0.1)
        try:
            await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            # Say what this client saw: a test that times out otherwise shows nothing.
            kinds = [m.get("type") for m in self.messages[-20:]]
            raise AssertionError(f"client {self.label}: not so after {timeout} s; last messages "
                                 f"{kinds}, errors {self.errors[-5:]}, socket closed: "
                                 f"{self.ws.closed if self.ws is not None else None}") from None

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if hasattr(self, "pc"):
            await self.pc.close()
        if hasattr(self, "ws"):
            await self.ws.close()
        if hasattr(self, "_http"):
            await self._http.close()
        if self._player is not None and self._player.audio is not None:
            self._player.audio.stop()
