"""One participant's WebRTC connection to the server.

The participant offers first, sending its own tracks; afterwards only the server offers
(to add other participants' tracks), so offers never cross. Outgoing transceivers are
slots: when a participant leaves, its slots are emptied and later reused for someone
else without renegotiation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.exceptions import InvalidStateError
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci

from media.candidates import MAX_CANDIDATES, screen
from media.errors import NegotiationError
from media.fanout import FanoutTrack, TrackFanout
from media.forward import ForwardTrack, SlotClock
from media.signals import Offer, Signal, TrackMap, TrackPlace
from media.source import Source
from media.tap import TapUnavailable

log = logging.getLogger(__name__)

Send = Callable[[Signal], Awaitable[None]]
MAX_SDP = 60_000
Feed = Source | TrackFanout  # what a slot is fed from: encoded frames, or decoded ones


@dataclass(frozen=True)
class Participant:
    """Who is on a connection. `id` is stable across reconnects (user or invitation id)."""

    id: str
    name: str
    role: str
    kind: str  # "staff" or "party"
    credential: str = ""  # what admitted it (a login session, an invitation): opaque here


@dataclass
class Slot:
    """An outgoing transceiver and whose track it carries now (None: free)."""

    transceiver: RTCRtpTransceiver
    kind: str
    source: str | None = None
    track: ForwardTrack | FanoutTrack | None = None
    last_source: str | None = None

    def __post_init__(self) -> None:
        self.clock = SlotClock(self.kind)
        _relay_feedback(self)


@dataclass
class Peer:
    participant: Participant
    send: Send
    ice_servers: list[RTCIceServer] = field(default_factory=list)
    connected_at: datetime | None = None
    # The old path, kept as a benchmark's baseline: decode what is received and encode it
    # again for each receiver (what aiortc does by default).
    transcode: bool = False

    def __post_init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=self.ice_servers))
        self.incoming: dict[str, Source] = {}  # kind → the participant's own track
        self.decoded: dict[str, TrackFanout] = {}  # only when transcoding
        self._drains: list[TrackFanout] = []
        self.slots: list[Slot] = []
        self.on_incoming: Callable[[Peer, Feed], None] | None = None
        self.on_failed: Callable[[Peer], None] | None = None
        # A received track's source, before its receiver starts (for recording); None when
        # this aiortc cannot hand over encoded frames.
        self.on_media: Callable[[Peer, str, Source | None], None] | None = None
        self._lock = asyncio.Lock()
        self._initial_done = False
        self._awaiting_answer = False
        self._needs_offer = False
        self._connected = asyncio.Event()
        self._candidates: frozenset[str] = frozenset()  # every UDP one the participant named
        self.closed = False
        self.end_reason = ""
        self.done = asyncio.Event()
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    @property
    def id(self) -> str:
        return self.participant.id

    @property
    def awaiting_answer(self) -> bool:
        return self._awaiting_answer

    @property
    def ready(self) -> bool:
        """True once the participant's own offer has been answered."""
        return self._initial_done

    def _on_track(self, track: MediaStreamTrack) -> None:
        receiver = next((t.receiver for t in self.pc.getTransceivers()
                         if t.receiver.track is track), None)
        if (track.kind not in ("audio", "video") or receiver is None
                or track.kind in self.incoming or track.kind in self.decoded):
            # One microphone and one camera per connection; anything more is only drained.
            drain = TrackFanout(track)
            drain.start()
            self._drains.append(drain)
            return
        source: Source | None = None
        try:
            source = self.incoming[track.kind] = Source(track.kind, receiver, decode=self.transcode)
        except TapUnavailable:
            log.exception("%s's %s cannot be tapped: it is decoded and encoded again", self.id, track.kind)
        if self.on_media is not None:
            self.on_media(self, track.kind, source)
        feed: Feed
        if source is None or self.transcode:
            feed = self.decoded[track.kind] = TrackFanout(track)
            feed.start()
        else:
            feed = source
        if self.on_incoming is not None:
            self.on_incoming(self, feed)

    def feeds(self) -> list[Feed]:
        """What this participant sends, in the form its slots at the others are fed."""
        return [self.decoded.get(kind) or self.incoming[kind]
                for kind in ("audio", "video") if kind in self.decoded or kind in self.incoming]

    async def _on_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected" and not self._connected.is_set():
            self._connected.set()
            await self.negotiate()
        # aiortc closes a connection itself when ICE consent expires: that is a failure too.
        elif state in ("failed", "closed") and not self.closed and self.on_failed is not None:
            self.on_failed(self)

    async def accept_offer(self, sdp: object) -> str:
        """The participant's first offer (its own tracks) → our answer's SDP."""
        async with self._lock:
            if self._initial_done or self.closed:
                raise NegotiationError("An offer is accepted only once per connection; reconnect instead.")
            _check_own_media(sdp)
            await self._set_remote(sdp, "offer")
            _prefer_vp8(self.pc)
            try:
                await self.pc.setLocalDescription(await self.pc.createAnswer())
            except InvalidStateError:  # closed meanwhile (replaced, ended)
                raise NegotiationError("This connection has been closed.") from None
            self._initial_done = True
            return self.pc.localDescription.sdp

    async def accept_answer(self, sdp: object) -> None:
        async with self._lock:
            if not self._awaiting_answer:
                raise NegotiationError("No offer of ours is waiting for an answer.")
            await self._set_remote(sdp, "answer")
            self._awaiting_answer = False
        await self.negotiate()

    async def _set_remote(self, sdp: object, kind: str) -> None:
        if not isinstance(sdp, str) or not sdp.startswith("v=0") or len(sdp) > MAX_SDP:
            raise NegotiationError(f"The {kind} is not a session description.")
        if "\nm=" not in sdp:
            raise NegotiationError(f"The {kind} carries no audio or video.")
        if self.closed:
            raise NegotiationError("This connection has been closed.")
        screened = screen(sdp)
        candidates = self._candidates | screened.signalled
        if len(candidates) > MAX_CANDIDATES:
            raise NegotiationError(f"A connection may name at most {MAX_CANDIDATES} ICE candidates; "
                                   f"this {kind} brings it to {len(candidates)}.")
        if screened.dropped:
            log.info("%s's %s: ICE candidates dropped: %s", self.id, kind, "; ".join(screened.dropped))
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=screened.sdp, type=kind))
        except Exception as exc:  # aiortc raises ValueError, KeyError, InvalidStateError…
            log.info("refused %s: %s", kind, exc)
            raise NegotiationError(f"The {kind} could not be applied: {exc}") from None
        self._candidates = candidates

    def attach(self, source: str, feed: Feed, *, muted: bool = False) -> None:
        """Send `source`'s track of `feed.kind` to this participant."""
        # The slot this participant had before a reconnect first, so its tile stays put.
        free = [s for s in self.slots if s.source is None and s.kind == feed.kind]
        free.sort(key=lambda s: s.last_source != source)
        if free:
            slot = free[0]
        else:
            slot = Slot(self.pc.addTransceiver(feed.kind, direction="sendonly"), feed.kind)
            self.slots.append(slot)
            self._needs_offer = True
        if isinstance(feed, Source):
            track: ForwardTrack | FanoutTrack = ForwardTrack(feed, slot.clock)
            track.set_muted(muted)
        else:
            track = feed.subscribe(muted=muted)
        slot.transceiver.sender.replaceTrack(track)
        slot.source, slot.track, slot.last_source = source, track, source

    def detach(self, source: str) -> None:
        """Empty `source`'s slots; they stay negotiated and are reused for the next track."""
        for slot in self.slots:
            if slot.source == source:
                slot.transceiver.sender.replaceTrack(None)
                if slot.track is not None:
                    slot.track.release()
                slot.source, slot.track = None, None

    def set_muted(self, source: str, kind: str, muted: bool) -> None:
        for slot in self.slots:
            if slot.source == source and slot.kind == kind and slot.track is not None:
                slot.track.set_muted(muted)

    async def negotiate(self) -> None:
        """Offer new slots to the participant, one offer at a time; then say who is where.

        Nothing is offered before the connection is up: aiortc's createOffer resets every
        transceiver's codecs, and receivers started after that would decode with the wrong
        payload types.
        """
        async with self._lock:
            if self.closed or not self._initial_done or self._awaiting_answer:
                return
            if not self._connected.is_set():
                return
            try:
                if self._needs_offer:
                    self._needs_offer = False
                    await self.pc.setLocalDescription(await self.pc.createOffer())
                    self._awaiting_answer = True
                    await self.send(Offer(self.pc.localDescription.sdp))
                await self.send(self.track_map())
            except (InvalidStateError, ConnectionError, RuntimeError):
                if not self.closed:  # the socket went away mid-offer: it is leaving anyway
                    log.info("negotiation with %s stopped: connection closing", self.id)

    def track_map(self) -> TrackMap:
        return TrackMap(tuple(
            TrackPlace(slot.transceiver.mid, slot.source, slot.kind)
            for slot in self.slots
            if slot.source is not None and slot.transceiver.mid is not None
        ))

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.done.set()
        for slot in self.slots:
            if slot.track is not None:
                slot.track.stop()
        for fanout in [*self.decoded.values(), *self._drains]:
            await fanout.stop()
        for source in self.incoming.values():
            source.close()
        await self.pc.close()


def _relay_feedback(slot: Slot) -> None:
    """What a receiver says about a forwarded track goes to its source: a keyframe request
    (PLI or FIR, which aiortc's sender would give to an encoder that is not running) and its
    bandwidth estimate (REMB). NACKs stay with the sender, which answers from its history."""
    sender = slot.transceiver.sender
    keyframe, handle = sender._send_keyframe, sender._handle_rtcp_packet

    def send_keyframe() -> None:
        if isinstance(slot.track, ForwardTrack):
            slot.track.picture_lost()
        else:
            keyframe()

    async def handle_rtcp(packet: Any) -> None:
        if (isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP
                and isinstance(slot.track, ForwardTrack)):
            try:
                bps, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                ssrcs = []
            if sender._ssrc in ssrcs:
                slot.track.estimate(bps)
        await handle(packet)

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]
    sender._handle_rtcp_packet = handle_rtcp  # type: ignore[method-assign]


def _check_own_media(sdp: object) -> None:
    """A participant sends one microphone and one camera: each received video track costs
    the server a decoder, so an offer with more is refused rather than served."""
    if not isinstance(sdp, str):
        return
    kinds = [line[2:].split(" ", 1)[0] for line in sdp.splitlines() if line.startswith("m=")]
    if kinds.count("audio") > 1 or kinds.count("video") > 1 or set(kinds) - {"audio", "video"}:
        raise NegotiationError("An offer carries at most one audio and one video track.")


def _prefer_vp8(pc: RTCPeerConnection) -> None:
    """Answer with VP8 first, so browsers that offer H.264 first (Safari) send VP8: it is
    what recordings store as received (WebM), and aiortc's H.264 is baseline-only."""
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "video":
            continue
        codecs = transceiver._codecs
        vp8 = {c.payloadType for c in codecs if c.mimeType.lower() == "video/vp8"}

        def rank(codec: object) -> int:
            if codec.mimeType.lower() == "video/vp8":
                return 0
            return 0 if codec.parameters.get("apt") in vp8 else 1
        codecs.sort(key=rank)
