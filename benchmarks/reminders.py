"""Reminder delivery at scale. Prints figures; asserts only what would make the figures meaningless.

python benchmarks/reminders.py fanout     # 2,000 reminders in 2,000 chats due at once, flood limits on
python benchmarks/reminders.py scale      # 100,000 active reminders in SQLite: start-up, idle tick, memory
python benchmarks/reminders.py scaleout   # two `b12bot dispatch` processes on one PostgreSQL, 2,000 due
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import insert

from bot.config import offline_settings
from bot.emulator import Emulator
from bot.reminders.store import Chat, Reminder, open_store
from bot.telegram.app import build_application, running

DUE_AT_ONCE = 2000
SCALE = 100_000
POSTGRES = os.environ.get("B12BOT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


async def _fill(url: str, chat_ids: list[int], due: datetime) -> None:
    """Chats and one reminder each, written in bulk (the API would take minutes for 100,000)."""
    store = await open_store(url)
    async with store._writing.begin() as session:
        now = datetime.now(UTC)
        for start in range(0, len(chat_ids), 5000):
            part = chat_ids[start : start + 5000]
            await session.execute(
                insert(Chat),
                [
                    {
                        "chat_id": c,
                        "kind": "private",
                        "timezone": "UTC",
                        "paused": False,
                        "created_at": now,
                    }
                    for c in part
                ],
            )
            await session.execute(
                insert(Reminder),
                [
                    {
                        "chat_id": c,
                        "creator_id": c,
                        "for_whom": None,
                        "rule": "1d@09:00",
                        "timezone": "UTC",
                        "start_date": now.date(),
                        "next_due_at": due,
                        "active": True,
                        "followup_minutes": None,
                        "created_at": now,
                    }
                    for c in part
                ],
            )
    await store.close()


def _counts(emulator: Emulator, people) -> list[int]:
    return [sum("Injection reminder" in m.text for m in emulator.messages(p.id)) for p in people]


async def fanout() -> None:
    folder = tempfile.mkdtemp(prefix="b12bot-fanout-")
    url = f"sqlite:///{folder}/fanout.sqlite3"
    async with Emulator(flood_limits=True) as emulator:
        people = [emulator.add_user(f"P{i}", started=True) for i in range(DUE_AT_ONCE)]
        await _fill(url, [p.id for p in people], datetime.now(UTC) + timedelta(seconds=2))
        application = build_application(offline_settings(emulator.token, emulator.base_url, url))
        async with running(application, polling=False):
            start = time.perf_counter()
            while (
                sum(1 for c in _counts(emulator, people) if c) < DUE_AT_ONCE
                and time.perf_counter() - start < 300
            ):
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - start - 2  # they fall due 2 s in
        counts = _counts(emulator, people)
        sends = sum(1 for method, _ in emulator.requests if method.lower() == "sendmessage")
    print(
        f"fan-out: {DUE_AT_ONCE} reminders due at once in {DUE_AT_ONCE} chats, emulator flood limits on"
    )
    print(
        f"  delivered {sum(1 for c in counts if c)}, lost {sum(1 for c in counts if not c)}, duplicated {sum(c - 1 for c in counts if c > 1)}"
    )
    print(
        f"  all delivered in {elapsed:.1f} s (target <= {1.15 * DUE_AT_ONCE / 30:.1f} s = 1.15 x {DUE_AT_ONCE}/30)"
    )
    print(
        f"  429 answers: {emulator.flood_responses} of {sends} sends = {100 * emulator.flood_responses / max(sends, 1):.2f}% (target < 1%)"
    )


async def scale() -> None:
    folder = tempfile.mkdtemp(prefix="b12bot-scale-")
    url = f"sqlite:///{folder}/scale.sqlite3"
    await _fill(url, list(range(1, SCALE + 1)), datetime.now(UTC) + timedelta(days=1))
    async with Emulator() as emulator:
        start = time.perf_counter()
        application = build_application(offline_settings(emulator.token, emulator.base_url, url))
        async with running(application, polling=False):
            started = time.perf_counter() - start
            dispatcher = application.bot_data["services"].dispatcher
            store = application.bot_data["services"].store
            assert await store.active_reminder_count() == SCALE
            ticks = []
            for _ in range(50):
                t0 = time.perf_counter()
                await dispatcher.tick()
                ticks.append((time.perf_counter() - t0) * 1000)
    ticks.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scale: {SCALE:,} active reminders in SQLite")
    print(
        f"  start-up (build the app, open and migrate the database, menus, dispatcher): {started:.2f} s (target <= 3 s)"
    )
    print(
        f"  dispatcher tick with nothing due: median {ticks[len(ticks) // 2]:.2f} ms, max {ticks[-1]:.2f} ms (target <= 10 ms)"
    )
    print(f"  peak resident memory of this process: {rss:.0f} MB (target <= 200 MB)")


async def scaleout() -> None:
    name = f"b12bench_{os.getpid()}"
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    await admin.execute(f'create database "{name}"')
    url = f"{POSTGRES}/{name}"
    try:
        async with Emulator() as emulator:
            people = [emulator.add_user(f"P{i}", started=True) for i in range(DUE_AT_ONCE)]
            await _fill(url, [p.id for p in people], datetime.now(UTC) + timedelta(seconds=3))
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": emulator.token,
                "TELEGRAM_BASE_URL": emulator.base_url,
                "DATABASE_URL": url,
            }
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bot.cli", "dispatch", env=env
                )
                for _ in range(2)
            ]
            start = time.perf_counter()
            while (
                sum(1 for c in _counts(emulator, people) if c) < DUE_AT_ONCE
                and time.perf_counter() - start < 300
            ):
                await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # let any duplicate arrive before counting
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
                await worker.wait()
            counts = _counts(emulator, people)
        print(
            f"scale-out: two `b12bot dispatch` processes on one PostgreSQL, {DUE_AT_ONCE} reminders due"
        )
        print(
            f"  delivered {sum(1 for c in counts if c)}, lost {sum(1 for c in counts if not c)}, duplicated {sum(c - 1 for c in counts if c > 1)}"
        )
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()


def main() -> int:
    runs = {"fanout": fanout, "scale": scale, "scaleout": scaleout}
    chosen = sys.argv[1:] or list(runs)
    for name in chosen:
        asyncio.run(runs[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
