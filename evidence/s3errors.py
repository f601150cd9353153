"""What an S3 error code means for zeromeet: not there, our misconfiguration, or the
store's own trouble for now (retried like an unreachable store)."""

from __future__ import annotations

from minio.error import S3Error

from evidence.errors import ObjectNotFound, StoreError, StoreMisconfigured, StoreUnavailable

_CREDENTIAL_CODES = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken"}
_TRANSIENT_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


def s3_error(exc: S3Error, action: str, key: str | None, *, endpoint: str, bucket: str,
             access_key: str) -> StoreError:
    """One clear sentence for `exc`, raised while trying to `action` (`key`: the object)."""
    where = f"The object store at {endpoint}"
    if exc.code in {"NoSuchKey", "NoSuchVersion"} and key is not None:
        return ObjectNotFound(f"No object {key!r} in bucket {bucket}.")
    if exc.code == "NoSuchBucket":
        return StoreMisconfigured(f"{where} has no bucket {bucket!r}.")
    if exc.code in _CREDENTIAL_CODES:
        return StoreMisconfigured(
            f"{where} refused the access key {access_key!r} or its secret key: {exc.message}")
    if exc.code == "AccessDenied":
        # A HEAD answer has no body, so a wrong secret and a missing permission look the
        # same here; name both.
        return StoreMisconfigured(
            f"{where} refused the access key {access_key!r} when trying to {action} (wrong "
            f"secret key, or no permission on bucket {bucket!r}): {exc.message}")
    if exc.code in _TRANSIENT_CODES:
        # Its own trouble, for now (a volume server still starting after a restart):
        # retried like an unreachable store, never reported as our misconfiguration.
        return StoreUnavailable(f"{where} could not {action} just now ({exc.code}): {exc.message}")
    return StoreMisconfigured(f"{where} refused to {action}: {exc.code}: {exc.message}")
