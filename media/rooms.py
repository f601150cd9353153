"""All rooms of this process, by interview id."""

from __future__ import annotations

from media.room import OnEvent, Room


class Rooms:
    def __init__(self, on_event: OnEvent | None = None) -> None:
        self._rooms: dict[str, Room] = {}
        self._on_event = on_event

    def get(self, interview_id: str) -> Room:
        room = self._rooms.get(interview_id)
        if room is None:
            room = self._rooms[interview_id] = Room(interview_id, self._on_event)
        return room

    def find(self, interview_id: str) -> Room | None:
        return self._rooms.get(interview_id)

    def forget_if_empty(self, interview_id: str) -> None:
        room = self._rooms.get(interview_id)
        if room is not None and not room.peers:
            del self._rooms[interview_id]

    async def end(self, interview_id: str) -> None:
        room = self._rooms.pop(interview_id, None)
        if room is not None:
            await room.close({"type": "ended"})

    async def close_all(self) -> None:
        for interview_id in list(self._rooms):
            room = self._rooms.pop(interview_id)
            # No "ended": the pages reconnect by themselves once a server is back.
            await room.close()

    def __len__(self) -> int:
        return len(self._rooms)
