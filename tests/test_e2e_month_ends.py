"""End to end, on SQLite and PostgreSQL: a monthly reminder on the 29th to 31st says what it
does in shorter months, and does it: the reminder comes on their last day, then on its own day
again; said in a month without the day, it starts that month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.test_e2e_reminders import START, Clock, say, services

pytest_plugins = ["tests.db_fixtures", "tests.e2e_app_fixtures"]
pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> Clock:
    return Clock(START)  # Monday 30 Nov 2026, 08:00 in London


async def reminder_at(emulator, app, clock: Clock, user, when: datetime) -> str:
    """Move the clock to `when`, let the dispatcher run, and return the reminder that came."""
    clock.now = when
    await services(app).dispatcher.tick()
    [reminder] = await emulator.wait_for_messages(user.id, count=1)
    return reminder.text


async def test_monthly_on_the_31st_says_and_keeps_the_last_day_of_shorter_months(
    emulator, app, clock
) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone Europe/London")
    described = "every month on the 31st (the last day in shorter months) at 09:00"
    saved = await say(emulator, sam, "/remind monthly at 9am from 2027-01-31")
    assert described in saved.text
    assert "The first reminder comes Sun 31 Jan" in saved.text
    assert f"1. {described}" in (await say(emulator, sam, "/reminders")).text
    for when, day in [
        (datetime(2027, 1, 31, 9, tzinfo=UTC), "Sun 31 Jan"),
        (datetime(2027, 2, 28, 9, tzinfo=UTC), "Sun 28 Feb"),
        (datetime(2027, 3, 31, 8, tzinfo=UTC), "Wed 31 Mar"),  # 09:00 BST
        (datetime(2027, 4, 30, 8, tzinfo=UTC), "Fri 30 Apr"),
    ]:
        assert f"due at {day} 09:00" in await reminder_at(emulator, app, clock, sam, when)
    assert "next <b>Mon 31 May" in (await say(emulator, sam, "/reminders")).html


async def test_on_the_30th_said_in_february_starts_on_its_last_day(emulator, app, clock) -> None:
    clock.now = datetime(2027, 2, 5, 10, tzinfo=UTC)
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone Europe/London")
    saved = await say(emulator, sam, "/remind every month on the 30th at 9am")
    assert "every month on the 30th (the last day in February) at 09:00" in saved.text
    assert "The first reminder comes Sun 28 Feb 09:00" in saved.text
    reminder = await reminder_at(emulator, app, clock, sam, datetime(2027, 2, 28, 9, tzinfo=UTC))
    assert "due at Sun 28 Feb 09:00" in reminder
    assert "next <b>Tue 30 Mar" in (await say(emulator, sam, "/reminders")).html
