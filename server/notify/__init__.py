"""The notification gateway: short text messages to a party's phone.

One interface, `Notifier.send(phone, kind, params) -> message_id`, and plug-ins chosen by
`ZEROMEET_NOTIFY`: `file` (one JSON line per message in the data dir) and `sms` (a
generic HTTP SMS gateway). A plug-in raises `NotifyError`, and nothing else, when a
message did not go; what a message says is `server.notify.texts`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Protocol


class NotifyError(Exception):
    """A message did not go. The text is one sentence for the custody log: never the
    phone number, the link or a credential."""


class Kind(enum.StrEnum):
    INVITATION = "invitation"  # a party was invited: the link
    REMINDER = "reminder"  # the scheduled start is near: the same link
    SIGN = "sign"  # a record version waits for the party to read and sign it


class Notifier(Protocol):
    """Sends one message. `name` is the provider as custody events name it."""

    name: str

    async def send(self, phone: str, kind: Kind, params: Mapping[str, str]) -> str:
        """Send `kind` to `phone` (11 digits, mainland mobile) and return the provider's
        message id. `params` holds `language`, `url`, `bureau`, `bureau_phone`, `when`."""
        ...
