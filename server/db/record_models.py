"""The inquiry record's tables: the transcription job, the record's versions, the
requests to confirm one and the parties' answers, and the interview's text chat."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db.models import Base, User, _enum, new_id
from server.db.types import utcnow


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TranscriptionJob(Base):
    """One interview's transcription. Durable: a queued or abandoned running job is picked
    up again by whichever worker claims it next (`lease_until` says when a claim lapses)."""

    __tablename__ = "transcription_jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), unique=True)
    state: Mapped[JobState] = mapped_column(_enum(JobState, "job_state"), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(128), default="")
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class RecordVersion(Base):
    """One version of an interview's inquiry record. Never changed once written: every
    save is a new row, version 1 is the machine draft."""

    __tablename__ = "record_versions"
    __table_args__ = (UniqueConstraint("interview_id", "version", name="uq_record_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    based_on: Mapped[int | None] = mapped_column(Integer, default=None)
    content: Mapped[str] = mapped_column(Text)  # canonical JSON
    sha256: Mapped[str] = mapped_column(String(64))
    text_sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    item_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)
    # The exact text of the version (render_text as it was when saved), stored: what a
    # confirmation binds is read back, never rendered again by later code.
    text_item_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(lazy="raise")


class ConfirmationRequest(Base):
    """A version sent to one party's invitation to read and confirm or refuse."""

    __tablename__ = "confirmation_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), index=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="awaiting")  # awaiting confirmed refused superseded
    sent_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordConfirmation(Base):
    """A party's answer to a request. `statement` is the canonical JSON the server signed
    (`server_signature`, Ed25519): version, record hash, hash of the text shown, decision,
    reason, signature image hash, time and invitation."""

    __tablename__ = "record_confirmations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), index=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("confirmation_requests.id"), unique=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id"))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))  # confirmed or refused
    reason: Mapped[str] = mapped_column(Text, default="")
    record_sha256: Mapped[str] = mapped_column(String(64))
    text_sha256: Mapped[str] = mapped_column(String(64))
    signature_sha256: Mapped[str] = mapped_column(String(64), default="")
    signature_item_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)
    statement: Mapped[str] = mapped_column(Text)
    server_signature: Mapped[str] = mapped_column(String(128))
    item_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)
    pdf_item_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatMessage(Base):
    """One text message of a live interview as the server stamped it, kept the moment it
    arrives: a link of the interview's chat chain (`evidence.chat`). `audience` is "all",
    or "staff" for a party the inspector had muted. Only `log_item_id` ever changes: the
    ended interview's chat log (an evidence item) that holds the message."""

    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("interview_id", "seq", name="uq_chat_message_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()
    sender_id: Mapped[str] = mapped_column(String(36))
    sender_kind: Mapped[str] = mapped_column(String(8))  # staff or party
    sender_name: Mapped[str] = mapped_column(String(128))
    sender_role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(8), default="all")
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    log_item_id: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)
