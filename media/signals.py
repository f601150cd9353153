"""What the live path tells a connection, as typed values.

media/ decides what to say (an offer, who is where, who came and went) and never how it
is written: the server turns each signal into its wire message (`server/wire.py`). What
the server itself says on a connection (chat, captions, recording health, a refusal)
travels through the room as a `Notice` it wrote, untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Offer:
    """The server's SDP offer for new outgoing slots."""

    sdp: str


@dataclass(frozen=True)
class TrackPlace:
    """Which participant's track of `kind` the transceiver `mid` carries now."""

    mid: str
    participant: str
    kind: str


@dataclass(frozen=True)
class TrackMap:
    places: tuple[TrackPlace, ...]


@dataclass(frozen=True)
class Attendee:
    """One connection in the room, as the others see it."""

    id: str
    name: str
    role: str
    kind: str  # "staff" or "party"
    since: datetime | None
    muted: bool


@dataclass(frozen=True)
class Roster:
    attendees: tuple[Attendee, ...]


@dataclass(frozen=True)
class Presence:
    """Someone joined, rejoined or left (`event`); `reason` says why they left."""

    event: str
    participant: str
    name: str
    role: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Muted:
    """This connection's audio is (no longer) forwarded to the others."""

    muted: bool


@dataclass(frozen=True)
class Replaced:
    """The same participant connected again elsewhere; this connection is closing."""


@dataclass(frozen=True)
class Ended:
    """The interview ended; the room is closing."""


@dataclass(frozen=True)
class Notice:
    """A message the server wrote itself, carried to the connection as it is."""

    message: Mapping[str, Any]


Signal = Offer | TrackMap | Roster | Presence | Muted | Replaced | Ended | Notice
