"""What the spawned transcription worker process runs first: the server's JSON logging,
then the model. Kept apart from runner.py so that the worker imports no database code."""

from __future__ import annotations

from server.logs import setup_logging
from transcription import pipeline


def init_worker(model_dir: str, device: str, cpu_threads: int, log_level: str) -> None:
    """The pool's initializer. A spawned process starts with no logging set up, and it
    writes to the server's own stderr: its lines must be JSON like the server's."""
    setup_logging(log_level)
    pipeline.init_worker(model_dir, device, cpu_threads)
