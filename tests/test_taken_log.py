"""How near an occurrence a dose given by hand must be to answer it: a fifth of the interval,
never under 12 hours nor over 3 days; and when a dose far from any is worth a restart offer."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.reminders.rows import DoseRow, ReminderRow
from bot.reminders.rules import THREE_A_WEEK, Rule, first_due, parse
from bot.reminders.taken_log import NEAR, NEAREST, near, restart_offer


@pytest.mark.parametrize(
    ("rule", "window"),
    [
        (Rule("day", 1, 9, 0), NEAR),  # a fifth of a day is under the floor
        (Rule("day", 2, 9, 0), NEAR),
        (Rule("week", 1, 9, 0), timedelta(days=7) / 5),
        (Rule("week", 2, 9, 0), timedelta(days=14) / 5),
        (Rule("week", 4, 9, 0), NEAREST),
        (Rule("week", 12, 9, 0), NEAREST),
        (Rule("month", 3, 9, 0), NEAREST),
        (Rule("week", 1, 9, 0, THREE_A_WEEK), NEAR),  # two days apart at the closest
        (Rule("week", 1, 9, 0, (0,)), timedelta(days=7) / 5),  # one day a week: a week apart
        (Rule("week", 1, 9, 0, (0, 3)), timedelta(days=3) / 5),  # Monday to Thursday: 14.4 h
    ],
)
def test_near_is_a_fifth_of_the_interval_within_bounds(rule: Rule, window: timedelta) -> None:
    assert near(rule) == window


LONDON = ZoneInfo("Europe/London")


def london(*when: int) -> datetime:
    return datetime(*when, tzinfo=LONDON).astimezone(UTC)


def reminder_set(line: str, at: datetime) -> ReminderRow:
    """A reminder as /remind would store it, set at `at`."""
    parsed = parse(line, today=at.astimezone(LONDON).date())
    start, rule = parsed.start, parsed.rule
    due = first_due(rule, "Europe/London", start, at)
    return ReminderRow(1, 1, 1, None, rule.to_text(), "Europe/London", start, due, True, None, at)


def given(at: datetime) -> DoseRow:
    """A dose logged on its own: its due time is when it was given."""
    return DoseRow(1, 1, 1, at, "taken", None, 1, at, 0, None, None, None, False, None, at)


@pytest.mark.parametrize(
    ("line", "set_at", "taken_at"),
    [
        # Set after today's 09:00, first tomorrow; /taken that evening (12 h 3 min before it).
        ("every day at 9am", london(2026, 11, 30, 20, 55), london(2026, 11, 30, 20, 57)),
        # Set after today's time: the confirmation itself suggests /taken for today's dose.
        ("every 12 weeks at 5am", london(2026, 11, 30, 8), london(2026, 11, 30, 8, 1)),
        ("every month at 9am", london(2026, 11, 30, 10), london(2026, 11, 30, 10, 1)),
        ("every week at 9am", london(2026, 11, 30, 10), london(2026, 11, 30, 10, 1)),
        # A daily reminder set this morning; yesterday's dose logged: today's 09:00 either way.
        ("every day at 9am", london(2026, 11, 30, 8), london(2026, 11, 29, 9)),
        # On the 31st from 28 February, restarted from 30 January: 28 February either way.
        ("every month at 9am on the 31st", london(2027, 2, 5, 10), london(2027, 1, 30, 9)),
    ],
)
def test_no_restart_is_offered_that_keeps_the_next_reminder(
    line: str, set_at: datetime, taken_at: datetime
) -> None:
    assert restart_offer(reminder_set(line, set_at), given(taken_at), set_at) is None


@pytest.mark.parametrize(
    ("line", "set_at", "taken_at", "offered"),
    [
        # Five days before the first of a 4-weekly series: it would come five days earlier.
        ("every 4 weeks at 9am", london(2026, 11, 30, 8), london(2026, 11, 25, 9), (12, 23)),
        # Thursday for a series set on Mondays: Thursdays from then on.
        ("every week at 9am", london(2026, 11, 30, 8), london(2026, 11, 26, 12), (12, 3)),
        # A series that starts next week, its first dose given today: from tomorrow.
        (
            "every day at 9am from 7 Dec",
            london(2026, 11, 30, 10),
            london(2026, 11, 30, 10),
            (12, 1),
        ),
        # Wednesday's dose given on Tuesday evening: Friday is the next.
        ("3 times a week at 9am", london(2026, 11, 30, 10), london(2026, 12, 1, 20, 57), (12, 4)),
    ],
)
def test_a_restart_that_moves_the_next_reminder_is_offered_with_it(
    line: str, set_at: datetime, taken_at: datetime, offered: tuple[int, int]
) -> None:
    now = max(set_at, taken_at)
    due = restart_offer(reminder_set(line, set_at), given(taken_at), now)
    assert due is not None
    assert due.astimezone(LONDON).date() == date(2026, *offered)
    assert due.astimezone(LONDON).time().hour == 9
