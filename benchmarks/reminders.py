"""Reminder delivery at scale and under faults. Prints figures; asserts only what would make the
figures meaningless.

python benchmarks/reminders.py fanout     # 2,000 reminders in 2,000 chats due at once, flood limits on
python benchmarks/reminders.py scale      # 100,000 active reminders in SQLite: start-up, idle tick, memory
python benchmarks/reminders.py scaleout   # two `b12bot dispatch` processes on one PostgreSQL, 2,000 due
python benchmarks/reminders.py chaos      # 1,000 due; `b12bot run` SIGKILLed 3 times and SIGTERMed
    # once, Telegram 6 s slow for a minute, one 429 (retry after 60 s); SQLite, then PostgreSQL.
    # CHAOS_SEED=n repeats a run's random kill moments.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert, select

from bot.config import offline_settings
from bot.emulator import Emulator
from bot.reminders.schema import Dose
from bot.reminders.store import Chat, Reminder, make_engine, open_store
from bot.telegram.app import build_application, running

DUE_AT_ONCE = 2000
SCALE = 100_000
CHAOS_DUE = 1000
CHAOS_LEASE = (
    30  # DISPATCH_LEASE_SECONDS for the chaos run (default 120): shorter waits after kills
)
SLOW_SECONDS, SLOW_FOR = 6.0, 60.0  # Telegram's answers are this slow for this long
FINAL = {"sent", "late", "taken", "skipped", "missed"}
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


@asynccontextmanager
async def _database(kind: str) -> AsyncIterator[str]:
    """A fresh, empty database URL of this kind, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tempfile.mkdtemp(prefix='b12bot-chaos-')}/chaos.sqlite3"
        return
    name = f"b12chaos_{os.getpid()}"
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    await admin.execute(f'create database "{name}"')
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        await admin.execute(f'drop database if exists "{name}" with (force)')
        await admin.close()


async def _doses(url: str) -> dict[int, str]:
    """Each chat's dose by state: "leased" (claimed, its lease running), "due again" (handed back,
    or its lease ran out), "retry later", "failed for good", or its final status."""
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(select(Dose.chat_id, Dose.status, Dose.retry_at))
            ).all()
    finally:
        await engine.dispose()
    now = datetime.now(UTC)

    def state(status: str, retry_at: datetime | None) -> str:
        if retry_at is None:
            return "failed for good" if status == "failed" else status
        if retry_at > now:
            return "retry later" if status == "failed" else "leased"
        return "due again"

    return {chat: state(status, retry_at) for chat, status, retry_at in rows}


@dataclass
class _Chaos:
    """One chaos run: the `b12bot run` process of the moment, and what each stop left behind."""

    emulator: Emulator
    url: str
    people: list
    logs: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    kills: list[tuple[int, int, int]] = field(default_factory=list)  # delivered, leased, exposed
    exposed: set[int] = field(default_factory=set)  # chats whose reminder was in flight at a kill
    stops: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # exit code, leased, handed back

    def delivered(self) -> int:
        return sum(1 for count in _counts(self.emulator, self.people) if count)

    async def start(self) -> None:
        self.starts += 1
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": self.emulator.token,
            "TELEGRAM_BASE_URL": self.emulator.base_url,
            "DATABASE_URL": self.url,
            "DISPATCH_LEASE_SECONDS": str(CHAOS_LEASE),
        }
        with (self.logs / f"run{self.starts}.log").open("w") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", env=env, stderr=log
            )

    async def until_delivered(self, count: int) -> None:
        started = time.perf_counter()
        while self.delivered() < count and time.perf_counter() - started < 600:
            await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """SIGKILL; what it leaves: doses still leased, and doses delivered but not recorded
        (in flight when it came: the only ones that can arrive twice)."""
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        doses = await _doses(self.url)
        arrived = dict(
            zip((p.id for p in self.people), _counts(self.emulator, self.people), strict=True)
        )
        exposed = {chat for chat, state in doses.items() if arrived[chat] and state not in FINAL}
        self.exposed |= exposed
        leased = sum(1 for state in doses.values() if state == "leased")
        self.kills.append((self.delivered(), leased, len(exposed)))

    async def terminate(self) -> None:
        before = Counter((await _doses(self.url)).values())
        self.process.send_signal(signal.SIGTERM)
        code = await self.process.wait()
        after = Counter((await _doses(self.url)).values())
        self.stops.append((code, before["leased"], after["due again"] - before["due again"]))

    async def settled(self) -> bool:
        doses = await _doses(self.url)
        return len(doses) == len(self.people) and set(doses.values()) <= FINAL


async def _slow_telegram(emulator: Emulator) -> None:
    emulator.delay = SLOW_SECONDS
    await asyncio.sleep(SLOW_FOR)
    emulator.delay = 0.0


async def _chaos_on(kind: str, seed: int) -> None:
    draw = random.Random(seed)
    async with _database(kind) as url, Emulator(flood_limits=True) as emulator:
        people = [emulator.add_user(f"P{i}", started=True) for i in range(CHAOS_DUE)]
        await _fill(url, [p.id for p in people], datetime.now(UTC) + timedelta(seconds=5))
        run = _Chaos(emulator, url, people, Path(tempfile.mkdtemp(prefix="b12bot-chaos-logs-")))
        started = time.perf_counter()
        slow = asyncio.create_task(_slow_telegram(emulator))
        await run.start()
        await run.until_delivered(draw.randint(60, 200))
        await run.kill()
        await run.start()
        emulator.fail_next(
            "sendMessage",
            status=429,
            description="Too Many Requests: retry after 60",
            retry_after=60,
        )
        await run.until_delivered(run.delivered() + draw.randint(100, 250))
        await run.kill()
        await run.start()
        await run.until_delivered(run.delivered() + draw.randint(100, 250))
        await run.terminate()
        await run.start()
        await run.until_delivered(run.delivered() + draw.randint(100, 250))
        await run.kill()
        await run.start()
        while not await run.settled() and time.perf_counter() - started < 1800:
            await asyncio.sleep(1)
        settled = time.perf_counter() - started
        await asyncio.sleep(3)  # let any late duplicate arrive before counting
        await run.terminate()
        await slow
        counts = _counts(emulator, people)
        states = Counter((await _doses(url)).values())
    tracebacks = sum(log.read_text().count("Traceback") for log in run.logs.glob("*.log"))
    print(f"chaos on {kind}: {CHAOS_DUE} reminders due at once, seed {seed}, lease {CHAOS_LEASE} s")
    print(
        f"  Telegram {SLOW_SECONDS:.0f} s slow for the first {SLOW_FOR:.0f} s, one 429 asking for"
        f" 60 s, flood limits on; `b12bot run` started {run.starts} times (logs: {run.logs})"
    )
    for number, (delivered, leased, exposed) in enumerate(run.kills, 1):
        print(
            f"  SIGKILL {number} after {delivered} delivered: {exposed} sends in flight "
            f"(delivered, not yet recorded); {leased} claims left to their leases"
        )
    for when, (code, leased, handed) in zip(("mid-run", "at the end"), run.stops, strict=True):
        print(
            f"  SIGTERM {when}: exit code {code}; {handed} of {leased} leased claims handed back"
            " at once (the others finished, or were a killed process's)"
        )
    print(
        f"  delivered {sum(1 for c in counts if c)}, lost {sum(1 for c in counts if not c)}, "
        f"silently failed {states['failed for good']}, duplicates "
        f"{sum(c - 1 for c in counts if c > 1)} (bound: {sum(k[2] for k in run.kills)} in flight "
        f"at the kills, {len(run.exposed)} distinct); most copies of one reminder: {max(counts)}"
    )
    print(f"  final dose states: {dict(sorted(states.items()))}")
    print(f"  tracebacks in the bot's logs: {tracebacks}; all settled after {settled:.0f} s")


async def chaos() -> None:
    seed = int(os.environ.get("CHAOS_SEED", time.time_ns() % 10_000))
    for kind in ("sqlite", "postgresql"):
        await _chaos_on(kind, seed)


def main() -> int:
    runs = {"fanout": fanout, "scale": scale, "scaleout": scaleout, "chaos": chaos}
    chosen = sys.argv[1:] or list(runs)
    unknown = [name for name in chosen if name not in runs]
    if unknown:
        # --help, or a typo: say what there is rather than start a run nobody asked for
        print(__doc__)
        return 0 if unknown in (["--help"], ["-h"]) else 2
    for name in chosen:
        asyncio.run(runs[name]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
