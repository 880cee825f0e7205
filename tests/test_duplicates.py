"""When a new reminder repeats one already there: the whole series, zone and person compared,
never the stored rule alone (monthly on the 1st and on the 15th at 09:00 are two reminders)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.reminders.duplicates import duplicate_of
from bot.reminders.rows import ReminderRow
from bot.reminders.rules import Parsed, parse

TODAY = date(2026, 11, 30)  # a Monday
LONDON = "Europe/London"


def line(text: str) -> Parsed:
    parsed = parse(text, today=TODAY, month_first=False)
    assert isinstance(parsed, Parsed), parsed
    return parsed


def stored(text: str, zone: str = LONDON, *, active: bool = True) -> ReminderRow:
    """A reminder as the store keeps one, set with the /remind line `text`."""
    parsed = line(text)
    return ReminderRow(
        id=1,
        chat_id=7001,
        creator_id=7001,
        for_whom=parsed.for_whom,
        rule=parsed.rule.to_text(),
        timezone=zone,
        start_date=parsed.start,
        next_due_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        active=active,
        followup_minutes=None,
        created_at=datetime(2026, 11, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("there", "new"),
    [
        ("every month at 09:00 from 1 December", "every month at 09:00 from 15 December"),
        ("every month at 09:00 from 30 December", "every month at 09:00 from 31 December"),
        # November has no 31st: this one starts on the 30th but keeps the 31st from December.
        ("every month at 09:00 from 30 November", "every month on the 31st at 09:00"),
        ("every 2 months at 09:00 from 15 December", "every 2 months at 09:00 from 15 January"),
        ("every 4 weeks at 09:00 from 1 December", "every 4 weeks at 09:00 from 8 December"),
        ("every 10 days at 09:00 from 1 December", "every 10 days at 09:00 from 2 December"),
        ("every week at 09:00 from 1 December", "every week at 09:00 from 2 December"),
        ("every Monday at 09:00", "every Tuesday at 09:00"),
        ("every Monday at 09:00", "every week at 09:00 from 1 December"),  # a Tuesday
        ("every month at 09:00 from 1 December", "every month at 10:00 from 1 December"),
        ("every month at 09:00 from 1 December", "every 4 weeks at 09:00 from 1 December"),
        ("every day at 09:00", "every Monday and Friday at 09:00"),
        ("every month at 09:00 for Mum from 1 December", "every month at 09:00 from 1 December"),
        ("every month at 09:00 for Mum from 1 December", "every month at 09:00 for Dad from 1 Dec"),
    ],
)
def test_a_different_schedule_is_a_new_reminder(there: str, new: str) -> None:
    assert duplicate_of(line(new), LONDON, [stored(there)]) is None


@pytest.mark.parametrize(
    ("there", "new"),
    [
        ("every month at 09:00 from 15 December", "every month at 9am from 15 December"),
        ("every month at 09:00 from 15 December", "every month at 09:00 from 15 March"),
        ("every 2 months at 09:00 from 15 December", "every 2 months at 09:00 from 15 February"),
        ("every 4 weeks at 09:00 from 1 December", "every 4 weeks at 09:00 from 29 December"),
        ("every 10 days at 09:00 from 1 December", "every 10 days at 09:00 from 11 December"),
        ("every Monday at 09:00", "every week at 09:00 from 7 December"),
        ("every Monday at 09:00", "every 7 days at 09:00 from 14 December"),
        ("every day at 09:00 from 1 December", "every day at 09:00 from 20 December"),
        (
            "every day at 09:00",
            "every Monday, Tuesday, Wednesday, Thursday, Friday, Saturday and Sunday at 09:00",
        ),
        ("every 4 weeks at 10:00 for Mum", "every 4 weeks at 10am for mum"),
        ("every month at 09:00 from 31 December", "every month on the 31st at 09:00"),
        ("every month on the 31st at 09:00", "every month at 09:00 from 31 January"),
    ],
)
def test_the_same_series_for_the_same_person_is_a_duplicate(there: str, new: str) -> None:
    row = stored(there)
    assert duplicate_of(line(new), LONDON, [row]) == row


def test_the_same_series_in_another_zone_is_a_new_reminder() -> None:
    there = stored("every month at 09:00 from 15 December", "Europe/Dublin")
    assert duplicate_of(line("every month at 09:00 from 15 December"), LONDON, [there]) is None


def test_a_paused_reminder_counts_since_resuming_it_would_make_two() -> None:
    paused = stored("every month at 09:00 from 15 December", active=False)
    assert duplicate_of(line("every month at 09:00 from 15 December"), LONDON, [paused]) == paused


def test_the_one_repeated_is_found_among_others() -> None:
    rows = [
        stored("every month at 09:00 from 1 December"),
        stored("every month at 09:00 from 15 December"),
    ]
    assert duplicate_of(line("every month at 9am from 15 January"), LONDON, rows) == rows[1]
    assert duplicate_of(line("every month at 9am from 8 January"), LONDON, rows) is None
