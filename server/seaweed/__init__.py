"""The embedded object store: one supervised `weed mini` on loopback with our own keys."""

from server.seaweed.command import WeedPorts, weed_command
from server.seaweed.supervisor import EmbeddedSeaweed, EmbeddedStoreError

__all__ = ["EmbeddedSeaweed", "EmbeddedStoreError", "WeedPorts", "weed_command"]
