"""Speech for the transcription tests: espeak-ng clips, and an aiortc audio track that says
them at set moments of a shared clock, with silence in between."""

from __future__ import annotations

import asyncio
import fractions
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from tests.support.clock import now

RATE, SAMPLES = 48000, 960  # what a browser sends: 20 ms frames at 48 kHz


def espeak(text: str, voice: str = "en", speed: int = 140) -> np.ndarray:
    """`text` spoken by espeak-ng, as 48 kHz mono int16. For Mandarin use the voice
    `cmn-latn-pinyin` with pinyin and tone digits."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clip.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                       check=True, capture_output=True)
        with wave.open(str(path)) as clip:
            rate = clip.getframerate()
            pcm = np.frombuffer(clip.readframes(clip.getnframes()), np.int16)
    return resample(pcm, rate)


def resample(pcm: np.ndarray, rate: int) -> np.ndarray:
    frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    out = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.int16)


@dataclass(frozen=True)
class Line:
    """One utterance of a script: who says what, from `at` seconds on the shared clock."""

    who: str
    text: str
    at: float
    samples: np.ndarray

    @property
    def end(self) -> float:
        return self.at + len(self.samples) / RATE


def script(lines: list[tuple[str, str]], voice: str, *, pause: float = 1.2,
           start: float = 0.5) -> list[Line]:
    """Lines said one after another with `pause` seconds between them."""
    out, at = [], start
    for who, text in lines:
        samples = espeak(text, voice)
        out.append(Line(who, text, at, samples))
        at = out[-1].end + pause
    return out


class ScriptedAudio(MediaStreamTrack):
    """Silence (with a little noise, like a real microphone) until its lines come due on
    the clock that `start(t0)` fixes; before that, silence only.

    Paced in real time on its own sample count: a reader held up (this process's loop was
    busy) gets the frames it missed at once, with their own timestamps, so the call always
    carries the whole script, only sometimes in a burst. The server places audio by RTP
    time, so a burst lands where the script says."""

    kind = "audio"

    def __init__(self, lines: list[Line], noise: float = 30.0) -> None:
        super().__init__()
        self.lines = lines
        self.noise = noise
        self.t0: float | None = None
        self._sent = 0
        self._begun: float | None = None
        self._rng = np.random.default_rng(len(lines))
        self.most_behind = 0.0  # seconds: the longest this sender was held up

    def start(self, t0: float) -> None:
        self.t0 = t0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._begun is None:
            self._begun = now()
        else:
            await asyncio.sleep(max(0.0, self._begun + self._sent / RATE - now()))
        self.most_behind = max(self.most_behind, now() - (self._begun + self._sent / RATE))
        at = self._begun + self._sent / RATE
        chunk = self._rng.normal(0, self.noise, SAMPLES)
        if self.t0 is not None:
            for line in self.lines:
                offset = int(round((at - self.t0 - line.at) * RATE))
                if -SAMPLES < offset < len(line.samples):
                    lo, hi = max(offset, 0), min(offset + SAMPLES, len(line.samples))
                    chunk[lo - offset:hi - offset] += line.samples[lo:hi]
        frame = AudioFrame.from_ndarray(
            np.clip(chunk, -32768, 32767).astype(np.int16).reshape(1, -1), format="s16",
            layout="mono")
        frame.sample_rate, frame.pts = RATE, self._sent
        frame.time_base = fractions.Fraction(1, RATE)
        self._sent += SAMPLES
        return frame
