"""The reminders database's tables, as SQLAlchemy 2 models; the migrations create the same schema.

Only ids, times and the rule are stored, never message text. Times are timezone-aware UTC on
every backend; chat and user ids are 64-bit. Dose statuses and how a dose moves between them are
described in claims.py, which moves them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal, get_args

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ChatKind = Literal["private", "group"]
DoseStatus = Literal["sending", "sent", "late", "missed", "taken", "skipped", "snoozed", "failed"]
Action = Literal["taken", "skipped", "snoozed"]
# Where an injection went, as the person says it; which site to use is the nurse's advice, not ours.
SITES = ("left arm", "right arm", "left thigh", "right thigh", "left buttock", "right buttock")
CarerAlertStatus = Literal["sending", "sent", "failed"]


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend; a naive one is refused, not guessed at.

    PostgreSQL stores `timestamptz`. SQLite has no time zones, so values are stored as naive UTC
    in SQLAlchemy's fixed-width format, which keeps `<=` comparisons and the unique dose key right.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store needs timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base whose constraint names are fixed, so migrations can name them."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), date: Date()}  # noqa: RUF012 (SQLAlchemy's API)


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (CheckConstraint(f"kind IN ({_sql_list(get_args(ChatKind))})", name="kind"),)

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    paused: Mapped[bool]
    created_at: Mapped[datetime]
    paused_reason: Mapped[str | None] = mapped_column(String(16))
    recheck_at: Mapped[datetime | None] = mapped_column(index=True)


class ReminderLine:
    """What a /remind line sets, in which chat and by whom: the columns of a reminder and of a
    group's request for one (consent.py), declared once so a request always fits a reminder."""

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), index=True
    )
    creator_id: Mapped[int] = mapped_column(BigInteger, index=True)
    for_whom: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date]
    followup_minutes: Mapped[int | None]


class Reminder(ReminderLine, Base):
    __tablename__ = "reminders"
    __table_args__ = (Index(None, "active", "next_due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    next_due_at: Mapped[datetime]
    active: Mapped[bool]
    created_at: Mapped[datetime]
    # Optional supplies: ampoules left (counted down by each Taken) and when to say so.
    supplies_left: Mapped[int | None]
    supplies_alert_at: Mapped[int | None]
    # When the count was last given: a dose given before it used none of those ampoules.
    supplies_counted_at: Mapped[datetime | None]
    last_site: Mapped[str | None] = mapped_column(String(16))  # where the last injection went


class Dose(Base):
    """One row per (reminder, due time); `reminder_id` is null for a /taken logged without one."""

    __tablename__ = "doses"
    __table_args__ = (
        UniqueConstraint("reminder_id", "due_at"),
        CheckConstraint(f"status IN ({_sql_list(get_args(DoseStatus))})", name="status"),
        CheckConstraint(f"site IS NULL OR site IN ({_sql_list(SITES)})", name="site"),
        Index(None, "chat_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE")
    )
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    acted_by: Mapped[int | None] = mapped_column(BigInteger, index=True)
    acted_at: Mapped[datetime | None]
    attempts: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(32))
    retry_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_due_at: Mapped[datetime | None] = mapped_column(index=True)
    followup_sent: Mapped[bool]
    snoozed_until: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    site: Mapped[str | None] = mapped_column(String(16))  # one of SITES, if someone said
    # Whether its Taken took an ampoule from the reminder's count: Undo gives back only that.
    used_ampoule: Mapped[bool] = mapped_column(default=False, server_default=false())


class Feedback(Base):
    """How often each FAQ topic was found helpful or not; nothing about who voted."""

    __tablename__ = "feedback"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    helpful: Mapped[bool] = mapped_column(primary_key=True)
    count: Mapped[int]


class CarerInvite(Base):
    """A one-time carer link, valid until `expires_at`. Only the token's SHA-256 is kept, so the
    database cannot be read for working links."""

    __tablename__ = "carer_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), index=True
    )
    patient_name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CarerLink(Base):
    """A carer told when a patient's private reminder goes unmarked. Both ends are private chats,
    so /forget by either side (which deletes their chat) removes the link."""

    __tablename__ = "carer_links"
    __table_args__ = (UniqueConstraint("patient_id", "carer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE")
    )
    carer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), index=True
    )
    patient_name: Mapped[str] = mapped_column(String(40))  # what the carer is shown
    carer_name: Mapped[str] = mapped_column(String(64))  # what the patient is shown
    created_at: Mapped[datetime]


class CarerAlert(Base):
    """One alert to one carer about one unmarked dose: sent at most once, nudged at most once."""

    __tablename__ = "carer_alerts"
    __table_args__ = (
        UniqueConstraint("dose_id", "link_id"),
        CheckConstraint(f"status IN ({_sql_list(get_args(CarerAlertStatus))})", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dose_id: Mapped[int] = mapped_column(ForeignKey("doses.id", ondelete="CASCADE"))
    link_id: Mapped[int] = mapped_column(
        ForeignKey("carer_links.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    nudged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # The nudge in the patient's chat carries the dose's Taken/Skip: closed when it is settled.
    nudge_message_id: Mapped[int | None] = mapped_column(BigInteger)
