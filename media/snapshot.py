"""A snapshot: the latest frame of a participant's video exactly as the server decoded it
from what the phone sent, at the size it was sent, as a lossless PNG. Taken here rather
than in the inspector's browser so that what is stored as observed was observed: no
console can put another picture in its place."""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
from av import VideoFrame

from media.rooms import Rooms

MAX_AGE_S = 5.0  # an older frame is a frozen picture, not the party now


class NoFrame(Exception):
    """There is no recent picture of that participant in a room of this process."""


@dataclass(frozen=True)
class Frame:
    frame: VideoFrame
    received_at: float  # time.time() when the server read it

    @property
    def size(self) -> tuple[int, int]:
        return self.frame.width, self.frame.height


def latest(rooms: Rooms, interview_id: str, participant_id: str,
           max_age_s: float = MAX_AGE_S) -> Frame:
    room = rooms.find(interview_id)
    peer = room.peers.get(participant_id) if room is not None else None
    if peer is None:
        raise NoFrame("is not in the call on this server")
    fanout = peer.incoming.get("video")
    if fanout is None or fanout.last_frame is None or fanout.last_frame_at is None:
        raise NoFrame("is not sending video")
    age = time.time() - fanout.last_frame_at
    if age > max_age_s:
        raise NoFrame(f"has sent no video for {int(age)} s")
    assert isinstance(fanout.last_frame, VideoFrame)
    return Frame(fanout.last_frame, fanout.last_frame_at)


def png(frame: VideoFrame) -> bytes:
    """Lossless, full size. Blocking: run it in a worker thread."""
    ok, data = cv2.imencode(".png", frame.to_ndarray(format="bgr24"))
    if not ok:
        raise ValueError("the frame could not be encoded as PNG")
    return data.tobytes()
