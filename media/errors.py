"""The media package's errors: one root, typed children. `server/` maps them to answers."""


class MediaError(Exception):
    """Root of every error raised by `media`."""


class NegotiationError(MediaError):
    """An SDP offer or answer could not be applied (malformed, or out of turn)."""


class RoomClosed(MediaError):
    """The interview's room has ended; nobody joins it any more."""


class RoomFull(MediaError):
    """The room already holds as many participants as it may."""
