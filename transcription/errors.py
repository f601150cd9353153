"""The package's errors: one root, so the server maps them to HTTP in one place."""


class TranscriptionError(Exception):
    """Root of everything this package raises on purpose."""


class ModelError(TranscriptionError):
    """The Whisper model cannot be found, assembled or used as asked."""


class AudioError(TranscriptionError):
    """A party's stored segments cannot be turned into audio."""


class FontMissing(TranscriptionError):
    """No font that can write Chinese is installed or configured (for the PDFs)."""
