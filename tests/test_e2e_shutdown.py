"""A deploy is not a crash: SIGTERM stops `b12bot run`, `webhook` and `dispatch` cleanly.

Sends under way finish and are recorded, what was claimed but not sent is handed back at once,
the process exits 0 without a traceback, and the next process sends every reminder exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.reminders.store import open_store

pytestmark = pytest.mark.asyncio
REMINDERS = 10  # in one chat, so they go out one a second, one after another


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _copies(emulator, chat_id: int) -> dict[int, int]:
    """How many copies of each dose's reminder arrived, by dose id (from its Taken button)."""
    copies: dict[int, int] = {}
    for message in emulator.messages(chat_id):
        if "Injection reminder" in message.text:
            dose_id = int(message.buttons[0][0][1].split(":")[1])
            copies[dose_id] = copies.get(dose_id, 0) + 1
    return copies


def _sends(emulator) -> int:
    return sum(method == "sendMessage" for method, _ in emulator.requests)


async def _until(check, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.05)


async def _start(emulator, database: str, command: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
        "DATABASE_URL": f"sqlite:///{database}",
    }
    if command == "webhook":
        port = _free_port()
        env |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "WEBHOOK_SECRET": "shutdown-test",
            "PORT": str(port),
        }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        command,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.parametrize("command", ["run", "webhook", "dispatch"])
async def test_sigterm_mid_send_finishes_or_hands_back_and_exits_0(
    emulator, tmp_path, command
) -> None:
    """Issue 10, fault 6."""
    database = str(tmp_path / "stop.sqlite3")
    person = emulator.add_user("Sam", started=True)
    store = await open_store(f"sqlite:///{database}")
    now = datetime.now(UTC)
    await store.ensure_chat(person.id, "private")
    for minutes in range(REMINDERS):
        await store.add_reminder(
            person.id,
            creator_id=person.id,
            rule="1d@09:00",
            timezone="UTC",
            start_date=now.date(),
            next_due_at=now - timedelta(seconds=5 + minutes),
        )
    await store.close()
    emulator.delay = 1.0  # each send takes a second: one is under way when SIGTERM comes

    process = await _start(emulator, database, command)
    await _until(lambda: len(_copies(emulator, person.id)) >= 3, timeout=30)
    started = _sends(emulator)
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr.decode()
    assert _sends(emulator) <= started + 1  # the one under way (or starting) then, no more

    with sqlite3.connect(database) as db:
        leased = db.execute(  # the lease is 2 minutes; a handed-back dose is due again now
            "select count(*) from doses where status in ('sending', 'late') "
            "and retry_at > datetime('now', '+1 minute')"
        ).fetchone()[0]
        recorded = db.execute(
            "select count(*) from doses where status in ('sent', 'late') and retry_at is null"
        ).fetchone()[0]
    assert leased == 0  # nothing claimed is left waiting for its lease to run out
    assert recorded == len(_copies(emulator, person.id))  # every arrival is recorded
    assert recorded < REMINDERS, "SIGTERM came too late to test anything"

    emulator.delay = 0.0
    following = await _start(emulator, database, "dispatch")
    try:
        await _until(lambda: len(_copies(emulator, person.id)) == REMINDERS, timeout=30)
    finally:
        following.send_signal(signal.SIGTERM)
        await following.communicate()
    assert set(_copies(emulator, person.id).values()) == {1}  # none lost, none twice
