"""Stored objects that no database row names: `zeromeet store check`.

Every writer puts its bytes in the write-once store before it commits the row that names
them (see `server.services.evidence`). Uploads journal that window and are recorded at
the next start (`server.uploads.pending`), and recordings stay in their spool until both
steps are done (`server.recording.spool`); the record's writers — versions, confirmation
statements, signatures, confirmed PDFs — keep no journal, so a kill between the two
steps leaves a locked object that nothing shows. This lists every such object for an
admin, whichever writer left it, together with any version someone with the store's
credentials put over a recorded one: no row names that version either. Nothing is deleted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import os
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence.store import S3ObjectStore
from evidence.versions import ObjectVersion, original
from server.db.complaint_models import ComplaintFile
from server.db.models import EvidenceItem, Recording, Segment
from server.errors import ConfigError
from server.settings import Settings

# Every key zeromeet writes starts so: uploads and snapshots under cases/, recordings and
# inquiry records under interviews/, complaint forms and complainants' files under
# complaints/.
PREFIXES = ("cases/", "interviews/", "complaints/")

Named = set[tuple[str, str | None]]  # (object key, version id); None: the key's oldest version


@dataclass(frozen=True)
class Orphan:
    """One stored version that no row names. `sha256` is the `x-amz-meta-sha256` its
    writer put on it ("" if none); `version_id` is None in a bucket without versioning."""

    key: str
    version_id: str | None
    size: int
    last_modified: datetime | None
    sha256: str = ""


@dataclass(frozen=True)
class StoreCheck:
    listed: int  # versions holding bytes under PREFIXES (delete markers hold none)
    orphans: list[Orphan]


async def check(sessions: async_sessionmaker, store: S3ObjectStore) -> StoreCheck:
    """Every version under `PREFIXES` that no evidence item, segment or recording
    manifest names. A row without a version id names its key's oldest version, as reads
    do. The rows are read again after the listing, so an object whose row was committed
    while the bucket was being listed is not reported; one whose write is still in
    flight when the check ends is."""
    before = await _named(sessions)
    listed, unnamed = await asyncio.to_thread(_unnamed, store, before)
    after = await _named(sessions)
    orphans = [o for o in unnamed if (o.key, o.version_id) not in after]
    return StoreCheck(listed, [await _with_sha256(store, o) for o in orphans])


async def _named(sessions: async_sessionmaker) -> Named:
    async with sessions() as session:
        rows = [
            *await session.execute(select(EvidenceItem.object_key, EvidenceItem.version_id)),
            *await session.execute(select(Segment.object_key, Segment.version_id)),
            *await session.execute(select(ComplaintFile.object_key, ComplaintFile.version_id)),
            *await session.execute(select(Recording.manifest_key, Recording.manifest_version_id)
                                   .where(Recording.manifest_key != "")),
        ]
    return {(key, version) for key, version in rows}


def _unnamed(store: S3ObjectStore, named: Named) -> tuple[int, list[Orphan]]:
    """Page through every version under `PREFIXES` (blocking; run in a thread). Only
    what no row names is kept, plus every version of the few keys whose rows predate
    version ids, whose oldest version is only known at the end."""
    legacy = {key for key, version in named if version is None}
    pending: dict[str, list[tuple[ObjectVersion, Orphan]]] = defaultdict(list)
    unnamed: list[Orphan] = []
    listed = 0
    # The adapter has no listing of a whole prefix; its client and error mapping are used
    # here rather than growing `ObjectStore` for one admin command.
    for prefix in PREFIXES:
        with store._mapped(f"list the versions under {prefix!r} in bucket {store.bucket!r}"):
            for entry in store._client.list_objects(store.bucket, prefix=prefix,
                                                    recursive=True, include_version=True):
                if entry.is_delete_marker or entry.is_dir or entry.object_name is None:
                    continue
                listed += 1
                found = Orphan(entry.object_name, _version(entry.version_id), entry.size or 0,
                               entry.last_modified)
                if found.version_id is not None and found.key in legacy:
                    pending[found.key].append(
                        (ObjectVersion(found.version_id, False, False, found.last_modified), found))
                elif (found.key, found.version_id) not in named:
                    unnamed.append(found)
    for versions in pending.values():
        oldest = original([v for v, _ in versions])  # listing order: newest first
        unnamed += [o for v, o in versions
                    if v is not oldest and (o.key, o.version_id) not in named]
    return listed, unnamed


async def _with_sha256(store: S3ObjectStore, orphan: Orphan) -> Orphan:
    stored = await store.stat(orphan.key, orphan.version_id)
    return dataclasses.replace(orphan, sha256=stored.sha256 if stored else "")


def _version(version_id: str | None) -> str | None:
    return None if version_id in (None, "", "null") else version_id


@asynccontextmanager
async def reach_store(settings: Settings) -> AsyncIterator[S3ObjectStore]:
    """The evidence store, for a command that runs beside no server. The embedded store
    is started on the data dir as `zeromeet serve` starts it, and stopped after; while a
    server holds that data dir this refuses (`ConfigError`): a second weed must never run
    on the same files, and the server's own one listens on ports chosen at its start."""
    from server.seaweed import EmbeddedSeaweed  # only the embedded case needs weed

    s3 = settings.s3
    embedded = None
    if s3.endpoint is None:
        _refuse_if_serving(settings.data_dir.resolve() / "seaweedfs")
        embedded = EmbeddedSeaweed(settings.data_dir, bucket=s3.bucket)
        s3 = dataclasses.replace(await embedded.start(), retention_days=s3.retention_days)
    try:
        yield S3ObjectStore(endpoint=s3.endpoint or "", access_key=s3.access_key or "",
                            secret_key=s3.secret_key or "", bucket=s3.bucket, secure=s3.secure,
                            region=s3.region, retention_days=s3.retention_days)
    finally:
        if embedded is not None:
            await embedded.stop()


def _refuse_if_serving(root: Path) -> None:
    """The data dir's lock is held by the server that runs its store (see
    `EmbeddedSeaweed._take_lock`); its pid file names that server's weed."""
    if not root.is_dir():
        raise ConfigError(f"There is no embedded object store in {root}; is ZEROMEET_DATA_DIR "
                          f"right, or is ZEROMEET_S3_ENDPOINT missing?")
    try:
        fd = os.open(root / "lock", os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(root / "weed.pid")
        raise ConfigError(
            f"A zeromeet server is running the embedded object store in {root}"
            f"{f' (weed pid {pid})' if pid else ''}; stop it and run `zeromeet store check` "
            f"again: the check starts that store itself, and two must never run on one "
            f"data dir.") from None
    finally:
        os.close(fd)  # closing drops the lock, for the store's own start to take


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
