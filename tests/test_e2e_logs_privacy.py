"""`b12bot run` at LOG_LEVEL=DEBUG, with a database that fails: no personal data in its logs.

Issue 10, fault 7: SQLAlchemy put a failing statement's parameters (names, user ids, schedules)
into the error it raised, which the error handler logged; at DEBUG the aiosqlite logger printed
every statement with its parameters. On PostgreSQL the driver's own message carries the row it
refused ("DETAIL: Failing row contains (..., Margaretha, ...)"), parameters hidden or not.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

pytest_plugins = ["tests.db_fixtures"]
pytestmark = pytest.mark.asyncio
NAME = "Margaretha"  # who a reminder is for: health data about a named person

Breakage = tuple[str, Callable[[], Awaitable[None]]]  # a DATABASE_URL, and how to break it


@pytest.fixture(params=["sqlite", "postgresql"])
def breakable_database(request: pytest.FixtureRequest, tmp_path: Path) -> Breakage:
    """A database, and a way to make the next new reminder fail in it as the bot runs."""
    if request.param == "sqlite":
        path = tmp_path / "logs.sqlite3"

        async def drop_reminders() -> None:
            with sqlite3.connect(path) as db:
                db.execute("drop table reminders")

        return f"sqlite:///{path}", drop_reminders
    url = request.getfixturevalue("postgres_url")

    async def refuse_named_reminders() -> None:
        # A constraint the new row breaks: PostgreSQL's error then quotes the row, name and all.
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(
                "alter table reminders add constraint nobody_named"
                " check (for_whom is null) not valid"
            )
        finally:
            await connection.close()

    return url, refuse_named_reminders


async def test_debug_logs_and_database_errors_hold_no_personal_data(
    emulator, tmp_path, breakable_database: Breakage
) -> None:
    database_url, break_database = breakable_database
    log = tmp_path / "stderr.log"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "DEBUG",
    }
    with log.open("w") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", env=env, stderr=stderr
        )
        try:
            user = emulator.add_user("Sam")
            for line in ("/timezone Europe/London", f"/remind every 4 weeks at 09:00 for {NAME}"):
                await emulator.send_message(user, line)
                await emulator.wait_for_messages(user.id, count=1, timeout=30)
            await break_database()  # the database breaks under the bot
            await emulator.send_message(user, f"/remind every 2 weeks at 10:00 for {NAME}")
            [sorry] = await emulator.wait_for_messages(user.id, count=1, timeout=30)
            assert "went wrong" in sorry.text
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    logged = log.read_text()
    assert "handler failed" in logged  # the failure itself is logged
    assert "DEBUG" in logged  # and the capture holds DEBUG lines
    assert NAME not in logged
    assert str(user.id) not in logged
