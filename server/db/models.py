"""The tables. Relationships load only when asked (`lazy="raise"`)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from server.db.types import UTCDateTime, utcnow
from server.roles import Role


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


# The S3 version id of a stored object, as `put` returned it: reads take exactly that
# version. NULL for rows from before it was recorded: reads then take the key's oldest
# version, the original, which object lock protects. S3 allows up to 1024 bytes.
VERSION_ID_LENGTH = 1024


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as the value strings, checked by a CHECK constraint on every engine.
    return Enum(cls, name=name, native_enum=False, length=16,
                values_callable=lambda e: [m.value for m in e], create_constraint=True)


class CaseStatus(enum.StrEnum):
    INTAKE = "intake"
    INVESTIGATING = "investigating"
    CLOSED = "closed"


class InterviewState(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class PartyRole(enum.StrEnum):
    WORKER = "worker"
    EMPLOYER = "employer"
    WITNESS = "witness"


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), default=None)
    badge_number: Mapped[str] = mapped_column(String(32), default="")  # 执法证号, inspectors'


class LoginSession(Base):
    """A staff login. Only the SHA-256 of its bearer token is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(lazy="raise")


class LoginFailure(Base):
    """A failed login; counted per username and per address to rate-limit guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """Named counters for human-readable numbers (one row per year of case numbers)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    employer: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus, "case_status"), default=CaseStatus.INTAKE
    )
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), default=None)

    members: Mapped[list[CaseMember]] = relationship(lazy="raise", back_populates="case")
    interviews: Mapped[list[Interview]] = relationship(
        lazy="raise", back_populates="case", order_by="Interview.created_at"
    )


class CaseMember(Base):
    """Access to a case: assigned inspectors and legal staff granted per case."""

    __tablename__ = "case_members"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    granted_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[Case] = relationship(lazy="raise", back_populates="members")
    user: Mapped[User] = relationship(lazy="raise", foreign_keys=[user_id])


class Interview(Base):
    __tablename__ = "interviews"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    state: Mapped[InterviewState] = mapped_column(
        _enum(InterviewState, "interview_state"), default=InterviewState.SCHEDULED
    )
    scheduled_for: Mapped[datetime | None] = mapped_column(default=None)
    # What the call is about, in words meant for the parties: their join page shows this,
    # never the case's title (an internal note, and the employer sees the page too).
    purpose: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    # Called off before anyone joined: the state is ended, and this says it never happened.
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(lazy="raise", back_populates="interviews")
    invitations: Mapped[list[Invitation]] = relationship(
        lazy="raise", back_populates="interview", order_by="Invitation.created_at"
    )


class Invitation(Base):
    """One party's link to one interview. Only the SHA-256 of its token is stored, and,
    when the party was invited with a phone number, the link sealed for the messages that
    follow the invitation (server/notify/links.py)."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[PartyRole] = mapped_column(_enum(PartyRole, "party_role"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    phone: Mapped[str | None] = mapped_column(String(16), default=None)  # 11 digits, mainland mobile
    link_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    # The reminder before the scheduled start was taken (sent or failed) at: once per time.
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)

    interview: Mapped[Interview] = relationship(lazy="raise", back_populates="invitations")


class Connection(Base):
    """One live connection of a participant to an interview's room: who, when, until when.

    A reconnect is a new row; the gap between rows is the gap in the interview. `node`
    names the server process that held it, so a restarted node can close what it left.
    """

    __tablename__ = "connections"
    __table_args__ = (Index("ix_connections_interview_open", "interview_id", "disconnected_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"))
    participant_id: Mapped[str] = mapped_column(String(36))
    invitation_id: Mapped[str | None] = mapped_column(ForeignKey("invitations.id"), default=None)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    node: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(64), default="")
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    disconnected_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str] = mapped_column(String(32), default="")


class RecordingState(enum.StrEnum):
    RECORDING = "recording"
    SEALED = "sealed"  # the interview ended and the chain head is signed
    INTERRUPTED = "interrupted"  # the server stopped mid-recording; sealed at its restart


class Recording(Base):
    """One participant's audio or video in one interview, as one hash chain of segments.

    A reconnect continues the same recording (its first segment is marked as following a
    gap); a server restart starts new ones, and the old ones are sealed as interrupted.
    """

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_interview", "interview_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id"))
    participant_id: Mapped[str] = mapped_column(String(36))
    participant_kind: Mapped[str] = mapped_column(String(8))  # staff or party
    participant_name: Mapped[str] = mapped_column(String(128))
    participant_role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # audio or video
    codec: Mapped[str] = mapped_column(String(16))
    node: Mapped[str] = mapped_column(String(128))
    state: Mapped[RecordingState] = mapped_column(
        _enum(RecordingState, "recording_state"), default=RecordingState.RECORDING
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    segment_count: Mapped[int] = mapped_column(Integer, default=0)
    media_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    duration: Mapped[float] = mapped_column(Float, default=0.0)  # seconds of media, gaps excluded
    first_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)  # interview clock, epoch ms
    last_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    head: Mapped[str] = mapped_column(String(64), default="")
    sealed_at: Mapped[datetime | None] = mapped_column(default=None)
    interrupted_at: Mapped[datetime | None] = mapped_column(default=None)
    seal_signature: Mapped[str] = mapped_column(String(128), default="")
    seal_sealed_at_us: Mapped[int | None] = mapped_column(BigInteger, default=None)
    manifest_key: Mapped[str] = mapped_column(String(255), default="")
    manifest_sha256: Mapped[str] = mapped_column(String(64), default="")
    manifest_size: Mapped[int] = mapped_column(BigInteger, default=0)
    manifest_version_id: Mapped[str | None] = mapped_column(String(VERSION_ID_LENGTH), default=None)


class Segment(Base):
    """A closed, stored segment of a recording and its chain link: an
    `evidence.segment.SegmentStored`, and where its bytes are kept."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("recording_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recording_id: Mapped[str] = mapped_column(ForeignKey("recordings.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(255))
    version_id: Mapped[str | None] = mapped_column(String(VERSION_ID_LENGTH), default=None)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    frames: Mapped[int] = mapped_column(Integer)
    first_arrival_us: Mapped[int] = mapped_column(BigInteger)
    last_arrival_us: Mapped[int] = mapped_column(BigInteger)
    rtp_first: Mapped[int] = mapped_column(BigInteger)
    rtp_last: Mapped[int] = mapped_column(BigInteger)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    gap: Mapped[bool] = mapped_column(Boolean, default=False)
    recovered: Mapped[bool] = mapped_column(Boolean, default=False)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    link: Mapped[str] = mapped_column(String(64))
    codec: Mapped[str] = mapped_column(String(16), default="", server_default="")
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceItem(Base):
    """One item of a case's evidence. `observed` is what the server saw (JSON); `claimed`
    is what a client said about it (JSON), kept apart. Items are never changed or deleted;
    a derived item names its source in `derived_from`."""

    __tablename__ = "evidence_items"
    __table_args__ = (Index("ix_evidence_case_created", "case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    interview_id: Mapped[str | None] = mapped_column(ForeignKey("interviews.id"), default=None)
    recording_id: Mapped[str | None] = mapped_column(ForeignKey("recordings.id"), default=None, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_key: Mapped[str] = mapped_column(String(255))
    version_id: Mapped[str | None] = mapped_column(String(VERSION_ID_LENGTH), default=None)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    observed: Mapped[str] = mapped_column(Text, default="{}")
    claimed: Mapped[str] = mapped_column(Text, default="{}")
    derived_from: Mapped[str | None] = mapped_column(ForeignKey("evidence_items.id"), default=None)


class CustodyEvent(Base):
    """One event of a case's custody log (see `evidence.custody`). `body` is the event as
    hashed; the other columns copy its fields for queries. Rows are only ever added."""

    __tablename__ = "custody_events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),
                      Index("ix_custody_item", "item_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str | None] = mapped_column(String(36), default=None)
    body: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


class CustodyCheckpoint(Base):
    """The server's signature over a case's custody log head at `seq`."""

    __tablename__ = "custody_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
    signature: Mapped[str] = mapped_column(String(128))


# The complaint and record tables share this metadata; they live in their own modules.
from server.db import complaint_models, record_models  # noqa: E402,F401
