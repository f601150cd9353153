"""All rooms of this process, by interview id."""

from __future__ import annotations

import asyncio

from media.errors import RoomClosed
from media.room import OnEvent, Room, TrackObserver
from media.signals import Ended, Signal


class Rooms:
    def __init__(self, on_event: OnEvent | None = None, observer: TrackObserver | None = None) -> None:
        self._rooms: dict[str, Room] = {}
        self._observer = observer
        self._ended: set[str] = set()
        self._on_event = on_event
        self._tasks: set[asyncio.Task[None]] = set()

    def get(self, interview_id: str) -> Room:
        """The interview's room, made on first use. Join it before the next await, so that
        an emptied room is not forgotten under a joiner. `RoomClosed` once it has ended."""
        if interview_id in self._ended:
            raise RoomClosed("This interview has ended.")
        room = self._rooms.get(interview_id)
        if room is None:
            room = self._rooms[interview_id] = Room(interview_id, self._on_event, self._observer)
        return room

    def keep(self, task: asyncio.Task[None]) -> None:
        """Hold a reference to work that must finish even if its requester is gone."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def find(self, interview_id: str) -> Room | None:
        return self._rooms.get(interview_id)

    def forget_if_empty(self, interview_id: str) -> None:
        room = self._rooms.get(interview_id)
        if room is not None and not room.peers and not room.joining:
            del self._rooms[interview_id]

    async def expel_credential(self, credential: str, message: Signal, reason: str) -> int:
        """Put out every connection admitted by `credential` (a session that logged out)."""
        expelled = 0
        for room in list(self._rooms.values()):
            for peer in list(room.peers.values()):
                if credential and peer.participant.credential == credential:
                    await room.expel(peer.id, message, reason)
                    expelled += 1
        return expelled

    def credentials(self, kind: str) -> set[str]:
        """What admitted each live connection of this kind ("staff": login sessions)."""
        return {peer.participant.credential for room in self._rooms.values()
                for peer in room.peers.values()
                if peer.participant.kind == kind and peer.participant.credential}

    async def end(self, interview_id: str) -> None:
        self._ended.add(interview_id)
        room = self._rooms.pop(interview_id, None)
        if room is not None:
            await room.close(Ended())

    async def close_all(self) -> None:
        for interview_id in list(self._rooms):
            room = self._rooms.pop(interview_id)
            # No "ended": the pages reconnect by themselves once a server is back.
            await room.close()

    def __len__(self) -> int:
        return len(self._rooms)
