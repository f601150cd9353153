"""The bundled Whisper models, made ready once per test session (the multilingual `base`
is assembled from its two packages; doing that per test would copy 140 MB each time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from transcription.models import resolve_model


@pytest.fixture(scope="session")
def whisper_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("whisper")
    return {name: resolve_model(name, root) for name in ("base", "tiny.en")}
