"""The object store adapter: write-once evidence objects on any S3 API (minio SDK).

Every blocking minio call runs in a worker thread; nothing here blocks the event loop.
The application never deletes evidence, so there is deliberately no delete method.

Reads take one version of a key: the one `put` returned (and its caller recorded), or,
given none, the key's original (oldest) version. Never simply the latest: with the
store's credentials anyone can put a newer version or a delete marker over evidence, and
object lock keeps the original but not the key's latest version. `shadowing` names that.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

import urllib3
from minio.commonconfig import COMPLIANCE
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.retention import Retention

from evidence.errors import (
    IntegrityError,
    ObjectConflict,
    ObjectNotFound,
    StoreError,
    StoreMisconfigured,
    StoreUnavailable,
)
from evidence.hashing import CHUNK, HashingReader, is_sha256_hex, sha256_bytes, sha256_file
from evidence.s3client import minio_client
from evidence.s3errors import s3_error
from evidence.versions import NULL_VERSION, ObjectVersion, original, read_id, shadowing

log = logging.getLogger(__name__)

SHA256_META = "sha256"  # stored as the user metadata header x-amz-meta-sha256
_NO_LOCK_CODES = {"ObjectLockConfigurationNotFoundError", "NotImplemented", "MethodNotAllowed"}


@dataclass(frozen=True)
class StoredObject:
    """One version of an object as the store holds it. `sha256` is "" if the object
    carries none; `version_id` is None in a bucket without versioning."""

    key: str
    size: int
    sha256: str
    retain_until: datetime | None
    version_id: str | None = None


class ObjectStore(Protocol):
    """Write-once object storage for evidence. Errors are `evidence.errors.StoreError`s."""

    @property
    def object_lock(self) -> bool: ...

    async def ensure_bucket(self) -> None: ...

    async def put(
        self,
        key: str,
        source: bytes | Path,
        *,
        sha256: str,
        content_type: str = "application/octet-stream",
    ) -> StoredObject: ...

    async def get(self, key: str, version_id: str | None = None) -> bytes: ...

    async def download(self, key: str, dest: Path, version_id: str | None = None) -> None: ...

    async def stat(self, key: str, version_id: str | None = None) -> StoredObject | None: ...

    async def exists(self, key: str) -> bool: ...

    async def verify(self, key: str, sha256: str, version_id: str | None = None) -> bool: ...

    async def shadowing(self, key: str, version_id: str | None = None) -> str: ...


class S3ObjectStore:
    """`ObjectStore` on one bucket of an S3 API: MinIO, SeaweedFS or AWS S3."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        retention_days: int = 3650,
    ) -> None:
        if retention_days <= 0:
            raise ValueError(f"retention_days must be positive, not {retention_days}")
        self.endpoint = endpoint
        self.bucket = bucket
        self.retention_days = retention_days
        self._access_key = access_key
        self._region = region
        self._client = minio_client(
            endpoint, access_key, secret_key, secure=secure, region=region
        )
        self._lock: bool | None = None  # unknown until ensure_bucket() has looked

    @property
    def object_lock(self) -> bool:
        """Whether the bucket has object lock; False until `ensure_bucket()` has run."""
        return bool(self._lock)

    async def ensure_bucket(self) -> None:
        """Create the bucket with object lock if missing; learn whether it has object lock."""
        await asyncio.to_thread(self._ensure_bucket)

    async def put(
        self,
        key: str,
        source: bytes | Path,
        *,
        sha256: str,
        content_type: str = "application/octet-stream",
    ) -> StoredObject:
        """Store `source` under `key` once, after checking it hashes to `sha256`; the
        answer carries the version written, for the caller to record and read back.

        A retry with the same hash returns the stored object (its original version);
        different bytes under an existing key raise `ObjectConflict`. Files are
        streamed, never read whole.
        Callers must not race two different writers on one key: S3 offers no portable
        create-only PUT, so the existence check and the write are two requests.
        """
        if self._lock is None:
            await self.ensure_bucket()
        return await asyncio.to_thread(self._put, key, source, sha256, content_type)

    async def get(self, key: str, version_id: str | None = None) -> bytes:
        """The whole object (`version_id`, else its original version); `IntegrityError`
        if it no longer matches its recorded SHA-256."""
        chunks: list[bytes] = []
        await asyncio.to_thread(self._read_checked, key, version_id, chunks.append)
        return b"".join(chunks)

    async def download(self, key: str, dest: Path, version_id: str | None = None) -> None:
        """Stream the object to `dest` (atomically replaced), checking its recorded SHA-256."""
        await asyncio.to_thread(self._download, key, version_id, dest)

    async def stat(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The version's size, recorded SHA-256 and retention; None if there is none."""
        return await asyncio.to_thread(self._stat, key, version_id)

    async def exists(self, key: str) -> bool:
        return await self.stat(key) is not None

    async def verify(self, key: str, sha256: str, version_id: str | None = None) -> bool:
        """Stream the version back and re-hash it: True if its bytes hash to `sha256`."""
        actual, _ = await asyncio.to_thread(self._read, key, version_id, None)
        return actual == sha256

    async def shadowing(self, key: str, version_id: str | None = None) -> str:
        """What was put over the version (`version_id`, else the original) so that a
        plain read of the key no longer gets it — "a newer version was written over
        it", "a delete marker hides it" — or "" when nothing was."""
        return shadowing(await asyncio.to_thread(self._versions, key), version_id)

    # --- blocking halves, run in worker threads -------------------------------------

    def _ensure_bucket(self) -> None:
        with self._mapped("check its bucket"):
            if not self._client.bucket_exists(self.bucket):
                self._make_bucket()
            self._lock = self._lock_enabled()
        if not self._lock:
            log.warning(
                "Bucket %s at %s has no object lock: evidence is write-once by this "
                "program's discipline only, not enforced by the store.",
                self.bucket,
                self.endpoint,
            )

    def _make_bucket(self) -> None:
        try:
            self._client.make_bucket(self.bucket, location=self._region, object_lock=True)
        except S3Error as exc:
            # Another process may have created it between our check and our create.
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
        else:
            log.info("Created bucket %s at %s with object lock", self.bucket, self.endpoint)

    def _lock_enabled(self) -> bool:
        try:
            self._client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            if exc.code in _NO_LOCK_CODES:
                return False
            raise
        return True

    def _put(
        self, key: str, source: bytes | Path, sha256: str, content_type: str
    ) -> StoredObject:
        if not is_sha256_hex(sha256):
            raise ValueError(f"sha256 must be 64 lowercase hex digits, not {sha256!r}")
        actual = sha256_bytes(source) if isinstance(source, bytes) else sha256_file(source)
        if actual != sha256:
            raise IntegrityError(
                f"Refusing to store {key!r}: its bytes hash to {actual}, not {sha256}."
            )
        existing = self._stat(key, None)
        if existing is not None:
            return self._same_or_conflict(existing, sha256)
        retain_until = self._retain_until() if self._lock else None
        retention = Retention(COMPLIANCE, retain_until) if retain_until else None
        with _open_source(source) as (stream, length):
            reader = HashingReader(stream)
            with self._mapped(f"store {key!r}", key):
                written = self._client.put_object(
                    self.bucket,
                    key,
                    reader,
                    length,
                    content_type=content_type,
                    metadata={SHA256_META: sha256},
                    retention=retention,
                )
        if reader.hexdigest() != sha256:
            raise IntegrityError(
                f"{key!r} changed while it was being uploaded: the store now holds bytes "
                f"hashing to {reader.hexdigest()}, not {sha256}."
            )
        return StoredObject(key, length, sha256, retain_until, _version(written.version_id))

    def _same_or_conflict(self, existing: StoredObject, sha256: str) -> StoredObject:
        if existing.sha256 == sha256:
            return existing
        raise ObjectConflict(
            f"{existing.key!r} already holds different bytes "
            f"(SHA-256 {existing.sha256 or 'not recorded'}, not {sha256})."
        )

    def _retain_until(self) -> datetime:
        # S3 keeps retention dates to the second; drop the rest so stat() agrees with put().
        now = datetime.now(UTC).replace(microsecond=0)
        return now + timedelta(days=self.retention_days)

    def _versions(self, key: str) -> list[ObjectVersion]:
        """Every version and delete marker of exactly `key`, in the store's order."""
        with self._mapped(f"list the versions of {key!r}", key):
            return [
                ObjectVersion(_version(o.version_id), _flag(o.is_latest),
                              _flag(o.is_delete_marker), o.last_modified)
                for o in self._client.list_objects(self.bucket, prefix=key, include_version=True)
                if o.object_name == key and not o.is_dir
            ]

    def _resolve(self, key: str, version_id: str | None) -> str | None:
        """The version to read: `version_id`, else the key's original (oldest) one —
        "null" for an original from before its bucket was versioned. None then means
        the key's only version, unversioned, read plainly."""
        if version_id is not None:
            return version_id
        versions = self._versions(key)
        first = original(versions)
        if first is None:
            raise ObjectNotFound(f"No object {key!r} in bucket {self.bucket}.")
        return read_id(versions, first)

    def _stat(self, key: str, version_id: str | None) -> StoredObject | None:
        try:
            version = self._resolve(key, version_id)
            with self._mapped(f"look up {key!r}", key):
                found = self._client.stat_object(self.bucket, key, version_id=version)
        except ObjectNotFound:
            return None
        headers = found.metadata
        until = headers.get("x-amz-object-lock-retain-until-date")
        return StoredObject(
            key=key,
            size=found.size or 0,
            sha256=headers.get(f"x-amz-meta-{SHA256_META}", ""),
            retain_until=datetime.fromisoformat(until) if until else None,
            version_id=_version(found.version_id) or _version(version),
        )

    def _read(
        self, key: str, version_id: str | None, sink: Callable[[bytes], object] | None
    ) -> tuple[str, str]:
        """Stream the version into `sink`; return (actual SHA-256, recorded SHA-256)."""
        version = self._resolve(key, version_id)
        with self._mapped(f"read {key!r}", key):
            response = self._client.get_object(self.bucket, key, version_id=version)
            try:
                recorded = response.headers.get(f"x-amz-meta-{SHA256_META}", "")
                reader = HashingReader(response)  # type: ignore[arg-type]
                while chunk := reader.read(CHUNK):
                    if sink is not None:
                        sink(chunk)
            finally:
                response.close()
                response.release_conn()
        return reader.hexdigest(), recorded

    def _read_checked(
        self, key: str, version_id: str | None, sink: Callable[[bytes], object]
    ) -> None:
        actual, recorded = self._read(key, version_id, sink)
        if recorded and actual != recorded:
            raise IntegrityError(
                f"{key!r} in bucket {self.bucket} hashes to {actual}, "
                f"but was stored with SHA-256 {recorded}."
            )

    def _download(self, key: str, version_id: str | None, dest: Path) -> None:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                self._read_checked(key, version_id, out.write)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _mapped(self, action: str, key: str | None = None) -> Iterator[None]:
        """Turn minio and urllib3 failures into `StoreError`s with one clear sentence."""
        try:
            yield
        except S3Error as exc:
            raise self._s3_error(exc, action, key) from exc
        except ServerError as exc:
            raise StoreUnavailable(
                f"The object store at {self.endpoint} failed to {action} "
                f"(HTTP {exc.status_code})."
            ) from exc
        except InvalidResponseError as exc:
            raise StoreMisconfigured(
                f"Something answered at {self.endpoint}, but not as an S3 object store: {exc}"
            ) from exc
        except (urllib3.exceptions.HTTPError, ConnectionError) as exc:
            raise StoreUnavailable(
                f"The object store at {self.endpoint} could not be reached to {action}: "
                f"{_reason(exc)}."
            ) from exc

    def _s3_error(self, exc: S3Error, action: str, key: str | None) -> StoreError:
        return s3_error(exc, action, key, endpoint=self.endpoint, bucket=self.bucket,
                        access_key=self._access_key)


@contextmanager
def _open_source(source: bytes | Path) -> Iterator[tuple[BinaryIO, int]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source), len(source)
        return
    with open(source, "rb") as file:
        yield file, os.fstat(file.fileno()).st_size


def _version(version_id: str | None) -> str | None:
    """A version id as recorded: None for one written without versioning ("null"),
    which a read without a version id resolves again."""
    return None if version_id in (None, "", NULL_VERSION) else version_id


def _flag(value: object) -> bool:
    """minio gives a listing's IsLatest as the XML text ("true"/"false")."""
    return value is True or str(value).lower() == "true"


def _reason(exc: BaseException) -> str:
    """The human part of a urllib3 error, e.g. "[Errno 111] Connection refused"."""
    reason = getattr(exc, "reason", None) or exc
    return str(reason).rpartition(">: ")[2].rstrip(".")
