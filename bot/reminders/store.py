"""The reminders database: SQLAlchemy 2 models and every query the bot makes, one transaction each.

The database is the source of truth; nothing that matters lives only in memory. A dose is claimed
(its row written, the reminder advanced) in one transaction before anything is sent, so two
dispatchers never send the same dose and a crash never loses one.

SQLite (the default, one process) and PostgreSQL (several processes) are both first-class:
claims lock rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL and take SQLite's single write lock
up front (`BEGIN IMMEDIATE`), so the same code is safe on both.

Dose statuses, and how a dose moves between them:

- `sending`: claimed, being sent now (on time). `late`: claimed for a send more than a minute
  after its due time; it stays `late` once delivered, so the log shows it. While a `sending` or
  `late` dose is in flight its `retry_at` is the end of its lease; delivery clears it.
- `sent`: delivered on time. `failed`: the send failed; retried at `retry_at`, or never if null.
- `missed`: never sent: the bot was down (or the chat paused) past the grace period, a newer
  occurrence superseded it, or its retries ran past the grace period.
- `taken`, `skipped`, `snoozed`: what someone pressed; `snoozed` is sent again at `snoozed_until`.

Recurrence is not the store's job: claims take an `advance(reminder, due) -> next due` callable.
Only ids, times and the rule are stored, never message text. Imports nothing from telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    Select,
    String,
    TypeDecorator,
    UniqueConstraint,
    delete,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Mapped, mapped_column

logger = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).with_name("migrations")
SEND_LEASE: Final = timedelta(minutes=2)  # an in-flight dose not marked by then is sent again
LATE_AFTER: Final = timedelta(seconds=60)  # sent later than this after its due time: "late"
RETRY_GRACE: Final = timedelta(hours=12)  # a retry older than this is logged as missed instead
GROUP_FOLLOWUP_MINUTES: Final = 120
LEASE_EXPIRED: Final = "lease"  # the error code of a dose re-sent because its sender vanished
_BUSY_TIMEOUT_MS: Final = 5_000
_MIGRATION_LOCK: Final = 0x0B12_B07  # PostgreSQL advisory lock: one process migrates at a time

ChatKind = Literal["private", "group"]
DoseStatus = Literal["sending", "sent", "late", "missed", "taken", "skipped", "snoozed", "failed"]
Action = Literal["taken", "skipped", "snoozed"]
Clock = Callable[[], datetime]

_ASYNC_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",  # the spelling Heroku-style hosts use
}
_IN_FLIGHT: Final = ("sending", "late")
_DELIVERED: Final = ("sent", "late")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# ---------------------------------------------------------------------------- models


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


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (Index(None, "active", "next_due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), index=True
    )
    creator_id: Mapped[int] = mapped_column(BigInteger, index=True)
    for_whom: Mapped[str | None] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date]
    next_due_at: Mapped[datetime]
    active: Mapped[bool]
    followup_minutes: Mapped[int | None]
    created_at: Mapped[datetime]


class Dose(Base):
    """One row per (reminder, due time); `reminder_id` is null for a /taken logged without one."""

    __tablename__ = "doses"
    __table_args__ = (
        UniqueConstraint("reminder_id", "due_at"),
        CheckConstraint(f"status IN ({_sql_list(get_args(DoseStatus))})", name="status"),
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


class Feedback(Base):
    """How often each FAQ topic was found helpful or not; nothing about who voted."""

    __tablename__ = "feedback"

    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    helpful: Mapped[bool] = mapped_column(primary_key=True)
    count: Mapped[int]


# ---------------------------------------------------------------------------- what callers see


@dataclass(frozen=True, slots=True)
class ChatRow:
    chat_id: int
    kind: ChatKind
    timezone: str | None
    paused: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReminderRow:
    id: int
    chat_id: int
    creator_id: int
    for_whom: str | None
    rule: str
    timezone: str
    start_date: date
    next_due_at: datetime
    active: bool
    followup_minutes: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DoseRow:
    id: int
    reminder_id: int | None
    chat_id: int
    due_at: datetime
    status: DoseStatus
    message_id: int | None
    acted_by: int | None
    acted_at: datetime | None
    attempts: int
    error: str | None
    retry_at: datetime | None
    followup_due_at: datetime | None
    followup_sent: bool
    snoozed_until: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """A dose this process now owns and must send, then report with mark_sent or mark_failed.

    `missed_since_last` counts the occurrences logged as missed since this reminder's last
    message, so the message can say so; `attempt` is 1 for the first try, for backoff.
    """

    dose_id: int
    reminder: ReminderRow
    due_at: datetime
    late: bool
    missed_since_last: int
    attempt: int = 1


Advance = Callable[[ReminderRow, datetime], datetime]
RowT = TypeVar("RowT", ChatRow, ReminderRow, DoseRow)


def _row(row_type: type[RowT], model: Base) -> RowT:
    """A frozen copy of a model's values, times in UTC even if they were just set in another zone."""
    values = {f.name: getattr(model, f.name) for f in fields(row_type)}
    return row_type(  # type: ignore[arg-type]
        **{k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in values.items()}
    )


# ---------------------------------------------------------------------------- engine


def async_url(url: str) -> URL:
    """The app's DATABASE_URL (`sqlite:///file`, `postgresql://...`) with its asyncio driver."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    if driver not in _ASYNC_DRIVERS.values():
        raise ValueError(
            f"unsupported database {parsed.drivername!r}: use sqlite:///path or postgresql://..."
        )
    parsed = parsed.set(drivername=driver)
    sslmode = parsed.query.get("sslmode")
    if isinstance(sslmode, str):  # libpq's spelling, common in hosted URLs; asyncpg calls it ssl
        parsed = parsed.difference_update_query(["sslmode"]).update_query_dict({"ssl": sslmode})
    return parsed


def _sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy emits BEGIN itself (_sqlite_begin); the driver's own, lazy BEGIN would make
    # reads non-repeatable and could not take the write lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers work beside the writer. With it, synchronous=NORMAL (SQLite's advice) keeps
    # the file consistent and survives a crash of the bot; a power cut may undo the last commits,
    # at worst re-sending a reminder, which delivery allows for anyway (see claim_retries).
    pragmas = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON")
    for pragma in (*pragmas, f"busy_timeout={_BUSY_TIMEOUT_MS}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A write transaction takes the database's write lock at BEGIN, so a read-then-write (a claim)
    # never meets a concurrent writer half-way; other processes wait up to the busy timeout.
    write = connection.get_execution_options().get("b12bot_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> AsyncEngine:
    """An asyncio engine for DATABASE_URL; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = async_url(url)
    if parsed.get_backend_name() == "postgresql":  # a server may drop idle connections
        return create_async_engine(parsed, pool_pre_ping=True)
    engine = create_async_engine(parsed)
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _upgrade_to_head(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # several processes may start at once
        connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def open_store(url: str, *, clock: Clock = _utc_now, lease: timedelta = SEND_LEASE) -> Store:
    """Connect, bring the schema to the newest migration, and return the Store.

    Migrating at start-up means an installed wheel needs no separate step; it runs in one
    transaction under a lock, so processes starting together do not race.
    """
    engine = make_engine(url)
    writer = engine.execution_options(b12bot_write=True)
    try:
        async with writer.begin() as connection:
            await connection.run_sync(_upgrade_to_head)
    except BaseException:
        await engine.dispose()
        raise
    return Store(engine, clock=clock, lease=lease)


def _check_zone(zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {zone!r}: use an IANA name such as Europe/London"
        ) from error


def _reference_time(dose: Dose) -> datetime:
    """When the dose was meant to arrive: its due time, or the end of its snooze."""
    return max(dose.due_at, dose.snoozed_until) if dose.snoozed_until else dose.due_at


def _occurrences(
    reminder: ReminderRow, now: datetime, advance: Advance
) -> tuple[list[datetime], datetime]:
    """Every due time up to `now` from the reminder's next one, and the first one after `now`."""
    due, passed = reminder.next_due_at, []
    while due <= now:
        passed.append(due)
        following = advance(reminder, due)
        if following <= due:
            raise ValueError(f"advance() went from {due} to {following}: it must move forward")
        due = following
    return passed, due


# ---------------------------------------------------------------------------- the store


class Store:
    """Every read and write of the reminders database; each method is its own transaction."""

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = _utc_now, lease: timedelta = SEND_LEASE
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._lease = lease
        self._reading = async_sessionmaker(engine)
        self._writing = async_sessionmaker(engine.execution_options(b12bot_write=True))
        insert_for = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
        self._insert = insert_for[engine.dialect.name]  # for ON CONFLICT, which each spells itself

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    # -- chats

    async def ensure_chat(self, chat_id: int, kind: ChatKind) -> ChatRow:
        """The chat's row, created on first contact; an existing row is left as it is."""
        async with self._writing.begin() as session:
            await session.execute(
                self._insert(Chat)
                .values(
                    chat_id=chat_id,
                    kind=kind,
                    timezone=None,
                    paused=False,
                    created_at=self._clock(),
                )
                .on_conflict_do_nothing(index_elements=[Chat.chat_id])
            )
            chat = await session.get_one(Chat, chat_id)
            return _row(ChatRow, chat)

    async def chat(self, chat_id: int) -> ChatRow | None:
        """The chat's settings, or None if the bot has never stored it."""
        async with self._reading.begin() as session:
            chat = await session.get(Chat, chat_id)
            return None if chat is None else _row(ChatRow, chat)

    async def set_timezone(self, chat_id: int, zone: str | None) -> bool:
        """Set the chat's default IANA zone for new reminders; existing reminders keep theirs.

        Raises ValueError for an unknown zone; returns False if the chat is not stored.
        """
        if zone is not None:
            _check_zone(zone)
        return await self._update_chat(chat_id, timezone=zone)

    async def pause_chat(self, chat_id: int) -> bool:
        """Stop every reminder of a chat the bot can no longer write to (blocked, removed).

        The reminders keep their own `active` flag, so resume_chat brings back exactly those.
        """
        return await self._update_chat(chat_id, paused=True)

    async def resume_chat(self, chat_id: int) -> bool:
        """Undo pause_chat (the bot was unblocked or re-added).

        Occurrences that fell due while paused are caught up by the next claim like downtime:
        older than the grace period means logged as missed.
        """
        return await self._update_chat(chat_id, paused=False)

    async def _update_chat(self, chat_id: int, **values: object) -> bool:
        async with self._writing.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None:
                return False
            for name, value in values.items():
                setattr(chat, name, value)
            return True

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        """Move a chat, its reminders and its dose log to a new id (group became a supergroup).

        If the new id is already stored (the supergroup spoke first), the two are merged. Returns
        False when the old chat is not stored, e.g. another process already moved it.
        """
        async with self._writing.begin() as session:
            old = await session.get(Chat, old_id)
            if old is None:
                return False
            new = await session.get(Chat, new_id)
            if new is None:
                session.add(
                    Chat(
                        chat_id=new_id,
                        kind=old.kind,
                        timezone=old.timezone,
                        paused=old.paused,
                        created_at=old.created_at,
                    )
                )
            elif new.timezone is None:
                new.timezone = old.timezone
            await session.flush()
            await session.execute(
                update(Reminder).where(Reminder.chat_id == old_id).values(chat_id=new_id)
            )
            await session.execute(update(Dose).where(Dose.chat_id == old_id).values(chat_id=new_id))
            await session.delete(old)
            return True

    # -- reminders

    async def add_reminder(
        self,
        chat_id: int,
        *,
        creator_id: int,
        rule: str,
        timezone: str,
        start_date: date,
        next_due_at: datetime,
        for_whom: str | None = None,
        followup_minutes: int | Literal["default"] | None = "default",
    ) -> ReminderRow:
        """Store a new, active reminder whose first occurrence is `next_due_at`.

        `followup_minutes="default"` means a follow-up after 120 minutes in groups (someone else
        may need to check) and none in private chats. The chat must have been stored first.
        """
        _check_zone(timezone)
        if for_whom is not None and not 1 <= len(for_whom) <= 40:
            raise ValueError("for_whom must be 1 to 40 characters")
        async with self._writing.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None:
                raise LookupError(f"chat {chat_id} is not stored: call ensure_chat first")
            if followup_minutes == "default":
                followup_minutes = GROUP_FOLLOWUP_MINUTES if chat.kind == "group" else None
            reminder = Reminder(
                chat_id=chat_id,
                creator_id=creator_id,
                for_whom=for_whom,
                rule=rule,
                timezone=timezone,
                start_date=start_date,
                next_due_at=next_due_at,
                active=True,
                followup_minutes=followup_minutes,
                created_at=self._clock(),
            )
            session.add(reminder)
            await session.flush()
            return _row(ReminderRow, reminder)

    async def reminders(self, chat_id: int) -> list[ReminderRow]:
        """A chat's reminders, active or not, in the order they were made."""
        async with self._reading.begin() as session:
            found = await session.scalars(
                select(Reminder).where(Reminder.chat_id == chat_id).order_by(Reminder.id)
            )
            return [_row(ReminderRow, reminder) for reminder in found]

    async def reminder(self, reminder_id: int) -> ReminderRow | None:
        """One reminder, or None if it does not exist (any more)."""
        async with self._reading.begin() as session:
            reminder = await session.get(Reminder, reminder_id)
            return None if reminder is None else _row(ReminderRow, reminder)

    async def set_active(self, reminder_id: int, active: bool) -> bool:
        """Stop or restart one reminder; False if it does not exist.

        A restarted reminder whose next time has passed is caught up by the next claim (missed
        rows, maybe a late send) unless the caller reschedules it first.
        """
        async with self._writing.begin() as session:
            reminder = await session.get(Reminder, reminder_id)
            if reminder is None:
                return False
            reminder.active = active
            return True

    async def reschedule(self, reminder_id: int, next_due_at: datetime) -> bool:
        """Move a reminder's next occurrence, e.g. from today when it is restarted after a pause.

        The series is the caller's to compute; the dose log is left as it is. False if the
        reminder does not exist.
        """
        async with self._writing.begin() as session:
            reminder = await session.get(Reminder, reminder_id)
            if reminder is None:
                return False
            reminder.next_due_at = next_due_at
            return True

    async def delete_reminder(self, reminder_id: int) -> bool:
        """Delete a reminder and its dose log; False if it did not exist."""
        async with self._writing.begin() as session:
            reminder = await session.get(Reminder, reminder_id)
            if reminder is None:
                return False
            await session.delete(reminder)
            return True

    async def anything_waiting(self, now: datetime) -> bool:
        """Whether a dispatcher tick has any work: one read, so an idle tick costs one query."""
        checks = [
            select(Reminder.id).where(Reminder.active == True, Reminder.next_due_at <= now),  # noqa: E712
            select(Dose.id).where(Dose.status.in_((*_IN_FLIGHT, "failed")), Dose.retry_at <= now),
            select(Dose.id).where(Dose.status == "snoozed", Dose.snoozed_until <= now),
            select(Dose.id).where(
                Dose.status.in_(_DELIVERED),
                Dose.followup_due_at <= now,
                Dose.followup_sent.is_(False),
            ),
        ]
        async with self._reading.begin() as session:
            return bool(await session.scalar(select(or_(*(check.exists() for check in checks)))))

    async def _any(
        self, column: InstrumentedAttribute[int], *conditions: ColumnElement[bool]
    ) -> bool:
        """Whether anything waits: one indexed read, without taking SQLite's write lock.

        An idle dispatcher tick is four of these and nothing else. Without them each query
        would open a write transaction, and the doses joins would start from the reminders
        table (SQLite has no statistics to know the doses waiting are few): a scan of 100,000.
        """
        async with self._reading.begin() as session:
            return await session.scalar(select(column).where(*conditions).limit(1)) is not None

    def _claimable_doses(
        self,
        waiting: tuple[ColumnElement[bool], ...],
        oldest: InstrumentedAttribute[Any],
        limit: int,
    ) -> Select[tuple[Reminder, Dose]]:
        """Doses matching `waiting`, oldest first, locked so concurrent dispatchers share them."""
        return (
            self._sendable_doses()
            .where(*waiting)
            .order_by(oldest, Dose.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Dose)
        )

    def _sendable_doses(self) -> Select[tuple[Reminder, Dose]]:
        """Doses of active reminders in unpaused chats, read from the doses side.

        The doses waiting for something are few and indexed; starting from 100,000 reminders
        instead makes an idle dispatcher tick cost a table scan.
        """
        return (
            select(Reminder, Dose)
            .select_from(Dose)
            .join(Reminder, Reminder.id == Dose.reminder_id)
            .join(Chat, Chat.chat_id == Reminder.chat_id)
            .where(Reminder.active == True, Chat.paused == False)  # noqa: E712 - see _sendable
        )

    def _sendable(self) -> Select[Reminder]:
        return (
            select(Reminder)
            .join(Chat, Chat.chat_id == Reminder.chat_id)
            # "= true", not a bare column or IS: only an equality lets SQLite use the index.
            .where(Reminder.active == True, Chat.paused == False)  # noqa: E712
        )

    async def due_count(self, now: datetime) -> int:
        """How many reminders are waiting to be claimed (a backlog gauge for health checks)."""
        async with self._reading.begin() as session:
            query = self._sendable().where(Reminder.next_due_at <= now)
            return await session.scalar(select(func.count()).select_from(query.subquery())) or 0

    async def active_reminder_count(self) -> int:
        """How many reminders will fire: active, in a chat that is not paused."""
        async with self._reading.begin() as session:
            query = self._sendable()
            return await session.scalar(select(func.count()).select_from(query.subquery())) or 0

    # -- claims

    async def claim_due(
        self, now: datetime, *, limit: int, grace: timedelta, advance: Advance
    ) -> list[Claim]:
        """Claim up to `limit` due reminders, oldest first: write their dose rows, advance them.

        All in one transaction, before anything is sent. Each reminder's occurrences up to `now`
        get a dose row: the newest one within `grace` is returned for sending (status `sending`,
        or `late` if more than a minute old), every other one is logged as `missed`. On
        PostgreSQL the reminders are locked with SKIP LOCKED, so concurrent dispatchers share
        the work; a dose row that already exists (unique per reminder and due time) is not sent
        again. If `advance` raises for a reminder, that reminder is stopped and logged rather
        than blocking every other one.
        """
        claims: list[Claim] = []
        if not await self._any(Reminder.id, Reminder.active == True, Reminder.next_due_at <= now):  # noqa: E712
            return claims
        async with self._writing.begin() as session:
            due = await session.scalars(
                self._sendable()
                .where(Reminder.next_due_at <= now)
                .order_by(Reminder.next_due_at, Reminder.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Reminder)
            )
            for reminder in due.all():
                claim = await self._claim_reminder(session, reminder, now, grace, advance)
                if claim is not None:
                    claims.append(claim)
        return claims

    async def _claim_reminder(
        self,
        session: AsyncSession,
        reminder: Reminder,
        now: datetime,
        grace: timedelta,
        advance: Advance,
    ) -> Claim | None:
        row = _row(ReminderRow, reminder)
        try:
            passed, following = _occurrences(row, now, advance)
        except Exception:
            logger.exception("reminder %d stopped: its next time cannot be computed", row.id)
            reminder.active = False
            return None
        to_send = passed[-1] if now - passed[-1] <= grace else None
        for due_at in passed if to_send is None else passed[:-1]:
            await self._add_dose(session, reminder, due_at, now, status="missed")
        reminder.next_due_at = following
        if to_send is None:
            return None
        late = now - to_send > LATE_AFTER
        missed = await self._missed_since_last_message(session, reminder.id, before=to_send)
        dose_id = await self._add_dose(
            session, reminder, to_send, now, status="late" if late else "sending"
        )
        if dose_id is None:
            return None
        return Claim(
            dose_id=dose_id,
            reminder=replace(row, next_due_at=following.astimezone(UTC)),
            due_at=to_send,
            late=late,
            missed_since_last=missed,
        )

    async def _add_dose(
        self,
        session: AsyncSession,
        reminder: Reminder,
        due_at: datetime,
        now: datetime,
        *,
        status: DoseStatus,
    ) -> int | None:
        """Insert a dose row; None if (reminder, due_at) already has one."""
        in_flight = status in _IN_FLIGHT
        return await session.scalar(
            self._insert(Dose)
            .values(
                reminder_id=reminder.id,
                chat_id=reminder.chat_id,
                due_at=due_at,
                status=status,
                attempts=1 if in_flight else 0,
                retry_at=now + self._lease if in_flight else None,
                followup_sent=False,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Dose.reminder_id, Dose.due_at])
            .returning(Dose.id)
        )

    async def _missed_since_last_message(
        self, session: AsyncSession, reminder_id: int, *, before: datetime
    ) -> int:
        last_other = (
            select(func.max(Dose.due_at))
            .where(Dose.reminder_id == reminder_id, Dose.status != "missed")
            .scalar_subquery()
        )
        return (
            await session.scalar(
                select(func.count()).where(
                    Dose.reminder_id == reminder_id,
                    Dose.status == "missed",
                    Dose.due_at < before,
                    (Dose.due_at > last_other) | last_other.is_(None),
                )
            )
            or 0
        )

    async def claim_retries(
        self, now: datetime, limit: int, *, grace: timedelta = RETRY_GRACE
    ) -> list[Claim]:
        """Claim doses to send again: failed ones whose retry time has come, and lost ones.

        A dose still in flight when its lease runs out belongs to a sender that crashed (or is
        stuck), so it is sent again, once: delivery is at-least-once, and only the messages in
        flight at a crash can arrive twice. If that retry's lease runs out too, the dose is given
        up (status `failed`, error `lease`) rather than sent on every restart. A retry that
        would arrive more than `grace` after its due time is logged as missed instead.
        """
        claims: list[Claim] = []
        waiting = (Dose.status.in_((*_IN_FLIGHT, "failed")), Dose.retry_at <= now)
        if not await self._any(Dose.id, *waiting):
            return claims
        async with self._writing.begin() as session:
            found = await session.execute(self._claimable_doses(waiting, Dose.retry_at, limit))
            for reminder, dose in found:
                if now - _reference_time(dose) > grace:
                    dose.status, dose.retry_at = "missed", None
                elif dose.status in _IN_FLIGHT and dose.error == LEASE_EXPIRED:
                    dose.status, dose.retry_at = "failed", None
                else:
                    if dose.status in _IN_FLIGHT:
                        dose.error = LEASE_EXPIRED
                    claims.append(self._reclaim(dose, reminder, now))
        return claims

    async def snoozed_due(self, now: datetime, limit: int) -> list[Claim]:
        """Claim snoozed doses whose snooze has ended, to send them again, once.

        A snooze delays one occurrence; the reminder's series is not touched.
        """
        claims: list[Claim] = []
        waiting = (Dose.status == "snoozed", Dose.snoozed_until <= now)
        if not await self._any(Dose.id, *waiting):
            return claims
        async with self._writing.begin() as session:
            found = await session.execute(self._claimable_doses(waiting, Dose.snoozed_until, limit))
            claims.extend(self._reclaim(dose, reminder, now) for reminder, dose in found)
        return claims

    def _reclaim(self, dose: Dose, reminder: Reminder, now: datetime) -> Claim:
        late = now - _reference_time(dose) > LATE_AFTER
        dose.status = "late" if late else "sending"
        dose.attempts += 1
        dose.retry_at = now + self._lease
        dose.followup_due_at = None  # each delivery schedules its own follow-up (mark_sent)
        return Claim(
            dose_id=dose.id,
            reminder=_row(ReminderRow, reminder),
            due_at=dose.due_at,
            late=late,
            missed_since_last=0,
            attempt=dose.attempts,
        )

    # -- after sending

    async def mark_sent(self, dose_id: int, message_id: int) -> bool:
        """Record delivery: the message to edit when a button is pressed, and the follow-up time.

        The status becomes `sent`, or `late` if it arrived more than a minute after it was meant
        to; a dose someone already acted on keeps their answer. False if the dose is gone.
        """
        async with self._writing.begin() as session:
            found = await session.execute(
                select(Dose, Reminder.followup_minutes)
                .join(Reminder, Reminder.id == Dose.reminder_id)
                .where(Dose.id == dose_id)
                .with_for_update(of=Dose)
            )
            row = found.first()
            if row is None:
                return False
            dose, followup_minutes = row
            now = self._clock()
            dose.message_id, dose.retry_at = message_id, None
            if dose.status in (*_IN_FLIGHT, "failed", "missed"):
                dose.status = "late" if now - _reference_time(dose) > LATE_AFTER else "sent"
                dose.followup_sent = False
                dose.followup_due_at = (
                    None if followup_minutes is None else now + timedelta(minutes=followup_minutes)
                )
            return True

    async def mark_failed(self, dose_id: int, error_code: str, retry_at: datetime | None) -> bool:
        """Record a failed send: a short code ("blocked", "network"; cut to 32 characters).

        `retry_at` is when claim_retries may take the dose again; None gives it up. The attempt
        itself was counted when the dose was claimed. False if the dose is gone.
        """
        async with self._writing.begin() as session:
            dose = await session.get(Dose, dose_id, with_for_update=True)
            if dose is None:
                return False
            in_flight = dose.status in _IN_FLIGHT and dose.retry_at is not None
            if in_flight or dose.status == "failed":
                dose.status, dose.error, dose.retry_at = "failed", error_code[:32], retry_at
            return True

    # -- buttons and the dose log

    async def record_action(
        self,
        dose_id: int,
        status: Action,
        by_user: int,
        at: datetime,
        snoozed_until: datetime | None = None,
    ) -> DoseRow | None:
        """Record a button press (taken, skipped, snoozed until when); None if the dose is gone.

        Any pending retry or follow-up of the dose stops: someone has answered.
        """
        if status not in get_args(Action):
            raise ValueError(f"not an action: {status!r}")
        if (status == "snoozed") != (snoozed_until is not None):
            raise ValueError("snoozed_until is required for snoozed, and only for snoozed")
        async with self._writing.begin() as session:
            dose = await session.get(Dose, dose_id, with_for_update=True)
            if dose is None:
                return None
            dose.status, dose.acted_by, dose.acted_at = status, by_user, at
            dose.retry_at = None
            if snoozed_until is not None:
                dose.snoozed_until = snoozed_until
            await session.flush()
            return _row(DoseRow, dose)

    async def log_taken(
        self, reminder_id: int | None, chat_id: int, by_user: int, at: datetime
    ) -> DoseRow | None:
        """Log a dose taken outside a reminder message (/taken), as a `taken` row due at `at`.

        Doses carry their chat, so one logged without a reminder still belongs somewhere and
        shows in the chat's history. None if the chat is not stored or the reminder is not
        the chat's.
        """
        async with self._writing.begin() as session:
            if await session.get(Chat, chat_id) is None:
                return None
            if reminder_id is not None:
                reminder = await session.get(Reminder, reminder_id)
                if reminder is None or reminder.chat_id != chat_id:
                    return None
            acted = {"status": "taken", "acted_by": by_user, "acted_at": at, "retry_at": None}
            dose_id = await session.scalar(
                self._insert(Dose)
                .values(
                    reminder_id=reminder_id,
                    chat_id=chat_id,
                    due_at=at,
                    attempts=0,
                    followup_sent=False,
                    created_at=self._clock(),
                    **acted,
                )
                .on_conflict_do_update(index_elements=[Dose.reminder_id, Dose.due_at], set_=acted)
                .returning(Dose.id)
            )
            dose = await session.get_one(Dose, dose_id)
            return _row(DoseRow, dose)

    async def dose(self, dose_id: int) -> DoseRow | None:
        """One dose, e.g. the one a button names, to check its chat before acting on it."""
        async with self._reading.begin() as session:
            dose = await session.get(Dose, dose_id)
            return None if dose is None else _row(DoseRow, dose)

    async def history(self, chat_id: int, limit: int = 10) -> list[DoseRow]:
        """A chat's dose log, newest due time first."""
        async with self._reading.begin() as session:
            found = await session.scalars(
                select(Dose)
                .where(Dose.chat_id == chat_id)
                .order_by(Dose.due_at.desc(), Dose.id.desc())
                .limit(limit)
            )
            return [_row(DoseRow, dose) for dose in found]

    async def followups_due(self, now: datetime, limit: int) -> list[DoseRow]:
        """Take delivered doses nobody has answered within the reminder's follow-up time.

        They are marked as followed up in the same transaction, so each goes out at most once.
        """
        waiting = (
            Dose.status.in_(_DELIVERED),
            Dose.followup_due_at <= now,
            Dose.followup_sent.is_(False),
        )
        if not await self._any(Dose.id, *waiting):
            return []
        async with self._writing.begin() as session:
            found = await session.execute(
                self._claimable_doses(waiting, Dose.followup_due_at, limit)
            )
            doses = [dose for _, dose in found]
            for dose in doses:
                dose.followup_sent = True
            await session.flush()
            return [_row(DoseRow, dose) for dose in doses]

    # -- feedback

    async def count_feedback(self, topic: str, helpful: bool) -> None:
        """Add one helpful / not helpful vote for an FAQ topic."""
        async with self._writing.begin() as session:
            await session.execute(
                self._insert(Feedback)
                .values(topic=topic, helpful=helpful, count=1)
                .on_conflict_do_update(
                    index_elements=[Feedback.topic, Feedback.helpful],
                    set_={"count": Feedback.count + 1},
                )
            )

    async def feedback_counts(self) -> dict[tuple[str, bool], int]:
        """Votes per (topic, helpful), for reviewing which answers need work."""
        async with self._reading.begin() as session:
            found = await session.execute(select(Feedback.topic, Feedback.helpful, Feedback.count))
            return {(topic, helpful): count for topic, helpful, count in found}

    # -- privacy

    async def forget_chat(self, chat_id: int) -> bool:
        """Delete a chat and everything about it: its reminders and its whole dose log."""
        async with self._writing.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None:
                return False
            await session.delete(chat)  # the database cascades to reminders and doses
            return True

    async def forget_user(self, user_id: int) -> None:
        """Delete everything that names a person: their reminders, their answers, their chat.

        Dose rows they acted on are deleted, not anonymised: a dose row is health data, and the
        chat's own message history shows who pressed which button when, so a row stripped of
        `acted_by` would still point at them through its time. A group loses those entries from
        its log; that is the price of erasure. Reminders they created go with their dose logs,
        even in groups, and so does their private chat (whose id is their user id).
        """
        async with self._writing.begin() as session:
            await session.execute(delete(Reminder).where(Reminder.creator_id == user_id))
            await session.execute(delete(Dose).where(Dose.acted_by == user_id))
            await session.execute(
                delete(Chat).where(Chat.chat_id == user_id, Chat.kind == "private")
            )
