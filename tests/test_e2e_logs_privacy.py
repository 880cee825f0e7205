"""`b12bot run` at LOG_LEVEL=DEBUG, with a database that fails: no personal data in its logs.

Issue 10, fault 7: SQLAlchemy put a failing statement's parameters (names, user ids, schedules)
into the error it raised, which the error handler logged; at DEBUG the aiosqlite logger printed
every statement with its parameters.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys

import pytest

pytestmark = pytest.mark.asyncio
NAME = "Margaretha"  # who a reminder is for: health data about a named person


async def test_debug_logs_and_database_errors_hold_no_personal_data(emulator, tmp_path) -> None:
    database = tmp_path / "logs.sqlite3"
    log = tmp_path / "stderr.log"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "DATABASE_URL": f"sqlite:///{database}",
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
            with sqlite3.connect(database) as db:  # the database breaks under the bot
                db.execute("drop table reminders")
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
