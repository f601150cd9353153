"""The spawned transcription worker process: how it is started and stopped, and what it
runs first (the server's JSON logging, then the model). Kept apart from runner.py so
that the worker imports no database code."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from server.logs import setup_logging
from transcription import pipeline


def init_worker(model_dir: str, device: str, cpu_threads: int, log_level: str,
                nice: int = 0) -> None:
    """The pool's initializer. A spawned process starts with no logging set up, and it
    writes to the server's own stderr: its lines must be JSON like the server's. `nice`:
    how far below the server this process runs (live listening must never starve a call)."""
    if nice:
        os.nice(nice)
    setup_logging(log_level)
    pipeline.init_worker(model_dir, device, cpu_threads)


def new_pool(model_dir: Path, device: str, threads: int, log_level: str,
             nice: int = 0) -> ProcessPoolExecutor:
    """One worker process that loads the model once. Spawned, not forked: a child forked
    from a process that has already run ONNX Runtime or CTranslate2 threads can inherit a
    held lock and hang for ever."""
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=init_worker,
        initargs=(str(model_dir), device, threads, log_level, nice))


def stop_pool(pool: ProcessPoolExecutor, wait_s: float = 5.0) -> None:
    """Stop at once: a Whisper call can take a while, so do not wait for it. The worker
    owns no named semaphore (pipeline.init_worker sees to it), so killing it leaks none.

    Then wait for the pool's manager thread, which is quick once the worker is gone. Left
    running, it may close its wake-up pipe just as Python 3.11's exit hook writes to it,
    and the process ends with "Exception ignored in: <module 'threading'>"."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    if manager is not None:
        manager.join(wait_s)


def english_only(model_dir: Path) -> bool:
    """English-only Whisper models have 51864 tokens, multilingual ones 51865 or more."""
    try:
        if (model_dir / "vocabulary.txt").is_file():
            size = len((model_dir / "vocabulary.txt").read_text(encoding="utf-8").splitlines())
        else:
            size = len(json.loads((model_dir / "vocabulary.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False
    return size < 51865
