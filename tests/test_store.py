"""The reminders database, on SQLite and PostgreSQL: schema, every query, and the claim's promises.

The claim is what makes reminders reliable: each due dose is written before it is sent, sent by
one dispatcher only, caught up after downtime (late within the grace period, missed beyond it),
and sent again after a crash only once.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.exc import StatementError

from bot.reminders.chats import PAUSE_RECHECK
from bot.reminders.doselog import APART, AlreadyMarked, taken_when
from bot.reminders.guided import Guide
from bot.reminders.schema import Action
from bot.reminders.store import (
    GROUP_FOLLOWUP_MINUTES,
    LEASE_EXPIRED,
    MAX_ACTIVE_PER_CHAT,
    MIGRATIONS_DIR,
    SEND_LEASE,
    Advance,
    Base,
    Claim,
    DoseRow,
    DuplicateReminder,
    ReminderRow,
    Store,
    TooManyReminders,
    async_url,
    make_engine,
    open_store,
)
from tests.clocks import MovedClock

pytest_plugins = ["tests.db_fixtures"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC
GRACE = timedelta(hours=12)
ALICE, BOB, CAROL = 911_000_001, 911_000_002, 911_000_003  # user ids = their private chat ids
FAMILY = -100_911_000_004  # a group


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock(START)


def daily(reminder: ReminderRow, due: datetime) -> datetime:
    return due + timedelta(days=1)


def weekly(reminder: ReminderRow, due: datetime) -> datetime:
    return due + timedelta(weeks=1)


async def add(
    store: Store,
    chat_id: int = ALICE,
    *,
    due: datetime = START,
    creator: int | None = None,
    **extra: object,
) -> ReminderRow:
    """A weekly 09:00 reminder in a chat that is stored first if need be (groups' ids are < 0)."""
    await store.ensure_chat(chat_id, "group" if chat_id < 0 else "private")
    return await store.add_reminder(
        chat_id,
        creator_id=creator if creator is not None else abs(chat_id),
        rule="1w@09:00",
        timezone="Europe/London",
        start_date=due.date(),
        next_due_at=due,
        **extra,  # type: ignore[arg-type]
    )


async def claim(
    store: Store, now: datetime, *, limit: int = 100, advance: Advance = weekly
) -> list[Claim]:
    return await store.claim_due(now, limit=limit, grace=GRACE, advance=advance)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


# ---------------------------------------------------------------------------- schema


async def test_migrations_build_the_schema_from_empty_and_may_run_again(
    empty_database_url: str,
) -> None:
    for _ in range(2):
        store = await open_store(empty_database_url)
        await store.close()
    engine = make_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            found = await connection.scalars(text("SELECT version_num FROM alembic_version"))
            versions = set(found)
            # The models and the migrations describe the same schema (raises if they drift).
            await connection.run_sync(lambda c: command.check(alembic_config(c)))
    finally:
        await engine.dispose()
    assert tables >= {"alembic_version", "chats", "reminders", "doses", "feedback"}
    assert tables >= {"carer_invites", "carer_links", "carer_alerts"}
    assert versions == set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def test_sqlite_files_use_write_ahead_logging(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_alembic_command_line_migrates_and_finds_no_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a developer runs to write the next migration (see migrations/alembic.ini).
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    command.upgrade(config, "heads")  # two features may branch from one base
    command.check(config)  # raises if the models and the migrations differ


def test_a_refused_send_stored_by_the_old_code_is_missed_after_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old code left a refused send 'failed' with no retry time for good; a retry due is kept."""
    path = tmp_path / "old.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    command.upgrade(config, "0006_dose_used_ampoule")
    with closing(sqlite3.connect(path)) as connection, connection:
        for due, retry_at in (
            ("2026-11-01 09:00:00", None),
            ("2026-11-02 09:00:00", "2026-11-02 09:05:00"),
        ):
            connection.execute(
                "INSERT INTO doses (chat_id, due_at, status, attempts, error, retry_at,"
                " followup_sent, created_at) VALUES (1, ?, 'failed', 1, 'refused', ?, 0, ?)",
                (due, retry_at, due),
            )
    command.upgrade(config, "heads")
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT status, error FROM doses ORDER BY due_at").fetchall()
    assert rows == [("missed", "refused"), ("failed", "refused")]


def test_a_guide_under_way_before_the_upgrade_keeps_its_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0009 adds a guide's day of the month ('on the 31st'); a guide from before has a date."""
    path = tmp_path / "old.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    command.upgrade(Config(str(MIGRATIONS_DIR / "alembic.ini")), "0005_guided_frequency_words")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "INSERT INTO chats (chat_id, kind, paused, created_at) VALUES (1, 'private', 0, ?)",
            ("2026-03-02 09:00:00",),
        )
        connection.execute(
            "INSERT INTO guided_reminders (chat_id, user_id, step, frequency, at, start,"
            " updated_at) VALUES (1, 2, 's', 'every month', '09:00', '2026-03-15', ?)",
            ("2026-03-02 09:00:00",),
        )

    async def upgraded() -> Guide | None:  # the upgrade open_store runs at start-up
        store = await open_store(f"sqlite:///{path}", clock=lambda: START)
        try:
            return await store.guide(1, 2)
        finally:
            await store.close()

    guide = asyncio.run(upgraded())
    assert guide == Guide("s", "every month", "09:00", date(2026, 3, 15))
    assert guide.line() == "every month at 09:00 from 2026-03-15"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///b12bot.sqlite3", "sqlite+aiosqlite:///b12bot.sqlite3"),
        ("sqlite:////var/lib/b12bot.sqlite3", "sqlite+aiosqlite:////var/lib/b12bot.sqlite3"),
        ("postgresql://u:p@db:5432/b12", "postgresql+asyncpg://u:p@db:5432/b12"),
        ("postgres://u:p@db/b12", "postgresql+asyncpg://u:p@db/b12"),
        ("postgresql://u@db/b12?sslmode=require", "postgresql+asyncpg://u@db/b12?ssl=require"),
        ("postgresql+asyncpg://u@db/b12", "postgresql+asyncpg://u@db/b12"),
    ],
)
def test_database_urls_get_their_asyncio_driver(given: str, used: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == used


def test_other_databases_are_refused_with_what_to_use() -> None:
    with pytest.raises(ValueError, match="sqlite:///path or postgresql://"):
        async_url("mysql://u@db/b12")


async def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        await add(store, due=datetime(2026, 3, 2, 9, 0))


async def test_times_come_back_in_utc_whatever_zone_they_went_in_with(store: Store) -> None:
    local = datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))  # BST: 09:00 UTC
    reminder = await add(store, due=local)
    assert reminder.next_due_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    stored = await store.reminder(reminder.id)
    assert stored is not None
    assert stored.next_due_at == local
    assert stored.next_due_at.tzinfo is UTC


# ---------------------------------------------------------------------------- chats


async def test_a_chat_is_stored_once_and_keeps_its_settings(
    store: Store, clock: MovedClock
) -> None:
    assert await store.chat(ALICE) is None
    first = await store.ensure_chat(ALICE, "private")
    assert (first.chat_id, first.kind, first.timezone, first.paused) == (
        ALICE,
        "private",
        None,
        False,
    )
    assert first.created_at == START
    assert await store.set_timezone(ALICE, "Europe/London")
    clock.advance(timedelta(days=1))
    again = await store.ensure_chat(ALICE, "private")
    assert again.timezone == "Europe/London"
    assert again.created_at == START
    assert await store.chat(ALICE) == again


async def test_time_zones_must_be_real_and_chats_known(store: Store) -> None:
    await store.ensure_chat(ALICE, "private")
    with pytest.raises(ValueError, match="Mars/Base"):
        await store.set_timezone(ALICE, "Mars/Base")
    assert not await store.set_timezone(BOB, "UTC")
    assert await store.set_timezone(ALICE, None)


async def test_a_paused_chat_sends_nothing_until_resumed(store: Store) -> None:
    reminder = await add(store, FAMILY)
    await add(store, ALICE)
    assert await store.pause_chat(FAMILY)
    assert await store.due_count(START) == 1
    assert await store.active_reminder_count() == 1
    assert [c.reminder.chat_id for c in await claim(store, START)] == [ALICE]
    assert await store.resume_chat(FAMILY)
    resumed = await claim(store, START + timedelta(minutes=5))
    assert [c.reminder.id for c in resumed] == [reminder.id]
    assert not await store.pause_chat(BOB)


async def test_a_paused_chat_is_taken_for_a_recheck_once_each_interval(store: Store) -> None:
    await add(store, FAMILY)
    await store.ensure_chat(BOB, "private")  # paused too, but with nothing to resume
    assert await store.pause_chat(FAMILY, "restricted")
    assert not await store.pause_chat(FAMILY, "blocked")  # already paused: nobody told twice
    await store.pause_chat(BOB)
    paused = await store.chat(FAMILY)
    assert paused is not None
    assert (paused.paused, paused.paused_reason) == (True, "restricted")
    assert await store.chats_to_recheck(START + PAUSE_RECHECK - timedelta(seconds=1), 10) == []
    assert await store.anything_waiting(START + PAUSE_RECHECK)
    assert await store.chats_to_recheck(START + PAUSE_RECHECK, 10) == [FAMILY]
    assert await store.chats_to_recheck(START + PAUSE_RECHECK, 10) == []  # taken: one probe
    assert await store.chats_to_recheck(START + 2 * PAUSE_RECHECK, 10) == [FAMILY]
    assert await store.resume_chat(FAMILY)
    resumed = await store.chat(FAMILY)
    assert resumed is not None
    assert (resumed.paused, resumed.paused_reason) == (False, None)
    assert await store.chats_to_recheck(START + 9 * PAUSE_RECHECK, 10) == []
    assert await store.creators(FAMILY) == [abs(FAMILY)]


async def test_a_group_that_became_a_supergroup_keeps_its_reminders_and_log(store: Store) -> None:
    supergroup = -100_911_000_005
    reminder = await add(store, FAMILY)
    await store.set_timezone(FAMILY, "Europe/Paris")
    [claimed] = await claim(store, START)
    assert await store.mark_sent(claimed.dose_id, 77)
    await store.pause_chat(FAMILY)

    assert await store.migrate_chat(FAMILY, supergroup)
    assert await store.chat(FAMILY) is None
    moved = await store.chat(supergroup)
    assert moved is not None
    assert (moved.kind, moved.timezone, moved.paused) == ("group", "Europe/Paris", True)
    assert [r.id for r in await store.reminders(supergroup)] == [reminder.id]
    assert await store.reminders(FAMILY) == []
    assert [d.id for d in await store.history(supergroup)] == [claimed.dose_id]
    assert await store.history(FAMILY) == []
    assert not await store.migrate_chat(FAMILY, supergroup)  # another process got there first


async def test_migrating_into_a_chat_already_stored_merges_them(store: Store) -> None:
    supergroup = -100_911_000_005
    await add(store, FAMILY)
    await store.set_timezone(FAMILY, "Europe/Paris")
    await add(store, supergroup)
    assert await store.migrate_chat(FAMILY, supergroup)
    merged = await store.chat(supergroup)
    assert merged is not None
    assert merged.timezone == "Europe/Paris"
    assert len(await store.reminders(supergroup)) == 2


# ---------------------------------------------------------------------------- reminders


async def test_reminders_are_added_listed_stopped_and_deleted(store: Store) -> None:
    first = await add(store, ALICE, for_whom="Mum")
    second = await add(store, ALICE, due=START + timedelta(days=1))
    assert (first.creator_id, first.for_whom, first.rule, first.active) == (
        ALICE,
        "Mum",
        "1w@09:00",
        True,
    )
    assert first.start_date == date(2026, 3, 2)
    assert first.created_at == START
    assert await store.reminders(ALICE) == [first, second]
    assert await store.reminder(first.id) == first
    assert await store.set_active(first.id, False)
    assert await store.active_reminder_count() == 1
    assert await store.due_count(START + timedelta(days=2)) == 1
    later = START + timedelta(days=9)  # restarted from a later date instead of catching up
    assert await store.reschedule(first.id, later)
    assert await store.set_active(first.id, True)
    assert await store.due_count(later - timedelta(seconds=1)) == 1
    assert await store.due_count(later) == 2
    assert await store.delete_reminder(second.id)
    assert await store.reminder(second.id) is None
    assert not await store.delete_reminder(second.id)
    assert not await store.set_active(second.id, True)
    assert not await store.reschedule(second.id, later)
    assert await store.reminders(BOB) == []


async def test_a_chat_holds_at_most_fifty_active_reminders(store: Store) -> None:
    """Issue 10: a per-chat cap, so one chat cannot fill the dispatcher's batches."""
    made = [await add(store, ALICE) for _ in range(MAX_ACTIVE_PER_CHAT)]
    with pytest.raises(TooManyReminders):
        await add(store, ALICE)
    assert await store.set_active(made[0].id, False)
    await add(store, ALICE)  # a stopped one does not count
    with pytest.raises(TooManyReminders):
        await store.set_active(made[0].id, True)
    await add(store, BOB)  # another chat has its own fifty


def weekly_at_nine(rows: Sequence[ReminderRow]) -> ReminderRow | None:
    return next((row for row in rows if row.rule == "1w@09:00"), None)


async def test_two_identical_adds_at_once_store_one(store: Store) -> None:
    """The duplicate check runs with the chat locked: updates are handled concurrently, and two
    'yes' presses for the same line must not both find the chat without it."""
    await store.ensure_chat(FAMILY, "group")
    added = await asyncio.gather(
        *(add(store, FAMILY, same_as=weekly_at_nine) for _ in range(5)), return_exceptions=True
    )
    saved = [result for result in added if isinstance(result, ReminderRow)]
    refused = [result for result in added if isinstance(result, DuplicateReminder)]
    assert len(saved) == 1
    assert len(refused) == 4
    assert {result.same.id for result in refused} == {saved[0].id}
    assert [row.id for row in await store.reminders(FAMILY)] == [saved[0].id]


async def test_follow_ups_are_on_in_groups_and_off_in_private_unless_chosen(store: Store) -> None:
    assert (await add(store, FAMILY)).followup_minutes == GROUP_FOLLOWUP_MINUTES
    assert (await add(store, ALICE)).followup_minutes is None
    assert (await add(store, ALICE, followup_minutes=30)).followup_minutes == 30
    assert (await add(store, FAMILY, followup_minutes=None)).followup_minutes is None


async def test_a_reminder_needs_a_stored_chat_a_real_zone_and_a_short_name(store: Store) -> None:
    with pytest.raises(LookupError, match="ensure_chat"):
        await store.add_reminder(
            BOB,
            creator_id=BOB,
            rule="1w@09:00",
            timezone="UTC",
            start_date=START.date(),
            next_due_at=START,
        )
    with pytest.raises(ValueError, match="40"):
        await add(store, for_whom="M" * 41)
    await store.ensure_chat(ALICE, "private")
    with pytest.raises(ValueError, match="time zone"):
        await store.add_reminder(
            ALICE,
            creator_id=ALICE,
            rule="1w@09:00",
            timezone="Europe/Atlantis",
            start_date=START.date(),
            next_due_at=START,
        )


# ---------------------------------------------------------------------------- the claim


async def test_a_due_reminder_is_claimed_once_and_moved_to_its_next_time(store: Store) -> None:
    reminder = await add(store)
    assert await claim(store, START - timedelta(seconds=1)) == []
    assert await store.due_count(START) == 1
    [claimed] = await claim(store, START + timedelta(seconds=5))
    assert (claimed.reminder.id, claimed.due_at, claimed.late) == (reminder.id, START, False)
    assert (claimed.missed_since_last, claimed.attempt) == (0, 1)
    assert claimed.reminder.next_due_at == START + timedelta(weeks=1)
    assert await claim(store, START + timedelta(seconds=6)) == []
    assert await store.due_count(START + timedelta(days=1)) == 0
    stored = await store.reminder(reminder.id)
    assert stored is not None
    assert stored.next_due_at == START + timedelta(weeks=1)
    [dose] = await store.history(ALICE)
    assert (dose.id, dose.status, dose.attempts, dose.due_at) == (
        claimed.dose_id,
        "sending",
        1,
        START,
    )
    assert dose.retry_at == START + timedelta(seconds=5) + SEND_LEASE  # its lease


async def test_the_oldest_are_claimed_first_up_to_the_limit(store: Store) -> None:
    made = [await add(store, ALICE, due=START - timedelta(minutes=m)) for m in (1, 30, 10, 20)]
    first = await claim(store, START, limit=2)
    assert [c.reminder.id for c in first] == [made[1].id, made[3].id]
    second = await claim(store, START, limit=2)
    assert [c.reminder.id for c in second] == [made[2].id, made[0].id]


async def test_a_minute_late_is_on_time_later_is_late_and_past_the_grace_is_missed(
    store: Store,
) -> None:
    now = START + timedelta(days=1)
    on_time = await add(store, ALICE, due=now - timedelta(seconds=59))
    late = await add(store, ALICE, due=now - GRACE)
    missed = await add(store, BOB, due=now - GRACE - timedelta(seconds=1))
    claims = {c.reminder.id: c for c in await claim(store, now, advance=daily)}
    assert set(claims) == {on_time.id, late.id}
    assert not claims[on_time.id].late
    assert claims[late.id].late
    assert {d.status for d in await store.history(ALICE)} == {"sending", "late"}
    [logged] = await store.history(BOB)
    assert (logged.status, logged.due_at, logged.attempts) == ("missed", missed.next_due_at, 0)
    moved = await store.reminder(missed.id)
    assert moved is not None
    assert moved.next_due_at == missed.next_due_at + timedelta(days=1)


async def test_after_downtime_old_occurrences_are_missed_and_the_newest_is_sent_late(
    store: Store,
) -> None:
    reminder = await add(store, due=START)  # daily at 09:00, bot down for five days
    now = START + timedelta(days=4, hours=3)
    [claimed] = await claim(store, now, advance=daily)
    assert (claimed.due_at, claimed.late, claimed.missed_since_last) == (
        START + timedelta(days=4),
        True,
        4,
    )
    assert claimed.reminder.next_due_at == START + timedelta(days=5)
    log = await store.history(ALICE)
    assert [(d.due_at, d.status) for d in log] == [
        (START + timedelta(days=4), "late"),
        *[(START + timedelta(days=n), "missed") for n in (3, 2, 1, 0)],
    ]
    stored = await store.reminder(reminder.id)
    assert stored is not None
    assert stored.next_due_at == START + timedelta(days=5)


async def test_the_next_message_counts_every_miss_since_the_last_one(store: Store) -> None:
    await add(store, due=START)
    [first] = await claim(store, START, advance=daily)
    await store.mark_sent(first.dose_id, 1)
    # Down long enough that nothing is within the grace period: all logged, nothing sent...
    assert await claim(store, START + timedelta(days=3, hours=13), advance=daily) == []
    # ...so the next message says how many were missed since the last one that went out.
    [nxt] = await claim(store, START + timedelta(days=4), advance=daily)
    assert (nxt.late, nxt.missed_since_last) == (False, 3)


async def test_a_dose_row_already_there_is_not_sent_again(store: Store) -> None:
    reminder = await add(store)
    # Someone logged the dose for exactly this due time (another process, or /taken).
    taken = await store.log_taken(reminder.id, ALICE, ALICE, START)
    assert taken is not None
    assert await claim(store, START) == []
    stored = await store.reminder(reminder.id)
    assert stored is not None
    assert stored.next_due_at == START + timedelta(weeks=1)
    assert [(d.id, d.status) for d in await store.history(ALICE)] == [(taken.id, "taken")]


async def test_a_rule_that_cannot_advance_stops_only_its_own_reminder(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    broken = await add(store, ALICE, due=START - timedelta(minutes=5))
    stuck = await add(store, ALICE, due=START - timedelta(minutes=4))
    fine = await add(store, BOB)

    def advance(reminder: ReminderRow, due: datetime) -> datetime:
        if reminder.id == broken.id:
            raise ValueError("bad rule")
        return due if reminder.id == stuck.id else weekly(reminder, due)

    claims = await claim(store, START, advance=advance)
    assert [c.reminder.id for c in claims] == [fine.id]
    for reminder in (broken, stuck):
        stopped = await store.reminder(reminder.id)
        assert stopped is not None
        assert not stopped.active
    assert f"reminder {broken.id} stopped" in caplog.text


async def test_concurrent_dispatchers_claim_every_due_reminder_exactly_once(
    store: Store, open_stores: Callable[[], Awaitable[Store]]
) -> None:
    other = await open_stores()
    made = [
        await add(store, chat, due=START - timedelta(seconds=n))
        for n, chat in enumerate([ALICE, BOB, CAROL, FAMILY] * 10)
    ]

    async def dispatch(dispatcher: Store) -> list[int]:
        claimed: list[int] = []
        while batch := await claim(dispatcher, START, limit=5):
            claimed += [c.reminder.id for c in batch]
        return claimed

    first, second = await asyncio.gather(dispatch(store), dispatch(other))
    assert sorted(first + second) == sorted(r.id for r in made)
    assert len(set(first + second)) == len(made)
    doses = [d for chat in (ALICE, BOB, CAROL, FAMILY) for d in await store.history(chat, 100)]
    assert len(doses) == len(made)


# ---------------------------------------------------------------------------- after sending


async def test_a_sent_dose_keeps_its_message_and_schedules_the_group_follow_up(
    store: Store, clock: MovedClock
) -> None:
    await add(store, FAMILY)
    [claimed] = await claim(store, START)
    clock.now = START + timedelta(seconds=20)
    assert await store.mark_sent(claimed.dose_id, 4242)
    [dose] = await store.history(FAMILY)
    assert (dose.status, dose.message_id, dose.retry_at) == ("sent", 4242, None)
    assert dose.followup_due_at == clock.now + timedelta(minutes=GROUP_FOLLOWUP_MINUTES)
    assert not await store.mark_sent(999_999, 1)


async def test_a_dose_delivered_over_a_minute_late_is_logged_late(
    store: Store, clock: MovedClock
) -> None:
    await add(store)
    [claimed] = await claim(store, START)
    clock.now = START + timedelta(seconds=61)  # waited behind Telegram's rate limits
    await store.mark_sent(claimed.dose_id, 1)
    [dose] = await store.history(ALICE)
    assert (dose.status, dose.followup_due_at) == ("late", None)


async def test_a_failed_send_is_retried_when_asked_and_only_then(store: Store) -> None:
    await add(store)
    [claimed] = await claim(store, START)
    retry_at = START + timedelta(seconds=30)
    assert await store.mark_failed(claimed.dose_id, "network", retry_at)
    assert await store.claim_retries(retry_at - timedelta(seconds=1), 10) == []
    [again] = await store.claim_retries(retry_at, 10)
    assert (again.dose_id, again.attempt, again.late, again.due_at) == (
        claimed.dose_id,
        2,
        False,
        START,
    )
    assert await store.claim_retries(retry_at, 10) == []  # taken by this claim only
    assert await store.mark_failed(again.dose_id, "blocked by the user, says Telegram", None)
    [dose] = await store.history(ALICE)  # given up: final, and counted as missed
    assert (dose.status, dose.error, dose.retry_at, dose.attempts) == (
        "missed",
        "blocked by the user, says Telegr",
        None,
        2,
    )
    assert await store.claim_retries(START + timedelta(days=1), 10) == []
    assert not await store.mark_failed(999_999, "network", None)


async def test_a_dose_lost_in_a_crash_is_sent_again_after_its_lease(store: Store) -> None:
    await add(store)
    [claimed] = await claim(store, START)  # ...and the process dies before reporting
    assert await store.claim_retries(START + SEND_LEASE - timedelta(seconds=1), 10) == []
    restart = START + SEND_LEASE
    [again] = await store.claim_retries(restart, 10)
    assert (again.dose_id, again.attempt, again.late) == (claimed.dose_id, 2, True)
    assert await store.claim_retries(restart, 10) == []
    [dose] = await store.history(ALICE)
    assert (dose.status, dose.error) == ("late", LEASE_EXPIRED)


async def test_a_dose_whose_senders_keep_dying_is_never_dropped(store: Store) -> None:
    """Issue 10, fault 1: a lease expiring twice used to give the dose up as failed/lease."""
    await add(store)
    [claimed] = await claim(store, START)
    at = START
    for attempt in range(2, 7):  # every process that takes it dies before reporting
        at += SEND_LEASE
        [again] = await store.claim_retries(at, 10)
        assert (again.dose_id, again.attempt) == (claimed.dose_id, attempt)
        assert await store.claim_retries(at, 10) == []
    [dose] = await store.history(ALICE)
    assert dose.status in {"sending", "late"}
    # Past the grace period it is logged as missed, never left failed...
    assert await store.claim_retries(START + GRACE + timedelta(minutes=1), 10, grace=GRACE) == []
    [dose] = await store.history(ALICE)
    assert (dose.status, dose.retry_at) == ("missed", None)
    # ...and the next reminder says so.
    [following] = await claim(store, START + timedelta(weeks=1))
    assert following.missed_since_last == 1


async def test_a_retry_past_the_grace_period_is_logged_as_missed(store: Store) -> None:
    await add(store)
    [claimed] = await claim(store, START)
    await store.mark_failed(claimed.dose_id, "flood", START + GRACE + timedelta(minutes=1))
    assert await store.claim_retries(START + GRACE + timedelta(minutes=1), 10, grace=GRACE) == []
    [dose] = await store.history(ALICE)
    assert (dose.status, dose.retry_at) == ("missed", None)


async def test_a_send_reported_after_someone_answered_keeps_the_answer(store: Store) -> None:
    await add(store)
    [claimed] = await claim(store, START)
    await store.record_action(claimed.dose_id, "taken", ALICE, START + timedelta(seconds=3))
    await store.mark_sent(claimed.dose_id, 55)
    await store.mark_failed(claimed.dose_id, "network", START + timedelta(minutes=1))
    [dose] = await store.history(ALICE)
    assert (dose.status, dose.message_id, dose.retry_at) == ("taken", 55, None)
    assert await store.claim_retries(START + timedelta(hours=1), 10) == []


# ---------------------------------------------------------------------------- buttons, log


async def test_buttons_record_who_answered_and_when(store: Store) -> None:
    await add(store, FAMILY, creator=ALICE)
    [claimed] = await claim(store, START)
    await store.mark_sent(claimed.dose_id, 9)
    at = START + timedelta(minutes=3)
    taken = await store.record_action(claimed.dose_id, "taken", BOB, at)
    assert taken is not None
    assert (taken.status, taken.acted_by, taken.acted_at, taken.message_id) == ("taken", BOB, at, 9)
    assert await store.record_action(999_999, "taken", BOB, at) is None
    assert await store.dose(claimed.dose_id) == taken
    assert await store.dose(999_999) is None
    with pytest.raises(ValueError, match="snoozed_until"):
        await store.record_action(claimed.dose_id, "snoozed", BOB, at)
    with pytest.raises(ValueError, match="snoozed_until"):
        await store.record_action(claimed.dose_id, "taken", BOB, at, snoozed_until=at)
    with pytest.raises(ValueError, match="not an action"):
        await store.record_action(claimed.dose_id, "sent", BOB, at)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "second"), [("taken", "taken"), ("taken", "skipped"), ("skipped", "taken")]
)
async def test_two_presses_at_once_one_wins_and_the_other_is_told_what_stands(
    open_stores: Callable[[], Awaitable[Store]], first: Action, second: Action
) -> None:
    """Two people in a family group press on one dose at the same moment, through two Stores
    (like two webhook processes): exactly one answer is recorded, once, and the other press
    gets the answer that stands, which the bot shows as "Already marked"."""
    store, other = await open_stores(), await open_stores()
    reminder = await add(store, FAMILY, creator=ALICE)
    await store.set_supplies(reminder.id, 3)
    [claimed] = await claim(store, START)
    await store.mark_sent(claimed.dose_id, 9)
    at = START + timedelta(minutes=3)
    presses = await asyncio.gather(
        store.record_action(claimed.dose_id, first, BOB, at),
        other.record_action(claimed.dose_id, second, CAROL, at),
    )
    [won] = [press for press in presses if isinstance(press, DoseRow)]
    [lost] = [press for press in presses if isinstance(press, AlreadyMarked)]
    assert lost.dose == won == await store.dose(claimed.dose_id)
    assert (won.status, won.acted_by) == ((first, BOB) if won is presses[0] else (second, CAROL))
    [logged] = await store.history(FAMILY)
    assert logged == won
    stored = await store.reminder(reminder.id)
    assert stored is not None
    assert stored.supplies_left == (2 if won.status == "taken" else 3)


async def test_a_press_on_a_settled_dose_changes_nothing(store: Store) -> None:
    await add(store, FAMILY, creator=ALICE)
    [claimed] = await claim(store, START)
    await store.mark_sent(claimed.dose_id, 9)
    taken = await store.record_action(claimed.dose_id, "taken", BOB, START)
    later = START + timedelta(minutes=5)
    for action, until in (("skipped", None), ("taken", None), ("snoozed", later)):
        again = await store.record_action(claimed.dose_id, action, CAROL, later, until)
        assert again == AlreadyMarked(taken)
    assert await store.dose(claimed.dose_id) == taken


async def test_a_snoozed_dose_is_sent_again_once_when_the_snooze_ends(
    store: Store, clock: MovedClock
) -> None:
    reminder = await add(store)
    [claimed] = await claim(store, START)
    await store.mark_sent(claimed.dose_id, 1)
    until = START + timedelta(hours=1)
    snoozed = await store.record_action(claimed.dose_id, "snoozed", ALICE, START, until)
    assert snoozed is not None
    assert (snoozed.status, snoozed.snoozed_until) == ("snoozed", until)
    assert await store.snoozed_due(until - timedelta(seconds=1), 10) == []
    [again] = await store.snoozed_due(until, 10)
    assert (again.dose_id, again.due_at, again.late, again.attempt) == (
        claimed.dose_id,
        START,
        False,
        2,
    )
    assert await store.snoozed_due(until, 10) == []
    clock.now = until + timedelta(seconds=2)
    await store.mark_sent(again.dose_id, 2)
    [dose] = await store.history(ALICE)
    assert (dose.status, dose.message_id) == ("sent", 2)  # on time for its snooze
    stored = await store.reminder(reminder.id)
    assert stored is not None
    assert stored.next_due_at == START + timedelta(weeks=1)  # the series is not moved


async def test_a_group_follow_up_goes_once_and_only_if_nobody_answered(
    store: Store, clock: MovedClock
) -> None:
    await add(store, FAMILY, due=START)
    await add(store, FAMILY, due=START + timedelta(seconds=1))
    await add(store, ALICE, due=START)  # private: no follow-up
    claims = await claim(store, START + timedelta(seconds=1))
    for number, claimed in enumerate(claims):
        await store.mark_sent(claimed.dose_id, number)
    answered = next(c for c in claims if c.reminder.chat_id == FAMILY)
    await store.record_action(answered.dose_id, "taken", BOB, START + timedelta(minutes=5))

    after = clock.now + timedelta(minutes=GROUP_FOLLOWUP_MINUTES)
    assert await store.followups_due(after - timedelta(seconds=1), 10) == []
    [followup] = await store.followups_due(after, 10)
    assert followup.chat_id == FAMILY
    assert followup.id != answered.dose_id
    assert followup.followup_sent
    assert await store.followups_due(after + timedelta(hours=1), 10) == []


async def test_the_next_work_after_a_moment_is_the_first_thing_a_tick_would_do_later(
    store: Store, clock: MovedClock
) -> None:
    """What `b12bot chat`'s /wait steps through: due reminders, then their follow-ups."""
    assert await store.next_work_after(START) is None
    await add(store, FAMILY)
    assert await store.next_work_after(START - timedelta(minutes=1)) == START
    assert await store.next_work_after(START) is None  # due now is not "after"
    [claimed] = await claim(store, START)
    clock.now = START + timedelta(seconds=20)
    await store.mark_sent(claimed.dose_id, 1)
    followup = clock.now + timedelta(minutes=GROUP_FOLLOWUP_MINUTES)
    assert await store.next_work_after(clock.now) == followup
    assert await store.followups_due(followup, 10)
    assert await store.next_work_after(followup) == START + timedelta(weeks=1)


async def test_a_snoozed_group_dose_gets_its_follow_up_after_it_is_sent_again(
    store: Store, clock: MovedClock
) -> None:
    await add(store, FAMILY)
    [claimed] = await claim(store, START)
    await store.mark_sent(claimed.dose_id, 1)
    until = START + timedelta(hours=3)  # snoozed past the first follow-up time
    await store.record_action(claimed.dose_id, "snoozed", BOB, START, until)
    [again] = await store.snoozed_due(until + timedelta(minutes=5), 10)
    assert again.late
    assert await store.followups_due(until + timedelta(days=1), 10) == []  # still in flight
    clock.now = until + timedelta(minutes=5)
    await store.mark_sent(again.dose_id, 2)
    after = clock.now + timedelta(minutes=GROUP_FOLLOWUP_MINUTES)
    assert await store.followups_due(after - timedelta(seconds=1), 10) == []
    assert [d.id for d in await store.followups_due(after, 10)] == [claimed.dose_id]


async def test_taken_can_be_logged_without_a_reminder_and_shows_in_history(store: Store) -> None:
    reminder = await add(store, ALICE)
    at = START + timedelta(days=2)
    loose = await store.log_taken(None, ALICE, ALICE, at)
    assert loose is not None
    assert (loose.reminder_id, loose.chat_id, loose.status, loose.acted_by) == (
        None,
        ALICE,
        "taken",
        ALICE,
    )
    assert await store.log_taken(reminder.id, BOB, BOB, at) is None  # BOB's chat is not stored
    await store.ensure_chat(BOB, "private")
    assert await store.log_taken(reminder.id, BOB, BOB, at) is None  # not BOB's reminder
    tied = await store.log_taken(reminder.id, ALICE, ALICE, at + timedelta(hours=1))
    assert tied is not None
    assert tied.reminder_id == reminder.id
    assert [d.id for d in await store.history(ALICE)] == [tied.id, loose.id]


async def test_history_is_newest_first_and_limited(store: Store) -> None:
    await add(store, due=START)
    for day in range(12):
        await claim(store, START + timedelta(days=day), advance=daily)
    log = await store.history(ALICE)
    assert len(log) == 10
    assert [d.due_at for d in log] == [START + timedelta(days=day) for day in range(11, 1, -1)]
    assert len(await store.history(ALICE, limit=3)) == 3


async def test_a_dose_given_early_counts_for_its_due_time_but_logs_when_given(
    store: Store,
) -> None:
    tuesday = await add(store, due=START + timedelta(days=1))  # due Tue 09:00
    given = START + timedelta(hours=11)  # Monday 20:00: near enough to count for Tuesday's
    early = await store.log_given(ALICE, tuesday.id, ALICE, given, following=weekly)
    assert early is not None
    assert (early.how, early.dose.due_at, early.dose.acted_at) == (
        "ahead",
        tuesday.next_due_at,
        given,
    )
    loose = await store.log_taken(None, ALICE, ALICE, given + timedelta(hours=1))  # Monday 21:00
    # Newest first by when each was given: Monday 21:00, then Tuesday's dose given Monday 20:00.
    log = await store.history(ALICE)
    assert [d.id for d in log] == [loose.id, early.dose.id]
    assert [taken_when(d) for d in log] == [
        (given + timedelta(hours=1), None),
        (given, tuesday.next_due_at),
    ]


async def test_the_log_names_the_due_time_only_when_taken_well_apart(store: Store) -> None:
    await add(store, due=START)
    [on_time, late, unanswered] = [
        c.dose_id for day in range(3) for c in await claim(store, START + timedelta(weeks=day))
    ]
    pressed = START + APART - timedelta(minutes=1)
    await store.record_action(on_time, "taken", ALICE, pressed)
    await store.record_action(late, "taken", ALICE, START + timedelta(weeks=1) + APART)
    found = {d.id: taken_when(d) for d in await store.history(ALICE)}
    assert found[on_time] == (pressed, None)
    assert found[late] == (START + timedelta(weeks=1) + APART, START + timedelta(weeks=1))
    assert found[unanswered] == (START + timedelta(weeks=2), None)  # not taken: its due time


# ---------------------------------------------------------------------------- feedback


async def test_feedback_is_counted_per_topic_and_answer(store: Store) -> None:
    assert await store.feedback_counts() == {}
    for topic, helpful in [("dose", True), ("dose", True), ("dose", False), ("routes", True)]:
        await store.count_feedback(topic, helpful)
    assert await store.feedback_counts() == {
        ("dose", True): 2,
        ("dose", False): 1,
        ("routes", True): 1,
    }


# ---------------------------------------------------------------------------- privacy


async def rows_mentioning(database_url: str, value: int) -> list[tuple[str, tuple]]:
    """Every row of every table in which some column holds `value`."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            found = []
            for table in Base.metadata.sorted_tables:
                for row in await connection.execute(select(table)):
                    if value in tuple(row):
                        found.append((table.name, tuple(row)))
            return found
    finally:
        await engine.dispose()


async def busy_family(store: Store) -> None:
    """ALICE and BOB in private and in a family group, each acting on the other's doses."""
    await add(store, ALICE, creator=ALICE)
    await add(store, BOB, creator=BOB)
    await add(store, FAMILY, creator=ALICE, for_whom="Mum")
    await add(store, FAMILY, creator=BOB, due=START + timedelta(seconds=1))
    await store.set_timezone(ALICE, "Europe/London")
    for claimed in await claim(store, START + timedelta(seconds=1)):
        await store.mark_sent(claimed.dose_id, claimed.dose_id + 500)
        acting = {ALICE: ALICE, BOB: BOB}.get(claimed.reminder.chat_id)
        if acting is None:  # in the group, each answers the other's reminder
            acting = BOB if claimed.reminder.creator_id == ALICE else ALICE
        await store.record_action(claimed.dose_id, "taken", acting, START + timedelta(minutes=1))
    await store.log_taken(None, FAMILY, ALICE, START + timedelta(days=1))
    await store.log_taken(None, BOB, BOB, START + timedelta(days=1))
    await store.count_feedback("dose", True)


@pytest.mark.parametrize("outside", [0, -1, 2**31, 2**63, 10**20])
async def test_ids_the_database_cannot_hold_find_nothing(store: Store, outside: int) -> None:
    """A forged button can name any number; ids are 32-bit integers on both databases."""
    assert await store.dose(outside) is None
    assert await store.reminder(outside) is None
    assert await store.record_action(outside, "taken", ALICE, START) is None


async def test_forgetting_a_chat_leaves_no_trace_of_it(store: Store, database_url: str) -> None:
    await busy_family(store)
    assert await store.forget_chat(FAMILY)
    assert await rows_mentioning(database_url, FAMILY) == []
    assert await store.chat(FAMILY) is None
    assert len(await store.reminders(ALICE)) == 1
    assert len(await store.history(BOB)) == 2
    assert not await store.forget_chat(FAMILY)


async def test_forgetting_a_person_leaves_no_trace_of_them(store: Store, database_url: str) -> None:
    await busy_family(store)
    assert await rows_mentioning(database_url, ALICE) != []
    await store.forget_user(ALICE)
    assert await rows_mentioning(database_url, ALICE) == []
    # BOB keeps his own things, except the doses ALICE answered for him.
    assert [r.creator_id for r in await store.reminders(FAMILY)] == [BOB]
    assert await store.history(FAMILY) == []
    assert len(await store.reminders(BOB)) == 1
    assert len(await store.history(BOB)) == 2
    assert await store.feedback_counts() == {("dose", True): 1}


async def test_forgotten_rows_leave_no_copy_in_sqlites_files(tmp_path: Path) -> None:
    """Issue 10: after /forget, SQLite's write-ahead log still held the deleted rows."""
    path = tmp_path / "erased.sqlite3"
    store = await open_store(f"sqlite:///{path}")
    marker = "Zebediah-Quist"
    try:
        for chat in (ALICE, FAMILY):
            await add(store, chat, for_whom=marker)
        for claimed in await claim(store, START):
            await store.mark_sent(claimed.dose_id, 1)
        assert marker.encode() in _sqlite_bytes(path)  # there before
        await store.forget_chat(FAMILY)
        await store.forget_user(ALICE)
        assert marker.encode() not in _sqlite_bytes(path)
    finally:
        await store.close()


def _sqlite_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log, as they lie on disk."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
