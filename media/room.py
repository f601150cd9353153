"""One interview's room: who is connected, and whose tracks go to whom.

Every participant sends to the server and receives every other participant's tracks
from it; participants never connect to each other. The room tells its owner about
joins, leaves and replacements through `on_event`, and persists nothing itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from media.clock import utc_now
from media.errors import RoomClosed, RoomFull
from media.peer import Feed, Peer
from media.signals import Attendee, Ended, Muted, Presence, Replaced, Roster, Signal
from media.source import Source

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoomEvent:
    """`kind` is joined, rejoined, left or replaced; `at` is server UTC time."""

    interview_id: str
    kind: str
    peer: Peer
    at: datetime
    reason: str = ""


OnEvent = Callable[[RoomEvent], Awaitable[None]]


class TrackObserver(Protocol):
    """Told about each participant track as it arrives, before its receiver starts."""

    def track_started(self, interview_id: str, peer: Peer, kind: str,
                      source: Source | None) -> None: ...


class Room:
    def __init__(self, interview_id: str, on_event: OnEvent | None = None,
                 observer: TrackObserver | None = None) -> None:
        self.interview_id = interview_id
        self._observer = observer
        self.peers: dict[str, Peer] = {}
        self.muted: set[str] = set()
        self.seen: set[str] = set()
        self._on_event = on_event
        self._tasks: set[asyncio.Task[None]] = set()
        # Joins, leaves, replacements and the end change `peers` one at a time.
        self._lock = asyncio.Lock()
        self.joining = 0
        self.closed = False
        self._seats: set[str] = set()  # participants whose current connection holds a seat

    async def join(self, peer: Peer) -> None:
        """Add a connection; an older connection of the same participant is replaced.

        Joining takes no seat (see `take_seat`). Raises `RoomClosed` once the room has ended.
        """
        self.joining += 1  # before the first await: the room is in use from here on
        try:
            async with self._lock:
                if self.closed:
                    raise RoomClosed("This interview has ended.")
                old = self.peers.get(peer.id)
                peer.connected_at = utc_now()
                peer.on_incoming = self._incoming
                peer.on_media = self._media
                peer.on_failed = lambda failed: self._spawn(self.leave(failed, "network"))
                if old is not None:
                    await _quietly(old.send(Replaced()))
                    await self._drop(old, "replaced")
                kind = "rejoined" if peer.id in self.seen else "joined"
                self.peers[peer.id] = peer
                self.seen.add(peer.id)
                # "takeover": the same link or login, opened on another device, put the
                # connection it had out (a reconnect after a drop has no old one left).
                await self._announce(kind, peer, "takeover" if old is not None else "")
        finally:
            self.joining -= 1

    def take_seat(self, peer: Peer, *, seats: int, staff_seats: int) -> None:
        """Seat a connection about to send its media, or raise `RoomFull`.

        A seat costs the server a decode and encodes, so only connections that send media
        hold one: parties that join and never offer keep nobody out. Parties take at most
        `seats - staff_seats` seats, so that inspectors always find one. A connection keeps
        its seat until it leaves or `free_seat`.
        """
        if self.closed:
            raise RoomClosed("This interview has ended.")
        if self.peers.get(peer.id) is not peer or peer.id in self._seats:
            return
        if not self.seat_free(peer.id, peer.participant.kind, seats=seats, staff_seats=staff_seats):
            raise RoomFull(f"This interview already has as many participants as it may "
                           f"({seats}, {staff_seats} of the seats kept for inspectors).")
        self._seats.add(peer.id)

    def free_seat(self, peer: Peer) -> None:
        if self.peers.get(peer.id) is peer:
            self._seats.discard(peer.id)

    def seat_free(self, participant_id: str, kind: str, *, seats: int, staff_seats: int) -> bool:
        """Whether `take_seat` would seat this participant (`kind` staff or party) now.
        A seat its older connection holds counts as free: joining replaces that one."""
        kinds = [self.peers[i].participant.kind for i in self._seats if i != participant_id]
        if len(kinds) >= seats:
            return False
        return kind == "staff" or kinds.count("party") < seats - staff_seats

    async def ready(self, peer: Peer) -> None:
        """After the participant's own offer is answered: send it everyone else's tracks."""
        async with self._lock:
            if self.peers.get(peer.id) is not peer or peer.closed:
                return
            for other in self.peers.values():
                if other is peer:
                    continue
                for feed in other.feeds():
                    peer.attach(other.id, feed, muted=feed.kind == "audio" and other.id in self.muted)
        await peer.negotiate()

    def _media(self, peer: Peer, kind: str, source: Source | None) -> None:
        if self._observer is not None and self.peers.get(peer.id) is peer:
            self._observer.track_started(self.interview_id, peer, kind, source)

    def _incoming(self, peer: Peer, feed: Feed) -> None:
        if self.peers.get(peer.id) is not peer:
            return
        muted = feed.kind == "audio" and peer.id in self.muted
        # Peers still making their first exchange get everything in `ready()` instead:
        # a slot added before their offer is answered would be taken for their own m-line.
        receivers = [other for other in self.peers.values() if other is not peer and other.ready]
        for other in receivers:
            other.attach(peer.id, feed, muted=muted)
        for other in receivers:
            self._spawn(other.negotiate())

    async def leave(self, peer: Peer, reason: str = "left") -> None:
        async with self._lock:
            await self._drop(peer, reason)

    async def expel(self, participant_id: str, message: Signal, reason: str) -> None:
        """Put a participant out (a withdrawn link): tell it why, then close it."""
        async with self._lock:
            peer = self.peers.get(participant_id)
            if peer is not None:
                await _quietly(peer.send(message))
                await self._drop(peer, reason)

    async def _drop(self, peer: Peer, reason: str) -> None:
        """Remove and close a connection. Called with the lock held."""
        if self.peers.get(peer.id) is not peer:  # already replaced or gone
            await peer.close()
            return
        del self.peers[peer.id]
        self._seats.discard(peer.id)
        peer.end_reason = reason
        for other in self.peers.values():
            other.detach(peer.id)
            self._spawn(other.negotiate())
        await peer.close()
        await self._announce("replaced" if reason == "replaced" else "left", peer, reason)

    async def set_muted(self, participant_id: str, muted: bool) -> None:
        """Stop or restart forwarding one participant's audio; the server still receives it."""
        (self.muted.add if muted else self.muted.discard)(participant_id)
        for other in self.peers.values():
            other.set_muted(participant_id, "audio", muted)
        target = self.peers.get(participant_id)
        if target is not None:
            await _quietly(target.send(Muted(muted)))
        await self.broadcast(self.roster())

    def roster(self) -> Roster:
        return Roster(tuple(
            Attendee(p.id, p.participant.name, p.participant.role, p.participant.kind,
                     p.connected_at, p.id in self.muted)
            for p in self.peers.values()
        ))

    async def broadcast(self, message: Signal) -> None:
        await asyncio.gather(*(_quietly(p.send(message)) for p in list(self.peers.values())))

    async def broadcast_staff(self, message: Signal) -> None:
        staff = [p for p in self.peers.values() if p.participant.kind == "staff"]
        await asyncio.gather(*(_quietly(p.send(message)) for p in staff))

    async def close(self, message: Signal | None = None) -> None:
        """End the room: tell everyone (e.g. `Ended()`) and close every connection."""
        async with self._lock:
            self.closed = True
            if message is not None:
                await self.broadcast(message)
            for peer in list(self.peers.values()):
                await self._drop(peer, "ended")
        for task in list(self._tasks):
            task.cancel()

    async def _announce(self, kind: str, peer: Peer, reason: str = "") -> None:
        at = utc_now()
        if kind != "replaced":
            await self.broadcast(Presence(kind, peer.id, peer.participant.name,
                                          peer.participant.role, reason, at))
            await self.broadcast(self.roster())
        if self._on_event is not None:
            try:
                await self._on_event(RoomEvent(self.interview_id, kind, peer, at, reason))
            except Exception:
                log.exception("recording a room event failed")

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("room task failed", exc_info=task.exception())


async def _quietly(sending: Awaitable[None]) -> None:
    # A participant whose socket is already gone must not stop the others' messages.
    try:
        await sending
    except (ConnectionError, RuntimeError):
        pass
