"""The bundled Whisper models, made ready once per test session (the multilingual `base`
is assembled from its two packages; doing that per test would copy 140 MB each time),
and one Whisper worker process per model and setting for the whole session.

An app's transcription runner and live listening each start a worker process that loads
the model (2.4 s for tiny.en, 4.7 s for base on the build machine); in tests they take
the session's instead. A worker stopped with work still in it (a test that ended
mid-call, a crash) is stopped for real, as the server does, and the next app gets a new
one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from server.transcribe import worker
from transcription.models import resolve_model


@pytest.fixture(scope="session")
def whisper_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("whisper")
    return {name: resolve_model(name, root) for name in ("base", "tiny.en")}


@pytest.fixture(scope="session", autouse=True)
def whisper_pools() -> Iterator[dict[tuple, ProcessPoolExecutor]]:
    pools: dict[tuple, ProcessPoolExecutor] = {}
    new_pool, stop_pool = worker.new_pool, worker.stop_pool

    def shared(model_dir: Path, device: str, threads: int, log_level: str,
               nice: int = 0) -> ProcessPoolExecutor:
        key = (str(model_dir), device, threads, log_level, nice)
        pool = pools.get(key)
        if pool is None or _unusable(pool):
            pool = pools[key] = new_pool(model_dir, device, threads, log_level, nice)
        return pool

    def stop(pool: ProcessPoolExecutor) -> None:
        if pool in pools.values() and not _unusable(pool) and not pool._pending_work_items:
            return  # idle: kept for the next app
        for key in [k for k, p in pools.items() if p is pool]:
            del pools[key]
        stop_pool(pool)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(worker, "new_pool", shared)
        patch.setattr(worker, "stop_pool", stop)
        yield pools
    for pool in pools.values():
        stop_pool(pool)


def _unusable(pool: ProcessPoolExecutor) -> bool:
    return bool(pool._broken) or pool._shutdown_thread
