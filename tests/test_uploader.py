"""The recording's uploader (`LiveRecording`) on its own: an in-memory store and ledger
that fail when told to, and an injected sleep, so an outage of either takes no time. The
same paths run against a real SeaweedFS and PostgreSQL in test_recording_outage.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from evidence import chain, manifest
from evidence.chain import Seal
from evidence.errors import StoreUnavailable
from evidence.segment import SegmentClosed, SegmentStored
from evidence.store import StoredObject
from server.recording import spool
from server.recording.ledger import LedgerUnavailable, SealWritten, Stored
from server.recording.live import BACKOFF, LiveRecording
from server.services.recordings import RecordingMeta

pytestmark = pytest.mark.unit

META = RecordingMeta(id="00000000-0000-4000-8000-000000000001", interview_id="iv",
                     participant_id="p1", participant_kind="party", participant_name="张三",
                     participant_role="worker", kind="audio", node="n1", started_at_us=1)


class MemoryStore:
    """Write-once objects in a dict; `failing` puts raise StoreUnavailable first."""

    object_lock = True

    def __init__(self, failing: int = 0) -> None:
        self.objects: dict[str, bytes] = {}
        self.failing = failing

    async def put(self, key: str, source: bytes | Path, *, sha256: str,
                  content_type: str = "application/octet-stream") -> StoredObject:
        if self.failing:
            self.failing -= 1
            raise StoreUnavailable("connection refused")
        data = source if isinstance(source, bytes) else source.read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256 and key not in self.objects
        self.objects[key] = data
        return StoredObject(key, len(data), sha256, None, version_id=f"v-{len(self.objects)}")


class MemoryLedger:
    """The ledger as lists; `failing` calls raise LedgerUnavailable first."""

    def __init__(self, failing: int = 0) -> None:
        self.segments: list[tuple[SegmentStored, str]] = []
        self.seals: list[tuple[Seal, SealWritten]] = []
        self.failing = failing

    def _maybe_fail(self) -> None:
        if self.failing:
            self.failing -= 1
            raise LedgerUnavailable("connection lost")

    async def segment_stored(self, meta: RecordingMeta, record: SegmentStored, key: str,
                             version_id: str | None) -> None:
        self._maybe_fail()
        if all(r.seq != record.seq for r, _ in self.segments):  # a retry is a no-op
            self.segments.append((record, key))

    async def stored(self, meta: RecordingMeta) -> Stored:
        self._maybe_fail()
        return Stored("case-1", [r.manifest_entry(k) for r, k in self.segments])

    async def sealed(self, meta: RecordingMeta, seal: Seal, written: SealWritten) -> None:
        self._maybe_fail()
        self.seals.append((seal, written))


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def closed(live: LiveRecording, data: bytes, n: int) -> SegmentClosed:
    path = live.open_segment()
    path.write_bytes(data)
    return SegmentClosed(sha256=hashlib.sha256(data).hexdigest(), size=len(data), frames=50,
                         first_arrival_us=n * 1_000_000, last_arrival_us=n * 1_000_000 + 980_000,
                         rtp_first=n * 48_000, rtp_last=n * 48_000 + 47_040, start_ms=n * 1000,
                         end_ms=n * 1000 + 1000, gap=False, path=path, codec="opus")


async def record_two_and_seal(tmp_path: Path, store: MemoryStore, ledger: MemoryLedger,
                              sleep: Sleeps, changes: list[dict[str, Any]] | None = None) -> LiveRecording:
    directory = tmp_path / META.id
    spool.make_dir(directory, META.as_dict())
    live = LiveRecording(META, directory, store=store, ledger=ledger,
                         key=Ed25519PrivateKey.generate(), sleep=sleep,
                         on_change=lambda r: changes is not None and changes.append(r.health()))
    live.segment_closed(closed(live, b"first segment", 0))
    live.segment_closed(closed(live, b"second segment", 1))
    live.seal("ended")
    await live.sealed.wait()
    return live


async def test_segments_and_seal_reach_the_store_and_the_ledger_in_order(tmp_path: Path) -> None:
    store, ledger, sleep = MemoryStore(), MemoryLedger(), Sleeps()
    live = await record_two_and_seal(tmp_path, store, ledger, sleep)
    prefix = f"interviews/iv/recordings/{META.id}"
    assert store.objects[f"{prefix}/000001.webm"] == b"first segment"
    assert store.objects[f"{prefix}/000002.webm"] == b"second segment"
    assert [r.seq for r, _ in ledger.segments] == [1, 2] and sleep.delays == []
    (seal, written), = ledger.seals
    document = json.loads(store.objects[written.key])
    assert written.sha256 == hashlib.sha256(store.objects[written.key]).hexdigest()
    assert document["recording"]["case_id"] == "case-1"
    assert chain.check_chain(META.id, "iv", "p1", "audio", document["segments"],
                             manifest.seal_of(document["seal"]), None) == []
    assert seal.segments == 2 and seal.status == "ended"
    assert live.state == "sealed" and not live.directory.exists()  # the spool is emptied


async def test_an_outage_of_store_and_ledger_is_waited_out_with_growing_pauses(tmp_path: Path) -> None:
    store, ledger, sleep, changes = MemoryStore(failing=4), MemoryLedger(failing=2), Sleeps(), []
    live = await record_two_and_seal(tmp_path, store, ledger, sleep, changes)
    assert sleep.delays == [*BACKOFF[:4], *BACKOFF[:2]]  # four failed puts, then two writes
    assert [r.seq for r, _ in ledger.segments] == [1, 2] and len(ledger.seals) == 1
    raised = {a["code"]: a["message"] for health in changes for a in health["alarms"]}
    assert set(raised) == {"upload", "database"}
    assert raised["database"] == "database failing, retrying in 0.5 s: connection lost"
    assert live.alarms == {} and live.state == "sealed"  # each alarm cleared once through
    waiting = [health["waiting"] for health in changes]
    assert max(waiting) == 2 and waiting[-1] == 0


async def test_a_recording_that_stored_nothing_leaves_no_seal(tmp_path: Path) -> None:
    store, ledger = MemoryStore(), MemoryLedger()
    directory = tmp_path / META.id
    spool.make_dir(directory, META.as_dict())
    live = LiveRecording(META, directory, store=store, ledger=ledger,
                         key=Ed25519PrivateKey.generate(), sleep=Sleeps())
    live.seal("interrupted")
    await live.sealed.wait()
    assert store.objects == {} and ledger.seals == [] and not directory.exists()
