"""Staff connections whose login has ended: a disabled account, a revoked session (a
logout or a password reset, maybe on another server, maybe by `zeromeet user disable`)
closes its interview sockets here. Run at once after an administrator's change through
the API, and every few seconds for changes made elsewhere."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media.rooms import Rooms
from media.signals import Notice
from server.services.staff_admin import ended_credentials

log = logging.getLogger("zeromeet.signalling")

SWEEP_S = 2.0
_MESSAGES: dict[str, dict[str, Any]] = {
    "account_disabled": {"type": "error", "error": "account_disabled",
                         "message": "This account has been disabled by an administrator."},
    "session_revoked": {"type": "error", "error": "unauthenticated",
                        "message": "Your login has ended; please log in again."},
}


async def end_ended_logins(rooms: Rooms, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Expel every live staff connection of this process whose login has ended; how many."""
    live = rooms.credentials("staff")
    if not live:
        return 0  # no query while no inspector is in a room
    async with sessions() as session:
        ended = await ended_credentials(session, live)
    expelled = 0
    for credential, why in ended.items():
        expelled += await rooms.expel_credential(credential, Notice(_MESSAGES[why]), why)
    if expelled:
        log.info("connections of ended logins closed", extra={"count": expelled})
    return expelled
