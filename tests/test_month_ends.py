"""Monthly reminders on the 29th, 30th and 31st: every month of the cycle gets exactly one
reminder, on its day or on a shorter month's last day, and none is skipped or doubled: in the
rule, in "/remind monthly on the 31st" said in a month without one, in the dispatcher's catch-up
after a restart, and in /taken's matching of a dose to an occurrence."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reminders.dispatcher import Delivered, Dispatcher, advance
from bot.reminders.rules import Parsed, Rule, first_due, next_due, parse
from tests.clocks import MovedClock

pytest_plugins = ["tests.db_fixtures"]

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",  # changes its clocks at midnight
    "UTC",
]


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def on_or_last(index: int, day: int) -> date:
    """The `day`th of the month at `index`, or that month's last day if it is shorter."""
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day, monthrange(year, month + 1)[1]))


def local_dates(rule: Rule, zone: str, start: date, count: int) -> list[date]:
    """The first `count` local dates of the series, as the dispatcher would step it."""
    tz = ZoneInfo(zone)
    due = first_due(rule, zone, start, datetime.combine(start, time(), tzinfo=tz))
    found = []
    for _ in range(count):
        found.append(due.astimezone(tz).date())
        due = next_due(rule, zone, start, due)
    return found


@st.composite
def monthly_series(draw: st.DrawFn) -> tuple[Rule, date, int]:
    """A monthly rule, its start, and the day of the month it should keep: mostly the 29th to
    31st, from a start on that day or on a shorter month's last day standing in for it."""
    every = draw(st.sampled_from([1, 2, 3, 6, 12]) | st.integers(1, 12))
    day = draw(st.sampled_from([29, 30, 31]) | st.integers(1, 31))
    month = draw(st.dates(date(2024, 1, 1), date(2034, 12, 1)))
    start = on_or_last(month_index(month), day)
    kept = day if start.day != day and draw(st.booleans()) else start.day
    hour, minute = draw(st.sampled_from([(0, 0), (1, 30), (9, 0), (23, 59)]))
    return Rule("month", every, hour, minute, day=kept if kept != start.day else None), start, kept


@settings(deadline=None, max_examples=300)
@given(monthly_series(), st.sampled_from(ZONES))
def test_each_month_of_the_cycle_has_one_reminder_on_its_day_or_the_months_last(
    series: tuple[Rule, date, int], zone: str
) -> None:
    rule, start, day = series
    dates = local_dates(rule, zone, start, 40)  # 40 months to 40 years: leap years included
    first = month_index(start)
    assert dates == [on_or_last(first + step * rule.every, day) for step in range(40)]
    gaps = {month_index(later) - month_index(earlier) for earlier, later in pairwise(dates)}
    assert gaps == {rule.every}  # no month of the cycle skipped, none given two


@settings(deadline=None, max_examples=200)
@given(
    monthly_series(),
    st.sampled_from(ZONES),
    st.integers(0, 10 * 365 * 24 * 60),
)
def test_the_next_reminder_from_any_moment_is_the_series_own(
    series: tuple[Rule, date, int], zone: str, minutes: int
) -> None:
    """What a restart or a resume asks (the first at or after now) is one of the series' dates,
    the first one not yet gone: never a later month."""
    rule, start, _ = series
    tz = ZoneInfo(zone)
    now = datetime.combine(start, time(), tzinfo=tz) + timedelta(minutes=minutes)
    due = first_due(rule, zone, start, now)
    walked = first_due(rule, zone, start, datetime.combine(start, time(), tzinfo=tz))
    while walked < now:
        walked = next_due(rule, zone, start, walked)
    assert due == walked


@settings(deadline=None, max_examples=300)
@given(
    st.dates(date(2024, 1, 1), date(2034, 12, 31)),
    st.sampled_from([29, 30, 31]) | st.integers(1, 31),
    st.sampled_from([1, 2, 3, 12]),
)
def test_on_the_day_said_in_a_month_without_it_starts_that_month(
    today: date, day: int, every: int
) -> None:
    """'/remind monthly on the 31st' on 5 April: the first reminder is 30 April, then the 31st
    again from May; never 31 May with April's injection silently left out."""
    often = "every month" if every == 1 else f"every {every} months"
    parsed = parse(f"{often} on the {day} at 9am", today=today)
    assert isinstance(parsed, Parsed)
    this_month = on_or_last(month_index(today), day)
    first = month_index(today) + (0 if this_month >= today else 1)
    dates = local_dates(parsed.rule, "UTC", parsed.start, 13)
    assert dates == [on_or_last(first + step * every, day) for step in range(13)]


@pytest.mark.parametrize(
    ("stored", "rule"),
    [
        ("1md31@09:00", Rule("month", 1, 9, 0, day=31)),
        ("12md29@23:59", Rule("month", 12, 23, 59, day=29)),
        ("1m@09:00", Rule("month", 1, 9, 0)),
    ],
)
def test_the_day_kept_is_stored_with_the_rule(stored: str, rule: Rule) -> None:
    assert rule.to_text() == stored
    assert Rule.from_text(stored) == rule


@pytest.mark.parametrize("stored", ["1dd31@09:00", "1wd5@09:00", "1md32@09:00", "1md0@09:00"])
def test_a_day_of_the_month_on_anything_but_months_is_not_a_stored_rule(stored: str) -> None:
    with pytest.raises(ValueError, match=r"stored rule|day of the month"):
        Rule.from_text(stored)


def test_a_series_restarted_from_another_day_keeps_that_day() -> None:
    """/taken's restart moves the start to the day a dose was given; the 31st no longer holds."""
    rule = Rule("month", 1, 9, 0, day=31)
    assert local_dates(rule, "UTC", date(2027, 5, 15), 3) == [
        date(2027, 5, 15),
        date(2027, 6, 15),
        date(2027, 7, 15),
    ]


# ---------------------------------------------------------------------------------------------
# Through the store: the dispatcher's catch-up and /taken
# ---------------------------------------------------------------------------------------------

JAN_31 = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovedClock:  # overrides db_fixtures' real-time clock: store and dispatcher share it
    return MovedClock(JAN_31)


class Sender:
    """Delivers every reminder and remembers which due times it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[datetime] = []

    async def send_reminder(self, claim) -> Delivered:
        self.sent.append(claim.due_at)
        return Delivered(len(self.sent))


async def on_the_31st(store) -> int:
    """A private reminder every month on the 31st at 09:00 UTC, from 31 January 2027."""
    await store.ensure_chat(1, "private")
    row = await store.add_reminder(
        1,
        creator_id=1,
        rule="1m@09:00",
        timezone="UTC",
        start_date=JAN_31.date(),
        next_due_at=JAN_31,
    )
    return row.id


def nine(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


@pytest.mark.asyncio
async def test_two_years_of_daily_ticks_and_a_restart_remind_once_a_month(store, clock) -> None:
    """Ticking each day for two years (2028 a leap year), the bot down from 20 February to
    3 March 2028: every month has one dose row on its day or its last, the month the bot was down
    included (missed, and counted), and no month has two."""
    sender = Sender()
    reminder = await on_the_31st(store)
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0)
    down = (datetime(2028, 2, 20, tzinfo=UTC), datetime(2028, 3, 3, 12, tzinfo=UTC))
    while clock.now < datetime(2029, 1, 1, tzinfo=UTC):
        if not down[0] <= clock.now < down[1]:
            await dispatcher.tick()
        clock.now += timedelta(days=1)
    doses = await store.dose_log(1, reminder_id=reminder)
    months = [on_or_last(month_index(date(2027, 1, 1)) + step, 31) for step in range(24)]
    assert [dose.due_at for dose in doses] == [nine(d.year, d.month, d.day) for d in months]
    assert {d.due_at: d.status for d in doses}[nine(2028, 2, 29)] == "missed"
    assert nine(2028, 2, 29) not in sender.sent
    assert len(sender.sent) == 23
    assert (await store.reminder(reminder)).next_due_at == nine(2029, 1, 31)


@pytest.mark.asyncio
async def test_down_for_months_the_short_ones_are_logged_missed_and_the_last_sent_late(
    store, clock
) -> None:
    sender = Sender()
    reminder = await on_the_31st(store)
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0)
    await dispatcher.tick()
    clock.now = datetime(2027, 4, 30, 10, 0, tzinfo=UTC)  # back an hour after April's was due
    await dispatcher.tick()
    doses = await store.dose_log(1, reminder_id=reminder)
    assert [(d.due_at, d.status) for d in doses] == [
        (JAN_31, "sent"),
        (nine(2027, 2, 28), "missed"),
        (nine(2027, 3, 31), "missed"),
        (nine(2027, 4, 30), "late"),
    ]
    assert (await store.reminder(reminder)).next_due_at == nine(2027, 5, 31)


@pytest.mark.asyncio
async def test_a_dose_given_by_hand_answers_the_short_months_reminder(store, clock) -> None:
    """Given on 26 February, a dose answers 28 February's reminder, which is then never sent,
    and the series moves on to 31 March, not to April; given the evening after 30 April's
    reminder, it answers that one."""
    sender = Sender()
    reminder = await on_the_31st(store)
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0)
    await dispatcher.tick()
    clock.now = datetime(2027, 2, 26, 10, 0, tzinfo=UTC)
    ahead = await store.log_given(1, reminder, 1, nine(2027, 2, 26), following=advance)
    assert (ahead.how, ahead.dose.due_at) == ("ahead", nine(2027, 2, 28))
    assert (await store.reminder(reminder)).next_due_at == nine(2027, 3, 31)
    for due in (nine(2027, 2, 28), nine(2027, 3, 31), nine(2027, 4, 30)):
        clock.now = due
        await dispatcher.tick()
    assert sender.sent == [JAN_31, nine(2027, 3, 31), nine(2027, 4, 30)]
    clock.now = datetime(2027, 5, 1, 21, 0, tzinfo=UTC)
    late = await store.log_given(
        1, reminder, 1, datetime(2027, 5, 1, 20, 0, tzinfo=UTC), following=advance
    )
    assert (late.how, late.dose.due_at) == ("marked", nine(2027, 4, 30))
