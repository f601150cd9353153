"""Every recording of this process: started by the rooms, sealed at the end, recovered
after a crash, watched all the while.

A recording is one participant's audio or video in one interview. A reconnect feeds the
same recording (its next segment is marked as following a gap). Ending the interview
seals each chain; a server that stopped mid-interview seals what it left as
"interrupted" on its next start, after finishing the torn segments in its spool.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import async_sessionmaker

from evidence.segment import SegmentStored
from evidence.store import ObjectStore
from media.clock import clock_us
from media.peer import Peer
from media.recorder import FRAME_MS, TrackRecorder
from media.rooms import Rooms
from media.signals import Notice
from media.source import Source
from server.db.models import Interview, InterviewState
from server.recording import spool
from server.recording.ledger import DatabaseLedger
from server.recording.live import LiveRecording, SegmentJob
from server.services import recordings
from server.services.recordings import RecordingMeta
from server.supervisor import Supervisor

log = logging.getLogger("zeromeet.recording")

SILENT_S = 5.0  # a connected track with no frame for this long raises an alarm
HEALTH_EVERY_S = 2.0


class AudioListener(Protocol):
    """Who hears the audio as it is stored (server/transcribe/live.py)."""

    def segment_stored(self, meta: RecordingMeta, seq: int, sha256: str, data: bytes) -> None: ...

    def recording_sealed(self, meta: RecordingMeta) -> None: ...


class RecordingService:
    def __init__(self, *, data_dir: Path, node: str, store: ObjectStore,
                 sessions: async_sessionmaker, key: Ed25519PrivateKey,
                 supervisor: Supervisor | None = None) -> None:
        self.spool_dir = data_dir / "spool"
        self.node = node
        self._store, self._sessions, self._key = store, sessions, key
        self._ledger = DatabaseLedger(sessions)
        self._live: dict[tuple[str, str, str], LiveRecording] = {}
        self._finished: set[LiveRecording] = set()
        self.rooms: Rooms | None = None
        self.listener: AudioListener | None = None
        self._supervisor = supervisor or Supervisor()
        self.recovered = asyncio.Event()

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        self.spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._supervisor.start("recording-watchdog", self._watchdog)
        self._supervisor.start("recording-recovery", self._recover, restart=False)

    async def shutdown(self, wait: float = 10.0) -> None:
        """Close every track's segment and seal what is live as interrupted, waiting a
        while for the store; whatever is not stored by then stays in the spool for the
        next start."""
        for live in self._all():
            if live.recorder is not None:
                live.recorder.close()
            live.seal("interrupted")
        await _sealed(self._all(), wait)
        for name in ("recording-watchdog", "recording-recovery"):
            await self._supervisor.stop(name)
        await asyncio.gather(*(live.stop() for live in self._all()), return_exceptions=True)

    def _all(self) -> list[LiveRecording]:
        return [*self._live.values(), *self._finished]

    # --- from the rooms ---------------------------------------------------------------

    def track_started(self, interview_id: str, peer: Peer, kind: str,
                      source: Source | None) -> None:
        """A participant's connection brought a track: record it into their recording
        (`source` None: this aiortc cannot hand over encoded frames)."""
        participant = peer.participant
        key = (interview_id, participant.id, kind)
        live = self._live.get(key)
        if live is None or live.sealing:
            live = self._new(interview_id, peer, kind)
        if live.recorder is not None:
            live.recorder.close()  # the connection this one replaces
        if source is None:
            live.alarm("tap", "this track cannot be recorded: this aiortc version keeps encoded "
                              "frames elsewhere; recording needs the version pinned in pyproject.toml")
            return
        recorder = TrackRecorder(kind, live, request_keyframe=source.request_keyframe,
                                 after_gap=live.connections > 0)
        source.listen(recorder.on_frame, recorder.on_end)
        source.on_alarm = live.alarm
        live.recorder = recorder
        live.connections += 1
        live.started_at = time.monotonic()

    def _new(self, interview_id: str, peer: Peer, kind: str) -> LiveRecording:
        participant = peer.participant
        meta = RecordingMeta(
            id=str(uuid.uuid4()), interview_id=interview_id, participant_id=participant.id,
            participant_kind=participant.kind, participant_name=participant.name,
            participant_role=participant.role, kind=kind, node=self.node,
            started_at_us=clock_us())
        directory = self.spool_dir / meta.id
        live = self._make(meta, directory)
        try:
            spool.make_dir(directory, meta.as_dict())
        except OSError as exc:
            live.alarm("write", f"cannot create the spool directory: {exc.strerror or exc}")
        self._live[(interview_id, participant.id, kind)] = live
        log.info("recording started", extra={"recording": meta.id, "interview": interview_id,
                                             "participant": participant.id, "kind": kind})
        return live

    def _make(self, meta: RecordingMeta, directory: Path, **restored: Any) -> LiveRecording:
        return LiveRecording(meta, directory, store=self._store, ledger=self._ledger,
                             key=self._key, on_change=self._changed, on_stored=self._stored,
                             **restored)

    async def _stored(self, live: LiveRecording, record: SegmentStored, path: Path) -> None:
        if self.listener is not None and live.meta.kind == "audio":
            data = await asyncio.to_thread(path.read_bytes)
            self.listener.segment_stored(live.meta, record.seq, record.sha256, data)

    def _changed(self, live: LiveRecording) -> None:
        if live.state in ("sealed", "interrupted"):
            if self.listener is not None and live.meta.kind == "audio":
                self.listener.recording_sealed(live.meta)
            self._finished.discard(live)
            key = (live.meta.interview_id, live.meta.participant_id, live.meta.kind)
            if self._live.get(key) is live:
                del self._live[key]

    async def end_interview(self, interview_id: str, wait: float = 15.0) -> None:
        """The interview ended (its room is closed): seal each of its recordings, waiting a
        while for the store so that the answer can show them sealed."""
        ending = [live for (iid, _, _), live in self._live.items() if iid == interview_id]
        for live in ending:
            if live.recorder is not None:
                live.recorder.close()
            live.seal("ended")
            self._finished.add(live)
        await _sealed(ending, wait)

    def health(self, interview_id: str) -> list[dict[str, Any]]:
        return [live.health() for (iid, _, _), live in self._live.items() if iid == interview_id]

    # --- watching -------------------------------------------------------------------

    async def _watchdog(self) -> None:
        last_broadcast = 0.0
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            for live in list(self._live.values()):
                self._check_frames(live, now)
            if now - last_broadcast >= HEALTH_EVERY_S and self.rooms is not None:
                last_broadcast = now
                for interview_id in {iid for iid, _, _ in self._live}:
                    room = self.rooms.find(interview_id)
                    if room is not None:
                        await room.broadcast_staff(Notice({
                            "type": "recording", "recordings": self.health(interview_id)}))

    def _check_frames(self, live: LiveRecording, now: float) -> None:
        recorder = live.recorder
        if recorder is None or recorder.closed:
            live.alarm("no_frames", None)
            return
        since = recorder.last_frame_at or live.started_at
        if now - since > SILENT_S:
            live.alarm("no_frames", f"no {live.meta.kind} has arrived for {int(now - since)} s")
        else:
            live.alarm("no_frames", None)

    # --- after a crash -----------------------------------------------------------------

    async def _recover(self) -> None:
        """Finish and seal what the last run of this node left: recordings the database
        lists as unsealed, and every recording directory in the spool."""
        try:
            async with self._sessions() as session:
                rows = {r.id: r for r in await recordings.unsealed(session, self.node)}
            dirs = await asyncio.to_thread(_spool_dirs, self.spool_dir)
            for recording_id in sorted(set(rows) | set(dirs)):
                await self._recover_one(recording_id, rows.get(recording_id),
                                        self.spool_dir / recording_id)
        except Exception:
            log.exception("recovering recordings failed; they stay in the spool")
        finally:
            self.recovered.set()

    async def _recover_one(self, recording_id: str, row: recordings.Recording | None,
                           directory: Path) -> None:
        left = await asyncio.to_thread(spool.scan, directory) if directory.is_dir() else None
        if row is not None:
            meta = recordings.meta_of(row)
            next_seq, head = row.segment_count + 1, row.head or None
        elif left is not None and left.meta is not None:
            meta = RecordingMeta(**left.meta)
            next_seq, head = 1, None
        else:
            log.warning("spool directory %s has no recording description; left alone", directory)
            return
        if left is None:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            left = spool.Leftovers(meta.as_dict(), [], [], None)
        live = self._make(meta, directory, next_seq=next_seq, head=head)
        self._finished.add(live)
        await asyncio.to_thread(_clear_stale, left, next_seq)
        for record in left.committed:
            if record.seq < next_seq:
                await asyncio.to_thread(spool.forget_segment, directory, record.seq)
                continue
            live.next_seq, live.head = record.seq + 1, record.link
            live.enqueue(SegmentJob(record, None))
        for path in left.torn:
            if path.stem.isdigit() and int(path.stem) < live.next_seq:  # cannot happen: say so
                log.warning("spool file %s is older than the stored chain; left alone", path)
                continue
            recovered = await asyncio.to_thread(spool.recover_torn, path, FRAME_MS[meta.kind])
            if recovered is not None:
                live.segment_closed(recovered, recovered=True)
        ended = await self._interview_ended(meta.interview_id)
        log.info("recovering recording", extra={"recording": meta.id, "segments": live.next_seq - 1,
                                                 "status": "ended" if ended else "interrupted"})
        live.seal("ended" if ended else "interrupted")

    async def _interview_ended(self, interview_id: str) -> bool:
        async with self._sessions() as session:
            interview = await session.get(Interview, interview_id)
            return interview is not None and interview.state is InterviewState.ENDED


async def _sealed(lives: list[LiveRecording], timeout: float) -> None:
    """Wait up to `timeout` for every one of `lives` to be sealed."""
    waits = [asyncio.ensure_future(live.sealed.wait()) for live in lives]
    if waits:
        _, pending = await asyncio.wait(waits, timeout=timeout)
        for waiting in pending:
            waiting.cancel()


def _clear_stale(left: spool.Leftovers, next_seq: int) -> None:
    """Half-written files were never in effect, and a sidecar whose segment the database
    already holds (the kill came between the two removals) says nothing new."""
    for path in left.tmp + [p for seq, p in left.sidecars.items() if seq < next_seq]:
        path.unlink(missing_ok=True)


def _spool_dirs(spool_dir: Path) -> dict[str, Path]:
    if not spool_dir.is_dir():
        return {}
    return {p.name: p for p in spool_dir.iterdir() if p.is_dir() and _is_uuid(p.name)}


def _is_uuid(name: str) -> bool:
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True
