"""ICE servers: what browsers get, and what the server's own peer connections use."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from aiortc import RTCIceServer

from server.settings import IceSettings


def for_browser(ice: IceSettings, participant_id: str, now: float | None = None) -> list[dict[str, Any]]:
    """`RTCIceServer` dicts for one participant. With a TURN secret the credentials follow
    coturn's REST scheme: username `expiry:participant`, password HMAC-SHA1 of it."""
    servers: list[dict[str, Any]] = []
    if ice.stun_urls:
        servers.append({"urls": list(ice.stun_urls)})
    if ice.turn_urls:
        if ice.turn_secret:
            expiry = int((now or time.time()) + ice.turn_ttl.total_seconds())
            username = f"{expiry}:{participant_id}"
            digest = hmac.new(ice.turn_secret.encode(), username.encode(), hashlib.sha1).digest()
            credential = base64.b64encode(digest).decode()
        else:
            username, credential = ice.turn_username or "", ice.turn_password or ""
        servers.append({"urls": list(ice.turn_urls), "username": username, "credential": credential})
    return servers


def for_server(ice: IceSettings) -> list[RTCIceServer]:
    """The server needs STUN at most (to learn its public address behind NAT). An empty
    list matters: aiortc would otherwise reach for a public STUN server."""
    return [RTCIceServer(urls=list(ice.stun_urls))] if ice.stun_urls else []
