"""A snapshot: the latest frame of a participant's video exactly as the server decoded it
from what the phone sent, at the size it was sent, as a lossless PNG. Taken here rather
than in the inspector's browser so that what is stored as observed was observed: no
console can put another picture in its place.

The server forwards video without decoding it, so a snapshot decodes on demand: the
source keeps the encoded frames since the latest keyframe, and `decode` runs them through
a fresh VP8 decoder (a keyframe and a second of delta frames take a few tens of ms).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import av
import cv2
from av import VideoFrame

from media.errors import MediaError
from media.rooms import Rooms
from media.source import EncodedFrame

MAX_AGE_S = 5.0  # an older frame is a frozen picture, not the party now


class NoFrame(MediaError):
    """There is no recent picture of that participant in a room of this process."""


@dataclass(frozen=True)
class Picture:
    frames: tuple[EncodedFrame, ...]  # a keyframe first, then the delta frames after it

    @property
    def received_at(self) -> float:
        """When the server received the latest frame (Unix time)."""
        return self.frames[-1].arrival_us / 1e6


def latest(rooms: Rooms, interview_id: str, participant_id: str,
           max_age_s: float = MAX_AGE_S) -> Picture:
    room = rooms.find(interview_id)
    peer = room.peers.get(participant_id) if room is not None else None
    if peer is None:
        raise NoFrame("is not in the call on this server")
    source = peer.incoming.get("video")
    frames = source.picture() if source is not None else []
    if source is None or source.last_frame_at is None or not frames:
        raise NoFrame("is not sending video")
    age = time.monotonic() - source.last_frame_at
    if age > max_age_s:
        raise NoFrame(f"has sent no video for {int(age)} s")
    return Picture(tuple(frames))


def decode(picture: Picture) -> VideoFrame:
    """The picture's latest frame, decoded at full size. Blocking: run it in a thread."""
    decoder = av.CodecContext.create(picture.frames[0].codec.lower(), "r")
    decoded: VideoFrame | None = None
    try:
        for frame in picture.frames:
            for out in decoder.decode(av.Packet(frame.data)):
                decoded = out
    except av.FFmpegError as exc:
        raise NoFrame(f"sent video that could not be decoded ({exc})") from None
    if decoded is None:
        raise NoFrame("sent video that could not be decoded")
    return decoded


def png(frame: VideoFrame) -> bytes:
    """Lossless, full size. Blocking: run it in a worker thread."""
    ok, data = cv2.imencode(".png", frame.to_ndarray(format="bgr24"))
    if not ok:
        raise ValueError("the frame could not be encoded as PNG")
    return data.tobytes()
