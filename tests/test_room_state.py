"""Room bookkeeping without peers: ended rooms, forgetting empty rooms."""

from __future__ import annotations

import pytest

from media.errors import RoomClosed
from media.rooms import Rooms


async def test_an_ended_room_cannot_be_entered_again() -> None:
    rooms = Rooms()
    room = rooms.get("iv")
    await rooms.end("iv")
    assert room.closed and rooms.find("iv") is None
    with pytest.raises(RoomClosed):
        rooms.get("iv")
    with pytest.raises(RoomClosed):
        await room.join(object())  # a stale reference is refused too


async def test_a_room_being_joined_is_not_forgotten() -> None:
    rooms = Rooms()
    room = rooms.get("iv")
    room.joining += 1  # what join() does before its first await
    rooms.forget_if_empty("iv")
    assert rooms.find("iv") is room
    room.joining -= 1
    rooms.forget_if_empty("iv")
    assert rooms.find("iv") is None
