"""Fixtures for tests that need the reminders database, on SQLite and on PostgreSQL.

Use them with `pytest_plugins = ["tests.db_fixtures"]` in the test module. Each test gets a
database of its own with the schema in place and no rows: on SQLite a copy of a file migrated
once per session; on PostgreSQL a schema migrated once per session and emptied after every test.
The schema is reached through a throwaway role whose search_path is that schema, so the app's
own URL handling is used unchanged. `empty_database_url` is a database with no schema at all.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from uuid import uuid4

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.reminders.store import Base, Clock, Store, open_store

POSTGRES_URL = os.environ.get(
    "B12BOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
T = TypeVar("T")


async def _connect(url: str) -> asyncpg.Connection:
    parts = make_url(url)
    try:
        return await asyncpg.connect(
            host=parts.host, port=parts.port, user=parts.username, database=parts.database
        )
    except (OSError, asyncpg.PostgresError) as error:
        message = (
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({error}): start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "or point B12BOT_TEST_POSTGRES_URL at one"
        )
        if os.environ.get("CI"):  # CI starts PostgreSQL: there, a missing database is a failure
            pytest.fail(message)
        pytest.skip(message)


async def _create_schema() -> str:
    """The URL of a new, empty schema that only a role of its own sees."""
    admin = await _connect(POSTGRES_URL)
    name = f"store_test_{uuid4().hex[:12]}"
    try:
        await admin.execute(
            f"CREATE ROLE {name} LOGIN; CREATE SCHEMA {name} AUTHORIZATION {name};"
            f"ALTER ROLE {name} SET search_path = {name}"
        )
    finally:
        await admin.close()
    return make_url(POSTGRES_URL).set(username=name).render_as_string(hide_password=False)


async def _drop_schema(url: str) -> None:
    name = make_url(url).username
    admin = await _connect(POSTGRES_URL)
    try:
        await admin.execute(f"DROP SCHEMA {name} CASCADE; DROP ROLE {name}")
    finally:
        await admin.close()


async def _migrate(url: str) -> None:
    store = await open_store(url)
    await store.close()


def _run_aside(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine to the end on a thread of its own, apart from the test's event loop.

    Session-wide set-up is asked for from inside a test's running loop, and must not be bound to
    that loop (each test has its own), so it gets a loop of its own for the moment it needs.
    """
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


@pytest.fixture(params=BACKENDS)
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The DATABASE_URL of a database with nothing in it, not even the schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = await _create_schema()
    yield url
    await _drop_schema(url)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A PostgreSQL database with nothing in it, reached through a role that lock_out can stop."""
    url = await _create_schema()
    yield url
    await _drop_schema(url)


@pytest.fixture
def lock_out() -> Callable[[str], Awaitable[None]]:
    """Make a postgres_url database unreachable, as an outage would."""
    return _lock_out


async def _lock_out(url: str) -> None:
    """Cut the open connections of `url`'s role and refuse it new ones."""
    name = make_url(url).username
    admin = await _connect(POSTGRES_URL)
    try:
        await admin.execute(f"ALTER ROLE {name} NOLOGIN")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name
        )
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "b12bot.sqlite3"
    _run_aside(_migrate(f"sqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def _postgres_session_url() -> Iterator[str]:
    url = _run_aside(_create_schema())
    try:
        _run_aside(_migrate(url))
        yield url
    finally:
        _run_aside(_drop_schema(url))


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The DATABASE_URL of a database with the schema and no rows, as the app would be given it."""
    if request.param == "sqlite":
        path = tmp_path / "b12bot.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("_postgres_session_url")
    yield url
    connection = await _connect(url)
    for table in reversed(Base.metadata.sorted_tables):  # quicker than TRUNCATE for a few rows
        await connection.execute(f"DELETE FROM {table.name}")
    await connection.close()


@pytest.fixture
def clock() -> Clock:
    """The Stores' clock: real time. A test module overrides this fixture to move time itself,
    with a tests.clocks.MovedClock."""
    return lambda: datetime.now(UTC)


@pytest.fixture
async def open_stores(
    database_url: str, clock: Clock
) -> AsyncIterator[Callable[[], Awaitable[Store]]]:
    """Open Stores on the test's database (several are like several processes); closed after."""
    opened: list[Store] = []

    async def open_one() -> Store:
        opened.append(await open_store(database_url, clock=clock))
        return opened[-1]

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_stores: Callable[[], Awaitable[Store]]) -> Store:
    """A Store on a database with the schema and no rows."""
    return await open_stores()
