"""An interview's text chat in the database: each message kept as it arrives, stamped
and chained (`evidence.chat`), read back for the staff and for the chat log evidence item.

An append takes the interview's chat counter with an atomic UPDATE … RETURNING in the
caller's transaction (as custody events do): concurrent senders, in one process or
several, get consecutive numbers and each names its predecessor's hash.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evidence import chat
from server.db import counters
from server.db.models import EvidenceItem, Interview, InterviewState, Invitation
from server.db.record_models import ChatMessage
from server.db.types import utcnow

MAX_CHARS = 1000
HISTORY = 200  # messages a (re)connecting participant is sent
# Bidirectional embeddings, overrides and isolates: they make a text read otherwise than
# it is stored.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class ChatRefused(Exception):
    """A message not taken; `fatal` ones end the sender's connection."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.code, self.message, self.fatal = code, message, fatal


@dataclass(frozen=True)
class Author:
    """Who sends, as the room admitted them (`kind` staff or party)."""

    id: str
    name: str
    role: str
    kind: str


def clean_text(raw: object) -> str:
    """The text as kept: trimmed, at most MAX_CHARS characters, no control characters
    (line breaks included), unpaired surrogates or bidirectional controls."""
    if not isinstance(raw, str):
        raise ChatRefused("bad_message", "chat needs 'text', a string.")
    text = raw.strip()
    if not text:
        raise ChatRefused("chat_empty", "The message is empty.")
    if len(text) > MAX_CHARS:
        raise ChatRefused("chat_too_long", f"A message may be at most {MAX_CHARS} characters "
                                           f"long; this one has {len(text)}.")
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI:
            raise ChatRefused("chat_control", f"A message may not contain control characters "
                                              f"(U+{ord(char):04X}); send plain text on one line.")
    return text


async def add_message(session: AsyncSession, interview_id: str, author: Author, text: str,
                      audience: str) -> ChatMessage:
    """Keep one message in the caller's transaction. A link withdrawn or an interview
    ended meanwhile (another process, or a moment ago) refuses it."""
    state = await session.scalar(select(Interview.state).where(Interview.id == interview_id))
    if state is not InterviewState.LIVE:
        raise ChatRefused("interview_ended", "This interview has ended.", fatal=True)
    if author.kind == "party":
        revoked = await session.scalar(select(Invitation.revoked_at).where(Invitation.id == author.id))
        if revoked is not None:
            raise ChatRefused("invitation_revoked", "This link has been withdrawn. Ask the "
                                                    "inspector for a new one.", fatal=True)
    seq = await counters.take(session, f"chat-{interview_id}")
    prev = chat.genesis(interview_id)
    if seq > 1:
        prev = await session.scalar(select(ChatMessage.hash).where(
            ChatMessage.interview_id == interview_id, ChatMessage.seq == seq - 1))
    at = utcnow()
    line = chat.make_line(prev, at.isoformat(), _sender(author), text, audience)
    row = ChatMessage(interview_id=interview_id, seq=seq, at=at, sender_id=author.id,
                      sender_kind=author.kind, sender_name=author.name, sender_role=author.role,
                      text=text, audience=audience, prev=prev, hash=line.hash)
    session.add(row)
    await session.flush()
    return row


def _sender(author: Author) -> chat.Sender:
    return chat.Sender(author.id, author.name, author.role)


async def messages(session: AsyncSession, interview_id: str, *, last: int | None = None) -> list[ChatMessage]:
    """The interview's messages in order (only the `last` ones, if given)."""
    query = select(ChatMessage).where(ChatMessage.interview_id == interview_id)
    if last is None:
        return list(await session.scalars(query.order_by(ChatMessage.seq)))
    rows = list(await session.scalars(query.order_by(ChatMessage.seq.desc()).limit(last)))
    return rows[::-1]


def line_of(row: ChatMessage) -> chat.ChatLine:
    """The message as a line of the log, as its row keeps it (a row changed in the
    database then fails the log's check: it is never hashed again here)."""
    sender = chat.Sender(row.sender_id, row.sender_name, row.sender_role)
    return chat.ChatLine(row.at.isoformat(), sender, row.text, row.audience, row.prev, row.hash)


def public(row: ChatMessage) -> dict[str, Any]:
    """A message as the pages and the API show it."""
    line = line_of(row).as_dict()
    return {"seq": row.seq, **line}


async def ended_unlogged(session: AsyncSession) -> list[str]:
    """Ended interviews with messages no stored chat log holds yet."""
    rows = await session.scalars(
        select(ChatMessage.interview_id).join(Interview, Interview.id == ChatMessage.interview_id)
        .where(ChatMessage.log_item_id.is_(None), Interview.state == InterviewState.ENDED)
        .group_by(ChatMessage.interview_id))
    return list(rows)


async def claim(session: AsyncSession, interview_id: str, upto: int, item_id: str) -> int:
    """Name `item_id` as the log of the interview's messages up to `upto` that have none
    yet; how many (0: another process stored them meanwhile)."""
    result = await session.execute(
        update(ChatMessage).where(ChatMessage.interview_id == interview_id, ChatMessage.seq <= upto,
                                  ChatMessage.log_item_id.is_(None))
        .values(log_item_id=item_id))
    return result.rowcount or 0


async def logs_of(session: AsyncSession, interview_id: str) -> list[str]:
    """The chat logs of the interview stored so far (evidence item ids), oldest first."""
    rows = await session.scalars(select(EvidenceItem.id).where(
        EvidenceItem.interview_id == interview_id, EvidenceItem.kind == "chat")
        .order_by(EvidenceItem.created_at))
    return list(rows)
