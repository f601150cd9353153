"""CPU and RSS of processes and of the machine from /proc, and the WAV the parties send."""

from __future__ import annotations

import math
import os
import time
import wave
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- measurement helpers

def proc_cpu_seconds(pid: int) -> float:
    """utime+stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies over all cores, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already inside user/nice
    return total - idle, total


class CpuMeter:
    """CPU used by a set of pids and by the whole machine between `start()` and `stop()`."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids

    def _read(self) -> tuple[float, dict[str, float], tuple[float, float]]:
        per: dict[str, float] = {}
        for name, pids in self.pids.items():
            total = 0.0
            for pid in pids:
                try:
                    total += proc_cpu_seconds(pid)
                except OSError:
                    pass
            per[name] = total
        return time.monotonic(), per, machine_cpu()

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, float]:
        """Cores used over the interval: each name, plus `machine` and `seconds`."""
        t1, per1, (busy1, total1) = self._read()
        t0, per0, (busy0, total0) = self._start
        seconds = t1 - t0
        cores = {name: (per1[name] - per0[name]) / seconds for name in per1}
        ncpu = os.cpu_count() or 1
        cores["machine"] = (busy1 - busy0) / max(1, total1 - total0) * ncpu
        cores["seconds"] = seconds
        return cores


# ---------------------------------------------------------------- audio file

def write_speechlike_wav(path: Path, seconds: float = 10.0, rate: int = 48000) -> None:
    """A mono 16-bit WAV: voiced harmonics with a wandering pitch, syllable-like bursts and pauses."""
    import numpy as np

    n = int(seconds * rate)
    t = np.arange(n) / rate
    pitch = 140 + 30 * np.sin(2 * math.pi * 0.7 * t) + 15 * np.sin(2 * math.pi * 2.3 * t)
    phase = 2 * math.pi * np.cumsum(pitch) / rate
    voice = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = np.clip(np.sin(2 * math.pi * 3.5 * t), 0, None) ** 0.5
    pauses = (np.sin(2 * math.pi * 0.3 * t) > -0.6).astype(float)
    noise = np.random.default_rng(7).normal(0, 0.05, n)
    signal_ = (voice * 0.25 + noise) * syllables * pauses
    pcm = (np.clip(signal_, -1, 1) * 0.5 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
