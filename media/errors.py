"""The media package's errors: one root, typed children. `server/` maps them to answers."""


class MediaError(Exception):
    """Root of every error raised by `media`."""


class NegotiationError(MediaError):
    """An SDP offer or answer could not be applied (malformed, or out of turn)."""
