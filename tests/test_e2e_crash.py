"""Crash recovery: SIGKILL the bot in the middle of sending reminders, start it again on the same
database, and nothing is lost; only what was in flight at the kill may arrive twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.reminders.store import open_store

pytestmark = pytest.mark.asyncio
PEOPLE = 40


async def _start_bot(emulator, database: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "DISPATCH_LEASE_SECONDS": "2",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _reminders_received(emulator, people) -> dict[int, int]:
    return {
        p.id: sum("Injection reminder" in m.text for m in emulator.messages(p.id)) for p in people
    }


async def _until(check, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


async def _due_now(emulator, database: str) -> list:
    """PEOPLE people who started the bot, each with a reminder that fell due 5 s ago."""
    people = [emulator.add_user(f"P{i}", started=True) for i in range(PEOPLE)]
    store = await open_store(f"sqlite:///{database}")
    now = datetime.now(UTC)
    for person in people:
        await store.ensure_chat(person.id, "private")
        await store.add_reminder(
            person.id,
            creator_id=person.id,
            rule="1d@09:00",
            timezone="UTC",
            start_date=now.date(),
            next_due_at=now - timedelta(seconds=5),
        )
    await store.close()
    return people


def _in_flight(database: str) -> int:
    """Doses claimed and not yet recorded: the most a crash now could send twice."""
    with sqlite3.connect(database) as db:
        return db.execute(
            "select count(*) from doses where status in ('sending', 'late')"
        ).fetchone()[0]


async def _kill_after(emulator, people, process, delivered: int) -> int:
    """SIGKILL `process` once `delivered` reminders have arrived; what was in flight then."""
    await _until(lambda: sum(_reminders_received(emulator, people).values()) >= delivered, 30)
    process.send_signal(signal.SIGKILL)
    await process.wait()
    return sum(_reminders_received(emulator, people).values())


async def _finish(emulator, people, database: str) -> dict[int, int]:
    last = await _start_bot(emulator, database)
    try:
        await _until(lambda: all(_reminders_received(emulator, people).values()), timeout=60)
    finally:
        last.send_signal(signal.SIGTERM)
        await last.wait()
    return _reminders_received(emulator, people)


async def test_sigkill_mid_send_loses_nothing(emulator, tmp_path) -> None:
    database = str(tmp_path / "crash.sqlite3")
    people = await _due_now(emulator, database)
    emulator.delay = 0.3  # slow replies, so sends are in flight when the kill comes

    delivered = await _kill_after(emulator, people, await _start_bot(emulator, database), 8)
    in_flight = _in_flight(database)
    assert delivered < PEOPLE, "the kill came too late to test anything"

    received = await _finish(emulator, people, database)
    assert all(count >= 1 for count in received.values())  # nothing lost
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= in_flight  # only what was in flight at the kill


async def test_two_kills_in_a_row_lose_nothing(emulator, tmp_path) -> None:
    """Issue 10, fault 1: a dose whose lease ran out twice was given up for good."""
    database = str(tmp_path / "crash.sqlite3")
    people = await _due_now(emulator, database)
    emulator.delay = 0.3

    delivered = await _kill_after(emulator, people, await _start_bot(emulator, database), 8)
    in_flight = [_in_flight(database)]
    # The second process takes over what the first left in flight, and dies sending it too.
    await _kill_after(emulator, people, await _start_bot(emulator, database), delivered + 4)
    in_flight.append(_in_flight(database))
    assert sum(_reminders_received(emulator, people).values()) < PEOPLE, "killed too late"

    received = await _finish(emulator, people, database)
    assert all(count >= 1 for count in received.values())  # nothing lost
    assert sum(count - 1 for count in received.values()) <= sum(in_flight)
