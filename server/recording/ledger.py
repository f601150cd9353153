"""Where a recording's stored segments and its seal are written down.

The uploader (`live.LiveRecording`) tells its ledger each segment it stored and the seal
it made, and reads back what was stored before it seals. The server's ledger is the
database; each call is one transaction, and a call repeated after a failure is a no-op,
so the uploader may retry any of them until it goes through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence.chain import Seal
from evidence.segment import SegmentStored
from server.db.models import Interview
from server.services import recordings
from server.services.recordings import RecordingMeta

T = TypeVar("T")


class LedgerUnavailable(Exception):
    """The ledger could not be written or read just now; the same call may be retried."""


@dataclass(frozen=True)
class Stored:
    """What the ledger holds of one recording before its seal."""

    case_id: str
    entries: list[dict[str, Any]]  # each segment as the manifest lists it, in order


@dataclass(frozen=True)
class SealWritten:
    """Where the seal's manifest went in the object store."""

    key: str
    sha256: str
    size: int
    version_id: str | None


class Ledger(Protocol):
    async def segment_stored(self, meta: RecordingMeta, record: SegmentStored, key: str,
                             version_id: str | None) -> None: ...

    async def stored(self, meta: RecordingMeta) -> Stored: ...

    async def sealed(self, meta: RecordingMeta, seal: Seal, manifest: SealWritten) -> None: ...


class DatabaseLedger:
    """The server's ledger: the `recordings` and `segments` tables."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def segment_stored(self, meta: RecordingMeta, record: SegmentStored, key: str,
                             version_id: str | None) -> None:
        async def write(session: AsyncSession) -> None:
            await recordings.add_segment(session, meta, record, key, version_id)
        await self._in_transaction(write)

    async def stored(self, meta: RecordingMeta) -> Stored:
        async def read(session: AsyncSession) -> Stored:
            rows = await recordings.segments(session, meta.id)
            interview = await session.get(Interview, meta.interview_id)
            return Stored(interview.case_id if interview else "",
                          [recordings.manifest_entry(r) for r in rows])
        return await self._in_transaction(read)

    async def sealed(self, meta: RecordingMeta, seal: Seal, manifest: SealWritten) -> None:
        async def write(session: AsyncSession) -> None:
            await recordings.store_seal(session, meta.id, seal, key=manifest.key,
                                        sha256=manifest.sha256, size=manifest.size,
                                        version_id=manifest.version_id)
        await self._in_transaction(write)

    async def _in_transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        try:
            async with self._sessions() as session, session.begin():
                return await work(session)
        except SQLAlchemyError as exc:
            raise LedgerUnavailable(str(exc)) from exc
