"""The evidence package's errors: one root, typed children.

`server/` maps these to HTTP answers in one middleware; nothing here knows HTTP.
"""


class EvidenceError(Exception):
    """Root of every error raised by `evidence`."""


class StoreError(EvidenceError):
    """The object store failed or refused an operation."""


class StoreUnavailable(StoreError):
    """The object store could not be reached (connection refused, timeout, DNS), or said
    it cannot serve right now (an internal error, overloaded): try again."""


class StoreMisconfigured(StoreError):
    """The store answered, but refused us: bad credentials, missing bucket, no permission."""


class ObjectConflict(StoreError):
    """A write-once key already holds different bytes."""


class ObjectNotFound(StoreError):
    """No object under that key."""


class IntegrityError(EvidenceError):
    """Bytes do not match the SHA-256 they were recorded with."""
