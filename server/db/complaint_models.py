"""The tables of complaints (投诉): units, their public channels, the working-day
calendar, and each complaint with its deadlines, files and hash-chained log."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models import VERSION_ID_LENGTH, Base, _enum, new_id
from server.db.types import utcnow


class ComplaintState(enum.StrEnum):
    RECEIVED = "received"  # routed to a unit, nobody has claimed it yet
    CLAIMED = "claimed"  # a first responder owns it
    ACCEPTED = "accepted"  # 受理: a case is open for it
    REFUSED = "refused"  # 不予受理, with a reason
    REFERRED = "referred"  # sent elsewhere (arbitration, social insurance, court, police)
    CLOSED = "closed"  # 办结, with a result and a reply for the complainant


class Unit(Base):
    """The city bureau or one of its district teams. `districts` (JSON list) are the
    district names whose complaints it receives; `categories` (JSON list), if any, the
    kinds of complaint it takes (a social-insurance team), else it takes every kind."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), default=None)
    districts: Mapped[str] = mapped_column(Text, default="[]")
    categories: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Channel(Base):
    """A standing public link of a unit (`/r/{id}`): a QR poster, an SMS template…"""

    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    medium: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarDay(Base):
    """A day that differs from the week's rule: a holiday on a weekday, or a make-up
    working day (调休) on a weekend. Loaded per year by `zeromeet calendar load`."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(128), default="")


class Complaint(Base):
    """One matter, one ticket (一事一单). Only the SHA-256 of the status token is kept.
    `owner_id` is whoever handles it now; `first_responder_id` (首问责任人) never changes
    once set. A transfer waits in `transfer_*` until the receiving unit takes it."""

    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_unit_state", "unit_id", "state"),
                      Index("ix_complaints_address_at", "address", "received_at"),
                      Index("ix_complaints_phone_at", "phone", "received_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channels.id"))
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    state: Mapped[ComplaintState] = mapped_column(
        _enum(ComplaintState, "complaint_state"), default=ComplaintState.RECEIVED)
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32))
    employer: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(64), default="")
    category: Mapped[str] = mapped_column(String(16), default="")
    workers: Mapped[int | None] = mapped_column(Integer, default=None)
    amount: Mapped[int | None] = mapped_column(BigInteger, default=None)  # yuan, as told
    description: Mapped[str] = mapped_column(Text, default="")
    confidential: Mapped[bool] = mapped_column(Boolean, default=True)
    co_complainants: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{name, phone}]
    filed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    address: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    first_responder_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    transfer_unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), default=None)
    transfer_reason: Mapped[str] = mapped_column(Text, default="")
    alert: Mapped[str] = mapped_column(Text, default="")  # for the unit's supervisor, until seen to
    case_id: Mapped[str | None] = mapped_column(ForeignKey("cases.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str] = mapped_column(Text, default="")  # of a refusal or referral
    referred_to: Mapped[str] = mapped_column(String(32), default="")
    result: Mapped[str] = mapped_column(String(32), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    amount_recovered: Mapped[int | None] = mapped_column(BigInteger, default=None)
    workers_covered: Mapped[int | None] = mapped_column(Integer, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # The clock stopped: "material" (more material asked of the complainant, 补正) or
    # "suspended" (中止, an accepted case waiting on something outside it), since when, why.
    paused_kind: Mapped[str] = mapped_column(String(16), default="")
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    external_ref: Mapped[str] = mapped_column(String(64), default="", index=True)  # an imported clue's own number


class ComplaintDeadline(Base):
    """One due date of a complaint. A change (an extension, a transfer's return) is a new
    row; the one it replaces keeps its date and gets `replaced_at`."""

    __tablename__ = "complaint_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # accept, close, transfer
    due: Mapped[date] = mapped_column(Date)
    working_days: Mapped[int] = mapped_column(Integer)
    counted_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    # What moved it: "" (set by the step itself), extension, resumed (after a pause).
    cause: Mapped[str] = mapped_column(String(16), default="")
    set_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"), default=None)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    met_at: Mapped[datetime | None] = mapped_column(default=None)
    replaced_at: Mapped[datetime | None] = mapped_column(default=None)


class ComplaintFile(Base):
    """A photo or document sent with a complaint: hashed on arrival, write-once. On
    acceptance the same stored object becomes an evidence item of the case."""

    __tablename__ = "complaint_files"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # form (the submission as received) or upload
    object_key: Mapped[str] = mapped_column(String(255))
    version_id: Mapped[str | None] = mapped_column(String(VERSION_ID_LENGTH), default=None)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    observed: Mapped[str] = mapped_column(Text, default="{}")
    claimed: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintEvent(Base):
    """One event of a complaint's own hash-chained log (`evidence.custody`, with the
    complaint's id as the log's id). `public` steps are shown to the complainant."""

    __tablename__ = "complaint_events"
    __table_args__ = (UniqueConstraint("complaint_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(String(64))


class ComplaintCheckpoint(Base):
    """The server's signature over a complaint log's head at `seq` (the same message as a
    case log's checkpoint, the complaint's id standing for the case's)."""

    __tablename__ = "complaint_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    complaint_id: Mapped[str] = mapped_column(ForeignKey("complaints.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column()
    signature: Mapped[str] = mapped_column(String(128))
