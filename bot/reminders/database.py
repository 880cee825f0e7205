"""Connecting to the reminders database and migrating it; the base every query class shares.

SQLite (the default, one process) and PostgreSQL (several processes) are both first-class:
claims lock rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL and take SQLite's single write lock
up front (`BEGIN IMMEDIATE`), so the same code is safe on both.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import ColumnElement, Connection, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import InstrumentedAttribute

logger = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).with_name("migrations")
SEND_LEASE: Final = timedelta(minutes=2)  # an in-flight dose not marked by then is sent again
_BUSY_TIMEOUT_MS: Final = 5_000
_MIGRATION_LOCK: Final = 0x0B12_B07  # PostgreSQL advisory lock: one process migrates at a time
_ASYNC_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",  # the spelling Heroku-style hosts use
}

Clock = Callable[[], datetime]
MAX_ID: Final = 2**31 - 1  # reminder and dose ids are INTEGER columns on both databases


def storable_id(value: int) -> bool:
    """Whether an id (from a button, so from anyone) could name a row at all.

    The database raises for a number its column cannot hold; a forged button is just expired.
    """
    return 0 < value <= MAX_ID


def utc_now() -> datetime:
    return datetime.now(UTC)


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
    # secure_delete overwrites what is deleted, so erased health data is not left in free pages.
    pragmas = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "secure_delete=ON")
    for pragma in (*pragmas, f"busy_timeout={_BUSY_TIMEOUT_MS}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A write transaction takes the database's write lock at BEGIN, so a read-then-write (a claim)
    # never meets a concurrent writer half-way; other processes wait up to the busy timeout.
    write = connection.get_execution_options().get("b12bot_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> AsyncEngine:
    """An asyncio engine for DATABASE_URL; SQLite gets WAL, foreign keys and a busy timeout.

    Statement parameters are names, user ids and schedules: SQLAlchemy is told to leave them out
    of the errors it raises, which end up in logs.
    """
    parsed = async_url(url)
    if parsed.get_backend_name() == "postgresql":  # a server may drop idle connections
        return create_async_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    engine = create_async_engine(parsed, hide_parameters=True)
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def upgrade_to_head(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # several processes may start at once
        connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")  # features may add migrations side by side from one base


class Queries:
    """What every group of queries shares: the engine, its two kinds of session, the clock.

    Each public method of a subclass is its own transaction. Reads use plain sessions; writes use
    sessions that take SQLite's write lock at BEGIN (see _sqlite_begin).
    """

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = utc_now, lease: timedelta = SEND_LEASE
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._lease = lease
        self._reading = async_sessionmaker(engine)
        self._writing = async_sessionmaker(engine.execution_options(b12bot_write=True))
        insert_for = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
        self._insert = insert_for[engine.dialect.name]  # for ON CONFLICT, which each spells itself

    @property
    def lease(self) -> timedelta:
        """How long a claimed dose is its dispatcher's before another may send it again."""
        return self._lease

    async def _flush_erased(self) -> None:
        """After an erasure, leave no copy of the deleted rows in SQLite's write-ahead log.

        The log keeps old page images until a checkpoint copies the newest ones into the file
        (overwritten by secure_delete) and TRUNCATE empties it. A reader mid-transaction can hold
        the checkpoint back, so it is tried a few times. PostgreSQL needs nothing here.
        """
        if self._engine.dialect.name != "sqlite":
            return
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            for wait in (0.0, 0.05, 0.2, 1.0):
                await asyncio.sleep(wait)
                cursor = await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy, *_ = await cursor.fetchone()
                if not busy:
                    return
        logger.warning("an erasure's pages are still in the write-ahead log: readers were busy")

    async def ping(self) -> None:
        """Raise if the database does not answer (for health checks)."""
        async with self._reading.begin() as session:
            await session.execute(select(1))

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

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
