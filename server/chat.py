"""The interview's text chat, for when audio fails: each message is kept in the database
the moment it arrives (nothing is lost to a crash), then relayed to the room; the
interview's end stores the whole log as one evidence item of kind `chat` (JSON lines,
hash-chained, `evidence.chat`) with its custody event. A clean stop mid-interview stores
what there is so far as an "interrupted" log; the interview's end stores the full one.
Ended interviews whose log could not be stored then (the store away, a crash) are swept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evidence import chat
from evidence.errors import StoreError
from evidence.store import ObjectStore
from media.peer import Peer
from media.room import Room
from media.signals import Notice
from server.db.models import EvidenceItem, Interview, InterviewState, new_id
from server.db.record_models import ChatMessage
from server.db.types import utcnow
from server.services import chat as chat_service
from server.services import custody, evidence
from server.services.chat import Author, ChatRefused

log = logging.getLogger("zeromeet.chat")

CONTENT_TYPE = "application/x-ndjson"
STORE_WAIT_S = 15.0  # the end's answer waits this long for the log; the sweep does the rest
SWEEP_S = 60.0


class _Superseded(Exception):
    """Another process stored these messages' log meanwhile."""


@dataclass(frozen=True)
class _Chat:
    """An interview's chat as the database holds it: the messages, and the chat logs
    stored of it so far (evidence item ids)."""

    interview: Interview | None
    rows: list[ChatMessage]
    earlier: list[str]


class ChatLogs:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], store: ObjectStore) -> None:
        self._sessions, self._store = sessions, store
        # Per interview: a message being kept and its log being written never interleave.
        self._locks: dict[str, asyncio.Lock] = {}
        self._unlogged: set[str] = set()  # interviews with messages here since their last log

    def _lock(self, interview_id: str) -> asyncio.Lock:
        return self._locks.setdefault(interview_id, asyncio.Lock())

    # --- live ---------------------------------------------------------------------------

    async def post(self, room: Room, peer: Peer, raw: object) -> None:
        """Keep `raw` from `peer` and relay it, stamped, to the room, the sender included
        (its confirmation). A muted party's message is kept all the same, as its voice
        is, and reaches the inspectors and the sender only: the other parties no more read
        it than they hear it. `ChatRefused` when it is not kept."""
        text = chat_service.clean_text(raw)
        who = peer.participant
        audience = "staff" if who.kind == "party" and who.id in room.muted else "all"
        async with self._lock(room.interview_id):
            if room.closed or room.peers.get(peer.id) is not peer:
                raise ChatRefused("chat_unavailable", "This connection is no longer in the interview.")
            try:
                async with self._sessions() as session, session.begin():
                    row = await chat_service.add_message(
                        session, room.interview_id, Author(who.id, who.name, who.role, who.kind),
                        text, audience)
            except SQLAlchemyError as exc:
                log.warning("a chat message could not be kept: %s", exc,
                            extra={"interview": room.interview_id})
                raise ChatRefused("chat_unavailable", "The message could not be kept; send it again.") from None
            self._unlogged.add(room.interview_id)
        message = {"type": "chat", **chat_service.public(row)}
        readers = [p for p in list(room.peers.values())
                   if audience == "all" or p.participant.kind == "staff" or p is peer]
        await asyncio.gather(*(_quietly(p.send(Notice(message))) for p in readers))

    async def history(self, interview_id: str, viewer_id: str, viewer_kind: str,
                      send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        """Send a (re)connecting participant the latest messages it may read. A help, not
        the call: a database that fails here is logged and the call goes on."""
        try:
            async with self._sessions() as session:
                rows = await chat_service.messages(session, interview_id, last=chat_service.HISTORY)
        except SQLAlchemyError as exc:
            log.warning("chat history could not be read: %s", exc, extra={"interview": interview_id})
            return
        shown = [chat_service.public(r) for r in rows
                 if r.audience == "all" or viewer_kind == "staff" or r.sender_id == viewer_id]
        if shown:
            await send({"type": "chat_history", "messages": shown})

    # --- as evidence --------------------------------------------------------------------

    async def interview_ended(self, interview_id: str) -> None:
        """The interview ended (its room is closed): store its chat log, waiting a while
        for the store; if it cannot be stored now, the sweep stores it later."""
        try:
            await asyncio.wait_for(self._log_ended(interview_id), STORE_WAIT_S)
        except (StoreError, SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("the chat log could not be stored at the end; it will be retried: %s", exc,
                        extra={"interview": interview_id})
        self._locks.pop(interview_id, None)

    async def sweep(self) -> None:
        """Store the log of every ended interview with messages no stored log holds."""
        async with self._sessions() as session:
            due = await chat_service.ended_unlogged(session)
        for interview_id in due:
            try:
                await self._log_ended(interview_id)
            except (StoreError, SQLAlchemyError, OSError) as exc:
                log.warning("a chat log could not be stored; next sweep retries: %s", exc,
                            extra={"interview": interview_id})
            self._locks.pop(interview_id, None)

    async def shutdown(self, wait: float = STORE_WAIT_S) -> None:
        """A clean stop (after the rooms closed): each live interview that got messages
        here has what it has so far stored as an "interrupted" log."""
        async def interrupted(interview_id: str) -> None:
            try:
                await self._log_interrupted(interview_id)
            except (StoreError, SQLAlchemyError, OSError) as exc:
                log.warning("the chat log could not be stored at shutdown (the messages stay in "
                            "the database): %s", exc, extra={"interview": interview_id})
        pending = sorted(self._unlogged)
        if pending:
            done = asyncio.gather(*(interrupted(i) for i in pending))
            try:
                await asyncio.wait_for(done, wait)
            except TimeoutError:
                log.warning("storing chat logs at shutdown took too long", extra={"count": len(pending)})

    async def _log_ended(self, interview_id: str) -> None:
        async with self._lock(interview_id):
            self._unlogged.discard(interview_id)
            found = await self._read(interview_id)
            interview, rows = found.interview, found.rows
            if interview is None or not rows or all(r.log_item_id for r in rows):
                return
            item = await self._stored(found, "ended")
            try:
                async with self._sessions() as session, session.begin():
                    await self._add(session, interview, item, rows, "ended")
                    if not await chat_service.claim(session, interview_id, rows[-1].seq, item.id):
                        raise _Superseded
            except _Superseded:
                log.info("chat log stored elsewhere meanwhile", extra={"interview": interview_id})

    async def _log_interrupted(self, interview_id: str) -> None:
        async with self._lock(interview_id):
            found = await self._read(interview_id)
            interview, rows = found.interview, found.rows
            if interview is None or not rows or interview.state is not InterviewState.LIVE:
                return  # an ended interview's log is the end's to store
            item = await self._stored(found, "interrupted")
            async with self._sessions() as session, session.begin():
                await self._add(session, interview, item, rows, "interrupted")
            self._unlogged.discard(interview_id)

    async def _read(self, interview_id: str) -> _Chat:
        async with self._sessions() as session:
            return _Chat(await session.get(Interview, interview_id),
                         await chat_service.messages(session, interview_id),
                         await chat_service.logs_of(session, interview_id))

    async def _stored(self, found: _Chat, status: str) -> EvidenceItem:
        """The log's bytes in the store (write-once, hashed), and the row to add."""
        interview, earlier = found.interview, found.earlier
        assert interview is not None
        lines = [chat_service.line_of(r) for r in found.rows]
        data = chat.encode(lines)
        problems = [str(p) for p in chat.check(interview.id, data)]  # a row changed in the database shows here
        if problems:
            log.error("the chat's rows do not chain: %s", "; ".join(problems),
                      extra={"interview": interview.id})
        item_id = new_id()
        key = f"interviews/{interview.id}/chat/{item_id}.jsonl"
        sha256, size, version_id = await evidence.store_bytes(self._store, key, data, CONTENT_TYPE)
        observed: dict[str, Any] = {
            "status": status, "messages": len(lines), "head": lines[-1].hash,
            "genesis": chat.genesis(interview.id), "first_at": lines[0].at, "last_at": lines[-1].at,
            "stored_at": utcnow().isoformat(), "format": "JSON lines; see docs/signalling.md (chat)"}
        if earlier:
            observed["replaces"] = earlier
        if problems:
            observed["chain_problems"] = problems
        row = evidence.item(case_id=interview.case_id, interview_id=interview.id, kind="chat",
                            key=key, content_type=CONTENT_TYPE, sha256=sha256, size=size,
                            observed=observed, version_id=version_id)
        row.id = item_id
        return row

    async def _add(self, session: AsyncSession, interview: Interview, item: EvidenceItem,
                   rows: list[ChatMessage], status: str) -> None:
        session.add(item)
        await session.flush()
        await custody.record(session, case_id=interview.case_id, action="stored",
                             actor=custody.SERVER, item_id=item.id, detail={
                                 "kind": "chat", "messages": len(rows), "head": rows[-1].hash,
                                 "sha256": item.sha256, "status": status})
        log.info("chat log stored", extra={"interview": interview.id, "messages": len(rows),
                                           "status": status})


async def _quietly(sending: Awaitable[None]) -> None:
    # A participant whose socket is already gone must not stop the others' messages.
    try:
        await sending
    except (ConnectionError, RuntimeError):
        pass
