"""Reminder rules: the /remind grammar, recurrence across DST and month ends, snoozes, zones."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.reminders import rules
from bot.reminders.rules import (
    COMMON_ZONES,
    MAX_EVERY,
    Answer,
    Parsed,
    Problem,
    Rule,
    first_due,
    next_due,
    parse,
    read_answer,
    resolve_zone,
    snoozed,
    tomorrow_comes_first,
)

TODAY = date(2026, 11, 20)
LONDON, NEW_YORK, SYDNEY = "Europe/London", "America/New_York", "Australia/Sydney"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def series(rule: Rule, zone: str, start: date, now: datetime, count: int) -> list[datetime]:
    """The next `count` occurrences, as the dispatcher walks them: first_due, then next_due."""
    dues = [first_due(rule, zone, start, now)]
    while len(dues) < count:
        dues.append(next_due(rule, zone, start, dues[-1]))
    return dues


# ---------------------------------------------------------------------------------------------
# The grammar
# ---------------------------------------------------------------------------------------------

VALID = [
    ("every 4 weeks at 09:00", Rule("week", 4, 9, 0), TODAY, None, None),
    ("monthly at 8am from 2026-12-01", Rule("month", 1, 8, 0), date(2026, 12, 1), None, None),
    ("every 3 months at 10:30 for Mum", Rule("month", 3, 10, 30), TODAY, "Mum", None),
    ("every day at 21:15", Rule("day", 1, 21, 15), TODAY, None, None),
    ("every 2 days at 7:30 pm Europe/London", Rule("day", 2, 19, 30), TODAY, None, LONDON),
    ("daily at 9:00", Rule("day", 1, 9, 0), TODAY, None, None),
    ("every 10 days at 9 am", Rule("day", 10, 9, 0), TODAY, None, None),
    ("every week at 6pm", Rule("week", 1, 18, 0), TODAY, None, None),
    ("weekly at noon", Rule("week", 1, 12, 0), TODAY, None, None),
    ("every 2 weeks at midnight", Rule("week", 2, 0, 0), TODAY, None, None),
    ("fortnightly at 8:15am", Rule("week", 2, 8, 15), TODAY, None, None),
    ("every fortnight at 08:15", Rule("week", 2, 8, 15), TODAY, None, None),
    ("every month at 12am", Rule("month", 1, 0, 0), TODAY, None, None),
    ("every 12 months at 12pm", Rule("month", 12, 12, 0), TODAY, None, None),
    ("every other day at 7.30 p.m.", Rule("day", 2, 19, 30), TODAY, None, None),
    ("every other week at 9am", Rule("week", 2, 9, 0), TODAY, None, None),
    ("every other month at 9am", Rule("month", 2, 9, 0), TODAY, None, None),
    ("every twelve weeks at 9am", Rule("week", 12, 9, 0), TODAY, None, None),
    ("Every  THREE   Months  AT 9AM", Rule("month", 3, 9, 0), TODAY, None, None),
    ("every 365 days at 23:59", Rule("day", 365, 23, 59), TODAY, None, None),
    ("every 52 weeks at 00:00", Rule("week", 52, 0, 0), TODAY, None, None),
    ("every day 21:15", Rule("day", 1, 21, 15), TODAY, None, None),
    ("every day at 12:30 am", Rule("day", 1, 0, 30), TODAY, None, None),
    ("every day at 9am from today", Rule("day", 1, 9, 0), TODAY, None, None),
    ("every day at 9am from tomorrow", Rule("day", 1, 9, 0), date(2026, 11, 21), None, None),
    (
        "every 4 weeks at 9am from 1 December 2026",
        Rule("week", 4, 9, 0),
        date(2026, 12, 1),
        None,
        None,
    ),
    ("every 4 weeks at 9am from 1 Dec", Rule("week", 4, 9, 0), date(2026, 12, 1), None, None),
    ("every 4 weeks at 9am from 1st of Jan", Rule("week", 4, 9, 0), date(2027, 1, 1), None, None),
    (
        "every 4 weeks at 9am from December 3, 2026",
        Rule("week", 4, 9, 0),
        date(2026, 12, 3),
        None,
        None,
    ),
    (
        "every 4 weeks at 9am starting 2027-02-28",
        Rule("week", 4, 9, 0),
        date(2027, 2, 28),
        None,
        None,
    ),
    # Any order after the frequency, and the frequency need not come first either.
    (
        "every 3 months for Mum at 10:30 from 2026-12-01 America/New_York",
        Rule("month", 3, 10, 30),
        date(2026, 12, 1),
        "Mum",
        NEW_YORK,
    ),
    ("at 7:30pm every 2 days for Dad", Rule("day", 2, 19, 30), TODAY, "Dad", None),
    (
        "weekly at 9am for Mary-Jane O'Brien Jr. UTC",
        Rule("week", 1, 9, 0),
        TODAY,
        "Mary-Jane O'Brien Jr.",
        "UTC",
    ),
    ("daily at 9am for  Zoë  Müller ", Rule("day", 1, 9, 0), TODAY, "Zoë Müller", None),
    ("daily at 9am for мама", Rule("day", 1, 9, 0), TODAY, "мама", None),
    ("daily at 9am in new york", Rule("day", 1, 9, 0), TODAY, None, NEW_YORK),
    ("daily at 9am for Gran in Zürich", Rule("day", 1, 9, 0), TODAY, "Gran", "Europe/Zurich"),
    ("daily at 9am europe/london", Rule("day", 1, 9, 0), TODAY, None, LONDON),
    ("daily at 9am, for Mum.", Rule("day", 1, 9, 0), TODAY, "Mum", None),
    # four figures after "at", as rotas and prescriptions write times
    ("every 4 weeks at 0900", Rule("week", 4, 9, 0), TODAY, None, None),
    ("every day at 1730", Rule("day", 1, 17, 30), TODAY, None, None),
    ("every day at 930pm", Rule("day", 1, 21, 30), TODAY, None, None),
    # a day and month without the year: the nearest such date
    ("every day at 9am from 31/12", Rule("day", 1, 9, 0), date(2026, 12, 31), None, None),
    ("every day at 9am from 15/1", Rule("day", 1, 9, 0), date(2027, 1, 15), None, None),
]


@pytest.mark.parametrize(("text", "rule", "start", "for_whom", "zone"), VALID)
def test_valid_lines_are_understood(
    text: str, rule: Rule, start: date, for_whom: str | None, zone: str | None
) -> None:
    assert parse(text, today=TODAY) == Parsed(rule, start, for_whom, zone)


INVALID = [
    # (text, the part named, what the message quotes back)
    ("", "text", ""),
    ("   \n\t ", "text", ""),
    ("every day at 9am " + "please " * 40, "text", ""),
    ("at 9am", "frequency", "every 4 weeks"),
    ("every blursday at 9am", "frequency", "every blursday"),
    ("every 4 at 9am", "frequency", "every 4"),
    ("every 0 days at 9am", "frequency", "every 0 days"),
    ("every 366 days at 9am", "frequency", "every 366 days"),
    ("every 53 weeks at 9am", "frequency", "every 53 weeks"),
    ("every 13 months at 9am", "frequency", "every 13 months"),
    ("every 27 fortnights at 9am", "frequency", "every 27 fortnights"),
    ("every day weekly at 9am", "frequency", "weekly"),
    ("every 4 weeks", "time", "at 9am"),
    ("every day at 25:00", "time", "at 25:00"),
    ("every day at 9:75", "time", "at 9:75"),
    ("every day at 13pm", "time", "at 13pm"),
    ("every day at 0am", "time", "at 0am"),
    ("every day at 24:00", "time", "at 24:00"),
    ("every day at nine", "time", "at nine"),
    ("every day at", "time", "at"),
    ("every day 25:00", "time", "25:00"),
    ("every day at 2460", "time", "at 2460"),
    ("every day 0900", "unknown", "0900"),  # four figures alone may be a year or a count
    ("every day at 9am at 10am", "time", "at 10am"),
    ("every day at 9am from 2026-02-30", "start", "2026-02-30"),
    ("every day at 9am from 31 April", "start", "31 April"),
    ("every day at 9am from 2026-11-19", "start", "2026-11-19"),
    ("every day at 9am from 1 Nov", "start", "1 Nov"),
    ("every day at 9am from 2028-01-01", "start", "2028-01-01"),
    ("every day at 9am from 12/01/2026", "start", "12/01/2026"),
    ("every day at 9am from 12/01", "start", "12 January”"),  # either way round: asked
    ("every day at 9am from 31.12", "start", "the start date"),  # a slash only, without a year
    ("every day at 9am from", "start", "from"),
    ("every day at 9am for", "name", "for Mum"),
    ("every day at 9am for Mum2", "name", "Mum2"),
    ("every day at 9am for Mum 🙂", "name", "Mum 🙂"),
    ("every day at 9am for Mum <b>", "name", "Mum <b>"),
    ("every day at 9am for " + "A" * 41, "name", "40 characters"),
    ("every day at 9am for Mum for Dad", "name", "for Dad"),
    ("every day at 9am Mars/Base", "zone", "Mars/Base"),
    ("every day at 9am EST", "zone", "EST"),
    ("every day at 9am GMT", "zone", "GMT"),
    ("every day at 9am UTC+1", "zone", "UTC+1"),
    ("every day at 9am in Narnia", "zone", "in Narnia"),
    ("every day at 9am UTC Europe/London", "zone", "Europe/London"),
    ("every day at 9am please", "unknown", "please"),
    ("every day please remind me at 9am", "unknown", "please remind me"),
    ("every day at 9am 🙂", "unknown", "🙂"),
]


@pytest.mark.parametrize(("text", "part", "quoted"), INVALID)
def test_problems_name_the_part_not_understood(text: str, part: str, quoted: str) -> None:
    problem = parse(text, today=TODAY)
    assert isinstance(problem, Problem)
    assert problem.part == part
    assert quoted in problem.message
    assert "\n" not in problem.message
    assert len(problem.message) <= 160


@pytest.mark.parametrize(("text", "part", "quoted"), INVALID)
def test_every_problem_offers_an_example_that_works(text: str, part: str, quoted: str) -> None:
    problem = parse(text, today=TODAY)
    assert isinstance(problem, Problem)
    assert problem.example.startswith("/remind ")
    assert isinstance(parse(problem.example.removeprefix("/remind "), today=TODAY), Parsed)


@pytest.mark.parametrize(
    ("written", "today", "start"),
    [
        # Without a year, the nearest such day: a day just gone is reported as passed, not
        # silently moved a year on.
        ("1 Jan", date(2026, 12, 20), date(2027, 1, 1)),
        ("20 Dec", date(2027, 1, 5), None),
        ("1 June", date(2026, 12, 5), date(2027, 6, 1)),
        ("Feb 29", date(2028, 1, 10), date(2028, 2, 29)),
        ("Feb 29", date(2026, 1, 10), None),
        ("the 3rd of March", date(2026, 2, 1), date(2026, 3, 3)),
    ],
)
def test_a_date_without_a_year_is_the_nearest_one(
    written: str, today: date, start: date | None
) -> None:
    parsed = parse(f"every day at 9am from {written}", today=today)
    if start is None:
        assert isinstance(parsed, Problem)
        assert parsed.part == "start"
    else:
        assert isinstance(parsed, Parsed)
        assert parsed.start == start


def test_parse_reads_today_from_its_argument_not_the_clock() -> None:
    with time_machine.travel(datetime(2031, 6, 1, tzinfo=UTC), tick=False):
        parsed = parse("every day at 9am from tomorrow", today=TODAY)
    assert isinstance(parsed, Parsed)
    assert parsed.start == TODAY + timedelta(days=1)


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02 binary \xff\xfe",
        "🙂" * 5000,
        "ʕ•ᴥ•ʔ every",
        "every " * 20_000,
        "a" * 1_000_000,
        "\ud800 every day at 9am",
        "\u202e\u200b every day at 9am",
        "every ٣ days at ٩am",
        "every 99999999999999999999999999999 days at 9am",
        "every day at 99999999:99 for Mum",
        "every day at 9am from 99999-99-99",
        "every day at 9am from 0000-01-01",
        "every day at 9am in " + "x/" * 80,
        "for for for for at at from from in in",
        "at " * 60,
    ],
)
def test_odd_input_is_a_problem_not_an_exception(text: str) -> None:
    assert isinstance(parse(text, today=TODAY), Problem)


FRAGMENTS = [
    "every",
    "day",
    "days",
    "4 weeks",
    "other",
    "twelve",
    "monthly",
    "fortnightly",
    "at",
    "9am",
    "7:30 pm",
    "25:00",
    "noon",
    "from",
    "2026-12-01",
    "2026-02-30",
    "1 Dec",
    "tomorrow",
    "for",
    "Mum",
    "in",
    "London",
    "Europe/London",
    "Mars/Base",
    "EST",
    "UTC",
    "🙂",
    "",
    ",",
    ".",
]


@settings(deadline=None)
@given(st.text())
def test_no_text_raises(text: str) -> None:
    assert isinstance(parse(text, today=TODAY), Parsed | Problem)


@settings(deadline=None)
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=12),
    st.dates(date(2000, 1, 1), date(2100, 1, 1)),
)
def test_no_grammar_shaped_text_raises(pieces: list[str], today: date) -> None:
    parsed = parse(" ".join(pieces), today=today)
    if isinstance(parsed, Parsed):
        assert today <= parsed.start <= today + timedelta(days=366)
        assert parsed.for_whom is None or 1 <= len(parsed.for_whom) <= 40
        assert parsed.zone is None or ZoneInfo(parsed.zone)
    else:
        assert parsed.part in {"text", "frequency", "time", "start", "name", "zone", "unknown"}
        assert parsed.message


# ---------------------------------------------------------------------------------------------
# Rule
# ---------------------------------------------------------------------------------------------


@st.composite
def valid_rules(draw: st.DrawFn) -> Rule:
    unit = draw(st.sampled_from(["day", "week", "month"]))
    return Rule(
        unit,
        draw(st.integers(1, MAX_EVERY[unit])),
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
    )


@pytest.mark.parametrize(
    ("rule", "described", "stored"),
    [
        (Rule("week", 4, 9, 0), "every 4 weeks at 09:00", "4w@09:00"),
        (Rule("day", 1, 21, 15), "every day at 21:15", "1d@21:15"),
        (Rule("month", 1, 8, 0), "every month at 08:00", "1m@08:00"),
        (Rule("day", 2, 19, 30), "every 2 days at 19:30", "2d@19:30"),
        (Rule("month", 12, 0, 5), "every 12 months at 00:05", "12m@00:05"),
    ],
)
def test_rule_describes_and_stores_itself(rule: Rule, described: str, stored: str) -> None:
    assert rule.describe() == described
    assert rule.to_text() == stored
    assert Rule.from_text(stored) == rule


@given(valid_rules())
def test_any_valid_rule_round_trips(rule: Rule) -> None:
    assert Rule.from_text(rule.to_text()) == rule
    parsed = parse(rule.describe(), today=TODAY)
    assert isinstance(parsed, Parsed)
    assert parsed.rule == rule


@pytest.mark.parametrize(
    "stored",
    [
        *("", "4w", "4w@9:00", "0d@09:00", "366d@09:00", "53w@09:00", "13m@09:00", "04w@09:00"),
        *("4y@09:00", "4w@24:00", "4w@09:60", " 4w@09:00", "4w@09:00\n", "٤w@09:00", "4W@09:00"),
    ],
)
def test_from_text_refuses_what_to_text_never_writes(stored: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one meaning: not a rule
        Rule.from_text(stored)


@pytest.mark.parametrize(
    "fields",
    [("year", 1, 9, 0), ("day", 0, 9, 0), ("week", 53, 9, 0), ("day", 1, 24, 0), ("day", 1, 9, -1)],
)
def test_a_rule_cannot_be_made_invalid(fields: tuple) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one meaning: not a rule
        Rule(*fields)


# ---------------------------------------------------------------------------------------------
# Recurrence across daylight saving
# ---------------------------------------------------------------------------------------------

# London springs forward at 01:00 GMT on the last Sunday of March (01:00-02:00 does not exist:
# 02:30 is fine there), New York at 02:00 on the second Sunday, Sydney at 02:00 on the first
# Sunday of October.
SPRING_FORWARD = [
    pytest.param(
        LONDON, time(1, 30), date(2026, 3, 22), date(2026, 3, 29), time(2, 30), id="London"
    ),
    pytest.param(
        NEW_YORK, time(2, 30), date(2026, 3, 1), date(2026, 3, 8), time(3, 30), id="NewYork"
    ),
    pytest.param(
        SYDNEY, time(2, 30), date(2026, 9, 27), date(2026, 10, 4), time(3, 30), id="Sydney"
    ),
]


@pytest.mark.parametrize(("zone", "at", "start", "gap_day", "moved_to"), SPRING_FORWARD)
def test_calendar_interval_trigger_alone_skips_the_spring_forward_week(
    zone: str, at: time, start: date, gap_day: date, moved_to: time
) -> None:
    trigger = CalendarIntervalTrigger(
        weeks=1, hour=at.hour, minute=at.minute, start_date=start, timezone=zone
    )
    fires = [trigger.get_next_fire_time(None, utc(2000, 1, 1))]
    while len(fires) < 3:
        fires.append(trigger.get_next_fire_time(fires[-1], utc(2000, 1, 1)))
    days = [fire.date() for fire in fires]
    assert days == [start, gap_day + timedelta(weeks=1), gap_day + timedelta(weeks=2)]


@pytest.mark.parametrize(("zone", "at", "start", "gap_day", "moved_to"), SPRING_FORWARD)
def test_ours_moves_the_spring_forward_week_by_the_gap_and_keeps_it(
    zone: str, at: time, start: date, gap_day: date, moved_to: time
) -> None:
    rule = Rule("week", 1, at.hour, at.minute)
    dues = series(rule, zone, start, utc(2026, 1, 1), 4)
    assert [local(due, zone).date() for due in dues] == [
        start + timedelta(weeks=k) for k in range(4)
    ]
    assert [local(due, zone).time() for due in dues] == [at, moved_to, at, at]
    assert dues[1] - dues[0] == timedelta(weeks=1)  # in elapsed time, exactly a week later


FALL_BACK = [
    # The hour that happens twice, and the first one's UTC offset (summer time).
    pytest.param(LONDON, time(1, 30), date(2026, 10, 25), timedelta(hours=1), id="London"),
    pytest.param(NEW_YORK, time(1, 30), date(2026, 11, 1), timedelta(hours=-4), id="NewYork"),
    pytest.param(SYDNEY, time(2, 30), date(2026, 4, 5), timedelta(hours=11), id="Sydney"),
]


@pytest.mark.parametrize(("zone", "at", "day", "summer_offset"), FALL_BACK)
def test_an_ambiguous_time_fires_once_at_its_first_occurrence(
    zone: str, at: time, day: date, summer_offset: timedelta
) -> None:
    rule = Rule("day", 1, at.hour, at.minute)
    before = datetime.combine(day - timedelta(days=1), time(12), tzinfo=ZoneInfo(zone))
    first, second = series(rule, zone, date(2026, 1, 1), before, 2)
    assert local(first, zone).date() == day
    assert local(first, zone).time() == at
    assert local(first, zone).utcoffset() == summer_offset
    # The repeat of the same wall-clock time an hour later is not a second reminder.
    assert local(second, zone).date() == day + timedelta(days=1)
    assert second - first == timedelta(hours=25)


@pytest.mark.parametrize(
    ("zone", "start"),
    [
        (LONDON, date(2026, 3, 20)),
        (LONDON, date(2026, 10, 20)),
        (NEW_YORK, date(2026, 3, 5)),
        (NEW_YORK, date(2026, 10, 28)),
        (SYDNEY, date(2026, 4, 1)),
        (SYDNEY, date(2026, 10, 1)),
    ],
)
def test_a_daily_reminder_keeps_its_wall_clock_time_through_both_changes(
    zone: str, start: date
) -> None:
    dues = series(Rule("day", 1, 9, 0), zone, start, utc(2026, 1, 1), 10)
    assert [local(due, zone).time() for due in dues] == [time(9)] * 10
    assert [local(due, zone).date() for due in dues] == [
        start + timedelta(days=k) for k in range(10)
    ]
    assert len({local(due, zone).utcoffset() for due in dues}) == 2  # the change was crossed
    assert all(due.tzinfo is UTC for due in dues)


# ---------------------------------------------------------------------------------------------
# Month ends, leap years, anchoring
# ---------------------------------------------------------------------------------------------


def test_calendar_interval_trigger_alone_skips_short_months() -> None:
    trigger = CalendarIntervalTrigger(months=1, start_date=date(2026, 1, 31), timezone="UTC")
    fire = trigger.get_next_fire_time(None, utc(2000, 1, 1))
    assert trigger.get_next_fire_time(fire, utc(2000, 1, 1)).date() == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("every", "start", "days"),
    [
        (
            1,
            date(2026, 1, 31),
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"],
        ),
        (1, date(2028, 1, 31), ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"]),
        (1, date(2026, 1, 30), ["2026-01-30", "2026-02-28", "2026-03-30", "2026-04-30"]),
        (1, date(2028, 2, 29), ["2028-02-29", "2028-03-29", "2028-04-29"]),
        (3, date(2027, 11, 30), ["2027-11-30", "2028-02-29", "2028-05-30", "2028-08-30"]),
        (2, date(2026, 12, 31), ["2026-12-31", "2027-02-28", "2027-04-30", "2027-06-30"]),
        (
            12,
            date(2028, 2, 29),
            ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"],
        ),
    ],
)
def test_monthly_keeps_the_start_day_or_the_months_last_day(
    every: int, start: date, days: list[str]
) -> None:
    dues = series(Rule("month", every, 9, 0), LONDON, start, utc(2026, 1, 1), len(days))
    assert [local(due, LONDON).date().isoformat() for due in dues] == days
    assert {local(due, LONDON).time() for due in dues} == {time(9)}


def test_occurrences_are_anchored_on_the_start_date() -> None:
    start = date(2026, 1, 5)
    due = first_due(Rule("week", 4, 9, 0), LONDON, start, utc(2026, 11, 20, 12))
    assert local(due, LONDON) == datetime(2026, 12, 7, 9, tzinfo=ZoneInfo(LONDON))
    assert (local(due, LONDON).date() - start).days % 28 == 0


def test_a_start_in_the_future_is_the_first_occurrence() -> None:
    due = first_due(Rule("month", 3, 10, 30), NEW_YORK, date(2027, 1, 15), utc(2026, 11, 20))
    assert local(due, NEW_YORK) == datetime(2027, 1, 15, 10, 30, tzinfo=ZoneInfo(NEW_YORK))


def test_a_time_already_gone_today_waits_for_the_next_step() -> None:
    rule = Rule("week", 4, 9, 0)
    due = first_due(rule, LONDON, TODAY, utc(2026, 11, 20, 10))
    assert local(due, LONDON).date() == TODAY + timedelta(weeks=4)


def test_first_due_is_at_or_after_and_next_due_strictly_after() -> None:
    rule = Rule("day", 1, 9, 0)
    occurrence = utc(2026, 11, 20, 9)
    assert first_due(rule, "UTC", date(2026, 1, 1), occurrence) == occurrence
    assert next_due(rule, "UTC", date(2026, 1, 1), occurrence) == occurrence + timedelta(days=1)
    other_zone = occurrence.astimezone(ZoneInfo(SYDNEY))
    assert first_due(rule, "UTC", date(2026, 1, 1), other_zone) == occurrence


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        first_due(Rule("day", 1, 9, 0), LONDON, TODAY, datetime(2026, 11, 20, 9))
    with pytest.raises(ValueError, match="timezone-aware"):
        snoozed(datetime(2026, 11, 20, 9), "1h", LONDON)


def reference_place(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The DST policy, worked out another way: try each offset the zone uses around that day."""
    wall = datetime.combine(day, at)
    around = [zone.utcoffset(wall - timedelta(days=1)), zone.utcoffset(wall + timedelta(days=1))]
    exact = [
        (wall - offset).replace(tzinfo=UTC)
        for offset in around
        if (wall - offset).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) == wall
    ]
    return min(exact) if exact else (wall - around[0]).replace(tzinfo=UTC)


def reference_first_due(
    rule: Rule, zone: str, start: date, bound: datetime, strict: bool
) -> datetime:
    """Walk the whole series from the start with plain date arithmetic."""
    for k in range(100_000):
        if rule.weekdays:
            day = start + timedelta(days=k)
            if day.weekday() not in rule.weekdays:
                continue
        elif rule.unit == "month":
            index = start.month - 1 + k * rule.every
            year, month = start.year + index // 12, index % 12 + 1
            last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
            day = date(year, month, min(start.day, last))
        else:
            day = start + timedelta(days=k * rule.every * (7 if rule.unit == "week" else 1))
        due = reference_place(day, time(rule.hour, rule.minute), ZoneInfo(zone))
        if due > bound or (due == bound and not strict):
            return due
    raise AssertionError("no occurrence found")


@st.composite
def rules_near_dst_changes(draw: st.DrawFn) -> Rule:
    """Short intervals, at the hours that meet DST changes and two that never do."""
    return Rule(
        draw(st.sampled_from(["day", "week", "month"])),
        draw(st.integers(1, 6)),
        draw(st.sampled_from([0, 1, 2, 3, 9, 23])),
        draw(st.sampled_from([0, 15, 30, 59])),
    )


@settings(deadline=None)
@given(
    rules_near_dst_changes(),
    st.sampled_from([LONDON, NEW_YORK, SYDNEY, "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    st.integers(-30 * 24 * 60, 240 * 24 * 60),
)
def test_recurrence_matches_walking_the_series_from_the_start(
    rule: Rule, zone: str, start: date, minutes: int
) -> None:
    now = datetime.combine(start, time(), tzinfo=UTC) + timedelta(minutes=minutes)
    due = first_due(rule, zone, start, now)
    assert due == reference_first_due(rule, zone, start, now, strict=False)
    assert due >= now
    assert local(due, zone).date() >= start
    after = next_due(rule, zone, start, due)
    assert after == reference_first_due(rule, zone, start, due, strict=True)
    assert after > due
    assert next_due(rule, zone, start, now) == reference_first_due(
        rule, zone, start, now, strict=True
    )


# ---------------------------------------------------------------------------------------------
# Snooze
# ---------------------------------------------------------------------------------------------


def test_snooze_by_hours_is_elapsed_time() -> None:
    due = utc(2026, 10, 25, 0, 30)  # 01:30 BST, just before London falls back
    assert snoozed(due, "1h", LONDON) == utc(2026, 10, 25, 1, 30)  # 01:30 GMT: an hour later
    assert snoozed(due, "3h", LONDON) == utc(2026, 10, 25, 3, 30)


@pytest.mark.parametrize(
    ("zone", "due", "back"),
    [
        # Same local time on the next local day: 23 hours over spring forward, 25 over fall back.
        (LONDON, utc(2026, 3, 28, 9), utc(2026, 3, 29, 8)),
        (LONDON, utc(2026, 10, 24, 8), utc(2026, 10, 25, 9)),
        (NEW_YORK, utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)),
        (SYDNEY, utc(2026, 10, 2, 23), utc(2026, 10, 3, 22)),
        # Into the gap: 01:30 tomorrow does not exist in London, so 02:30 BST.
        (LONDON, utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30)),
    ],
)
def test_snooze_until_tomorrow_keeps_the_local_time(
    zone: str, due: datetime, back: datetime
) -> None:
    until = snoozed(due, "tomorrow", zone)
    assert until == back
    assert until.tzinfo is UTC


@pytest.mark.parametrize(
    ("rule", "offered"),
    [
        (Rule("day", 1, 9, 0), False),  # tomorrow's reminder is the next one
        (Rule("day", 2, 9, 0), True),
        (Rule("week", 1, 9, 0), True),
        (Rule("month", 3, 9, 0), True),
    ],
)
def test_tomorrow_is_offered_only_before_the_next_reminder(rule: Rule, offered: bool) -> None:
    start = date(2026, 3, 2)
    due = first_due(rule, LONDON, start, utc(2026, 3, 20))
    assert tomorrow_comes_first(rule, LONDON, start, due) is offered


def test_a_snooze_never_rewrites_the_series() -> None:
    rule, start = Rule("week", 1, 9, 0), date(2026, 3, 2)
    due = first_due(rule, LONDON, start, utc(2026, 3, 20))
    later = snoozed(due, "3h", LONDON)
    # Asking for the next occurrence after the snoozed time still lands on the weekly series.
    assert next_due(rule, LONDON, start, later) == next_due(rule, LONDON, start, due)
    assert local(next_due(rule, LONDON, start, later), LONDON).time() == time(9)


def test_an_unknown_snooze_is_refused() -> None:
    with pytest.raises(ValueError, match="snooze"):
        snoozed(utc(2026, 11, 20, 9), "2d", LONDON)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Zones
# ---------------------------------------------------------------------------------------------

PLACES = {
    "london": LONDON,
    "uk": LONDON,
    "England": LONDON,
    "scotland": LONDON,
    "new york": NEW_YORK,
    "New  York": NEW_YORK,
    "NYC": NEW_YORK,
    "los angeles": "America/Los_Angeles",
    "chicago": "America/Chicago",
    "toronto": "America/Toronto",
    "sydney": SYDNEY,
    "melbourne": "Australia/Melbourne",
    "auckland": "Pacific/Auckland",
    "new zealand": "Pacific/Auckland",
    "dublin": "Europe/Dublin",
    "paris": "Europe/Paris",
    "berlin": "Europe/Berlin",
    "madrid": "Europe/Madrid",
    "rome": "Europe/Rome",
    "amsterdam": "Europe/Amsterdam",
    "johannesburg": "Africa/Johannesburg",
    "South Africa": "Africa/Johannesburg",
    "dubai": "Asia/Dubai",
    "mumbai": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "singapore": "Asia/Singapore",
    "tokyo": "Asia/Tokyo",
    "utc": "UTC",
    "UTC": "UTC",
    "Zürich": "Europe/Zurich",
    "ZURICH": "Europe/Zurich",
    "São Paulo": "America/Sao_Paulo",
    "sao_paulo": "America/Sao_Paulo",
    "Port-au-Prince": "America/Port-au-Prince",
    "europe/london": LONDON,
    "America/New_York": NEW_YORK,
    "america/argentina/buenos aires": "America/Argentina/Buenos_Aires",
}


@pytest.mark.parametrize(("text", "zone"), PLACES.items())
def test_places_resolve_to_their_zone(text: str, zone: str) -> None:
    assert resolve_zone(text) == zone


@pytest.mark.parametrize(
    "text", ["", "mars", "Mars/Base", "EST", "GMT", "usa", "australia", "x" * 10_000, "\ud800"]
)
def test_unknown_or_ambiguous_places_resolve_to_nothing(text: str) -> None:
    assert resolve_zone(text) is None


def test_every_resolved_place_and_picker_zone_is_a_real_zone() -> None:
    for zone in {*PLACES.values(), *(zone for _, zone in COMMON_ZONES)}:
        assert ZoneInfo(zone).key == zone


def test_the_zone_picker_is_short_and_unique() -> None:
    assert 8 <= len(COMMON_ZONES) <= 12
    assert len({label for label, _ in COMMON_ZONES}) == len(COMMON_ZONES)
    assert len({zone for _, zone in COMMON_ZONES}) == len(COMMON_ZONES)
    assert all(resolve_zone(zone) == zone for _, zone in COMMON_ZONES)


def test_rules_import_nothing_from_telegram_or_the_database() -> None:
    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    nodes = list(ast.walk(tree))
    modules = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}
    assert not {module.split(".")[0] for module in modules} & {"telegram", "sqlalchemy", "bot"}


@pytest.mark.parametrize(
    ("line", "minutes"),
    [
        ("every day at 09:00 for Mum follow up after 3 hours", 180),
        ("every day at 09:00 check after 90 minutes", 90),
        ("every day at 09:00 no follow-up for Dad", 0),
        ("every day at 09:00", None),
    ],
)
def test_group_follow_up_delay_is_settable_per_reminder(line: str, minutes: int | None) -> None:
    parsed = parse(line, today=date(2026, 12, 1))
    assert isinstance(parsed, Parsed)
    assert parsed.followup_minutes == minutes


def test_follow_up_beyond_a_day_is_a_problem() -> None:
    problem = parse("every day at 09:00 follow up after 30 hours", today=date(2026, 12, 1))
    assert isinstance(problem, Problem)
    assert problem.part == "followup"
    assert isinstance(
        parse(problem.example.removeprefix("/remind "), today=date(2026, 12, 1)), Parsed
    )


# Issue 11: the ways people really say when (TODAY is Friday 20 November 2026).
NO = (None, None)  # no name, no zone
SAID = [
    ("me every 12 weeks at 9", Rule("week", 12, 9, 0), TODAY, None, None),
    ("every month on the 15th at 9", Rule("month", 1, 9, 0), date(2026, 12, 15), None, None),
    ("every month on the 20th at 9", Rule("month", 1, 9, 0), TODAY, None, None),
    # November has no 31st: its last day stands in, so November is not skipped.
    ("every month on the 31st at 9", Rule("month", 1, 9, 0, day=31), date(2026, 11, 30), *NO),
    ("every month on the 30th at 9", Rule("month", 1, 9, 0), date(2026, 11, 30), None, None),
    ("every week at 9 on the 31st", Rule("week", 1, 9, 0), date(2026, 12, 31), None, None),
    # "the 31st" without "on", when no month follows it ("the 15th of March" is a date)
    ("monthly the 31st at 9am", Rule("month", 1, 9, 0, day=31), date(2026, 11, 30), *NO),
    ("every month at 9 the 3rd", Rule("month", 1, 9, 0), date(2026, 12, 3), None, None),
    ("every 4 weeks at 9 the 15th of march", Rule("week", 4, 9, 0), date(2027, 3, 15), *NO),
    ("every 4 weeks at 9 from the 15th", Rule("week", 4, 9, 0), date(2026, 12, 15), *NO),
    ("monthly from the 31st at 9", Rule("month", 1, 9, 0, day=31), date(2026, 11, 30), *NO),
    ("every week on monday at 9", Rule("week", 1, 9, 0), date(2026, 11, 23), None, None),
    (
        "every 2 weeks at 9:00 starting next monday",
        Rule("week", 2, 9, 0),
        date(2026, 11, 23),
        None,
        None,
    ),
    (
        "every week at 9:00 starting next friday",
        Rule("week", 1, 9, 0),
        date(2026, 11, 27),
        None,
        None,
    ),
    ("every week at 9:00 from friday", Rule("week", 1, 9, 0), TODAY, None, None),
    ("every day at 9am from Monday", Rule("day", 1, 9, 0), date(2026, 11, 23), None, None),
    ("every day at 9am from next week", Rule("day", 1, 9, 0), date(2026, 11, 23), None, None),
    ("every day at 9 in the morning", Rule("day", 1, 9, 0), TODAY, None, None),
    ("every day at 7:30 in the evening", Rule("day", 1, 19, 30), TODAY, None, None),
    ("every day at 12 in the afternoon", Rule("day", 1, 12, 0), TODAY, None, None),
    ("every 3 mths at 9am", Rule("month", 3, 9, 0), TODAY, None, None),
    ("every 2 wks at 9am", Rule("week", 2, 9, 0), TODAY, None, None),
    ("every day at 9am for Mum & Dad", Rule("day", 1, 9, 0), TODAY, "Mum & Dad", None),
    ("every day at 9am New York", Rule("day", 1, 9, 0), TODAY, None, "America/New_York"),
    ("every day at 9am new york for Gran", Rule("day", 1, 9, 0), TODAY, "Gran", "America/New_York"),
    ("every day at 9am from 13/01/2027", Rule("day", 1, 9, 0), date(2027, 1, 13), None, None),
    ("every day at 9am from 01/13/2027", Rule("day", 1, 9, 0), date(2027, 1, 13), None, None),
    ("every day at 9am from 05/05/2027", Rule("day", 1, 9, 0), date(2027, 5, 5), None, None),
]


@pytest.mark.parametrize(("text", "rule", "start", "name", "zone"), SAID)
def test_the_ways_people_say_when(text, rule, start, name, zone) -> None:
    assert parse(text, today=TODAY) == Parsed(rule, start, name, zone)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("every 6 weeks", Answer("every 6 weeks")),
        ("9am", Answer(at="09:00")),
        ("every tue and thu at 7pm", Answer("every Tuesday and Thursday", "19:00")),
        ("monthly from tomorrow", Answer("every month", start=date(2026, 11, 21))),
        # A day of the month is kept as said: in a shorter month, which date it starts on
        # depends on how often (monthly: that month's last day), as in a whole line.
        ("on the 31st", Answer(day=31)),
        ("the 31st", Answer(day=31)),
        ("every month on the 30th", Answer("every month", day=30)),
        ("every day at 9 for Mum in London", Answer("every day", "09:00", others=("name", "zone"))),
    ],
)
def test_an_answer_names_only_what_was_said(text: str, answer: Answer) -> None:
    assert read_answer(text, today=TODAY) == answer


def test_an_answer_still_reports_what_it_could_not_read() -> None:
    assert isinstance(read_answer("every 4 blorps", today=TODAY), Problem)


@pytest.mark.parametrize(
    ("month_first", "expected"), [(False, date(2027, 4, 3)), (True, date(2027, 3, 4))]
)
def test_a_date_that_reads_both_ways_follows_the_chats_locale(month_first, expected) -> None:
    parsed = parse("every day at 9am from 03/04/2027", today=TODAY, month_first=month_first)
    assert parsed.start == expected


def test_a_date_that_reads_both_ways_is_asked_about_when_the_locale_is_unknown() -> None:
    problem = parse("every day at 9am from 12/01/2027", today=TODAY)
    assert isinstance(problem, Problem)
    assert problem.part == "start"
    assert "12 of January" in problem.message
    assert "1 of December" in problem.message


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/London", False),
        ("Asia/Kolkata", False),
        ("America/New_York", True),
        ("America/Los_Angeles", True),
        ("America/Toronto", None),
        ("UTC", None),
        (None, None),
    ],
)
def test_which_way_a_chat_writes_dates_comes_from_its_zone(zone, expected) -> None:
    assert rules.month_first(zone) is expected


@pytest.mark.parametrize("text", ["tomorrow at 9am", "on monday at 9am", "12 January at 10:00"])
def test_a_one_off_says_plainly_that_only_repeating_reminders_are_kept(text) -> None:
    problem = parse(text, today=TODAY)
    assert isinstance(problem, Problem)
    assert problem.part == "frequency"
    assert "one-off" in problem.message


@pytest.mark.parametrize(
    ("rule", "start", "passed"),
    [
        (Rule("week", 4, 5, 0), TODAY, utc(2026, 11, 20, 5)),  # 05:00 today, set at 08:00
        (Rule("week", 4, 9, 0), TODAY, None),  # still to come
        (Rule("week", 4, 5, 0), TODAY + timedelta(days=1), None),  # tomorrow's
        (Rule("week", 1, 5, 0, rules.THREE_A_WEEK), date(2026, 11, 24), None),  # a Tuesday
    ],
)
def test_the_start_days_own_reminder_is_named_when_it_has_gone_by(rule, start, passed) -> None:
    now = utc(2026, 11, 20, 8)
    assert rules.passed_on_start(rule, LONDON, start, now) == passed


@pytest.mark.parametrize(
    ("rule", "start", "described"),
    [
        (Rule("month", 1, 9, 0), date(2026, 12, 1), "every month on the 1st at 09:00"),
        (Rule("month", 3, 9, 0), date(2026, 12, 22), "every 3 months on the 22nd at 09:00"),
        (Rule("month", 1, 9, 0), date(2026, 12, 13), "every month on the 13th at 09:00"),
        (Rule("month", 1, 9, 0), date(2026, 12, 23), "every month on the 23rd at 09:00"),
        (
            Rule("month", 1, 9, 0),
            date(2026, 12, 30),
            "every month on the 30th (the last day in February) at 09:00",
        ),
        (
            Rule("month", 1, 9, 0),
            date(2027, 1, 31),
            "every month on the 31st (the last day in shorter months) at 09:00",
        ),
        (Rule("month", 12, 9, 0), date(2027, 3, 31), "every 12 months on the 31st at 09:00"),
        (
            Rule("month", 2, 9, 0),
            date(2027, 1, 31),  # January, March... September and November are short
            "every 2 months on the 31st (the last day in shorter months) at 09:00",
        ),
        (
            Rule("month", 1, 9, 0, day=31),
            date(2027, 4, 30),
            "every month on the 31st (the last day in shorter months) at 09:00",
        ),
        (Rule("month", 1, 9, 0, day=31), date(2027, 5, 15), "every month on the 15th at 09:00"),
        (Rule("week", 1, 9, 0), date(2026, 12, 1), "every week on Tuesday at 09:00"),
        (Rule("week", 12, 9, 0), date(2026, 12, 1), "every 12 weeks at 09:00"),
        (Rule("day", 2, 9, 0), date(2026, 12, 1), "every 2 days at 09:00"),
        (Rule("week", 1, 9, 0, (0, 3)), date(2026, 12, 1), "every Monday and Thursday at 09:00"),
        (Rule("month", 1, 9, 0), None, "every month at 09:00"),
    ],
)
def test_a_description_says_the_day_a_series_keeps(rule, start, described) -> None:
    assert rule.describe(start).startswith(described)


def test_nine_in_the_evening_written_with_pm_is_not_read_twice() -> None:
    problem = parse("every day at 9pm in the morning", today=TODAY)
    assert isinstance(problem, Problem)
    assert problem.part == "time"


# ---------------------------------------------------------------------------------------------
# Set weekdays: "3 times a week" (issue 11, loading schedules)
# ---------------------------------------------------------------------------------------------

MON_WED_FRI = (0, 2, 4)


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("3 times a week at 9am", MON_WED_FRI),
        ("three times a week at 9am", MON_WED_FRI),
        ("every monday, wednesday and friday at 9am", MON_WED_FRI),
        ("every Friday, Monday and Wednesday at 9am", MON_WED_FRI),
        ("on mon wed fri at 09:00", MON_WED_FRI),
        ("every week on monday and thursday at 9", (0, 3)),
        ("every tuesday at 9am", (1,)),
        ("every sun & sat at 9am", (5, 6)),
    ],
)
def test_set_weekdays_are_understood(text: str, weekdays: tuple[int, ...]) -> None:
    assert parse(text, today=TODAY) == Parsed(Rule("week", 1, 9, 0, weekdays), TODAY, None, None)


def test_set_weekdays_keep_a_start_name_and_zone() -> None:
    parsed = parse("3 times a week at 7pm for Mum from next week in London", today=TODAY)
    assert parsed == Parsed(Rule("week", 1, 19, 0, MON_WED_FRI), date(2026, 11, 23), "Mum", LONDON)


def test_one_weekday_after_on_is_still_a_start_date() -> None:
    parsed = parse("every 2 weeks on thursday at 9", today=TODAY)
    assert parsed == Parsed(Rule("week", 2, 9, 0), date(2026, 11, 26), None, None)


@pytest.mark.parametrize(
    ("text", "part", "says"),
    [
        ("every 2 weeks on mon and thu at 9am", "frequency", "every week"),
        ("every day on mon wed at 9am", "frequency", "every week"),
        ("3 times a week every monday at 9am", "weekdays", "the days twice"),
        ("3 times a week", "time", "At what time"),
    ],
)
def test_set_weekdays_that_cannot_be_kept_are_problems(text: str, part: str, says: str) -> None:
    problem = parse(text, today=TODAY)
    assert isinstance(problem, Problem)
    assert (problem.part, says in problem.message) == (part, True)
    assert isinstance(parse(problem.example.removeprefix("/remind "), today=TODAY), Parsed)


@pytest.mark.parametrize(
    ("rule", "described", "stored"),
    [
        (
            Rule("week", 1, 9, 0, MON_WED_FRI),
            "every Monday, Wednesday and Friday at 09:00",
            "wd135@09:00",
        ),
        (Rule("week", 1, 21, 15, (0, 3)), "every Monday and Thursday at 21:15", "wd14@21:15"),
        (Rule("week", 1, 8, 0, (6,)), "every Sunday at 08:00", "wd7@08:00"),
        (
            Rule("week", 1, 0, 5, tuple(range(7))),
            "every Monday, Tuesday, Wednesday, Thursday, Friday, Saturday and Sunday at 00:05",
            "wd1234567@00:05",
        ),
    ],
)
def test_set_weekdays_describe_and_store_themselves(
    rule: Rule, described: str, stored: str
) -> None:
    assert rule.describe() == described
    assert rule.to_text() == stored
    assert Rule.from_text(stored) == rule


@given(
    st.sets(st.integers(0, 6), min_size=1).map(lambda days: tuple(sorted(days))),
    st.integers(0, 23),
    st.integers(0, 59),
)
def test_any_set_of_weekdays_round_trips(weekdays: tuple[int, ...], hour: int, minute: int) -> None:
    rule = Rule("week", 1, hour, minute, weekdays)
    assert Rule.from_text(rule.to_text()) == rule
    parsed = parse(rule.describe(), today=TODAY)
    assert isinstance(parsed, Parsed)
    assert parsed.rule == rule


@pytest.mark.parametrize(
    "stored", ["wd@09:00", "wd31@09:00", "wd11@09:00", "wd8@09:00", "wd0@09:00", "2wd1@09:00"]
)
def test_from_text_refuses_weekdays_it_never_writes(stored: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one meaning: not a rule
        Rule.from_text(stored)


@pytest.mark.parametrize(
    "fields",
    [
        ("week", 2, 9, 0, (0,)),
        ("day", 1, 9, 0, (0,)),
        ("week", 1, 9, 0, (7,)),
        ("week", 1, 9, 0, (2, 1)),
    ],
)
def test_set_weekdays_cannot_be_made_invalid(fields: tuple) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one meaning: not a rule
        Rule(*fields)


def test_three_a_week_keeps_nine_oclock_in_london_across_both_changes() -> None:
    rule = Rule("week", 1, 9, 0, MON_WED_FRI)
    spring = series(rule, LONDON, date(2026, 3, 25), utc(2026, 3, 20), 4)
    assert spring == [
        utc(2026, 3, 25, 9),
        utc(2026, 3, 27, 9),
        utc(2026, 3, 30, 8),
        utc(2026, 4, 1, 8),
    ]
    autumn = series(rule, LONDON, date(2026, 10, 21), utc(2026, 10, 21), 4)
    assert autumn == [
        utc(2026, 10, 21, 8),
        utc(2026, 10, 23, 8),
        utc(2026, 10, 26, 9),
        utc(2026, 10, 28, 9),
    ]


def test_set_weekdays_follow_the_dst_policy_in_london() -> None:
    """Sundays at 01:30: 29 March has no 01:30 (moved to 02:30 BST, never skipped) and 25
    October has two (the first, still BST, fires once)."""
    rule = Rule("week", 1, 1, 30, (2, 6))  # Wednesday and Sunday
    spring = series(rule, LONDON, date(2026, 3, 22), utc(2026, 3, 22), 4)
    assert spring == [
        utc(2026, 3, 22, 1, 30),
        utc(2026, 3, 25, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 4, 1, 0, 30),
    ]
    assert local(spring[2], LONDON).time() == time(2, 30)
    autumn = series(rule, LONDON, date(2026, 10, 21), utc(2026, 10, 21), 3)
    assert autumn == [utc(2026, 10, 21, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 28, 1, 30)]


def test_set_weekdays_start_on_the_start_date_and_step_strictly() -> None:
    rule = Rule("week", 1, 9, 0, MON_WED_FRI)
    friday = utc(2026, 11, 20, 9)  # TODAY is a Friday; 09:00 in London is 09:00 UTC in November
    assert first_due(rule, LONDON, TODAY, utc(2026, 11, 20, 8)) == friday
    assert first_due(rule, LONDON, TODAY, friday) == friday
    assert next_due(rule, LONDON, TODAY, friday) == utc(2026, 11, 23, 9)
    assert first_due(rule, LONDON, date(2026, 11, 24), friday) == utc(2026, 11, 25, 9)


@settings(deadline=None)
@given(
    st.sets(st.integers(0, 6), min_size=1).map(lambda days: tuple(sorted(days))),
    st.sampled_from([0, 1, 2, 3, 9, 23]),
    st.sampled_from([LONDON, NEW_YORK, SYDNEY, "Australia/Lord_Howe", "UTC"]),
    st.dates(date(2026, 1, 1), date(2026, 12, 31)),
    st.integers(-30 * 24 * 60, 240 * 24 * 60),
)
def test_set_weekdays_match_walking_the_days_from_the_start(
    weekdays: tuple[int, ...], hour: int, zone: str, start: date, minutes: int
) -> None:
    rule = Rule("week", 1, hour, 30, weekdays)
    now = datetime.combine(start, time(), tzinfo=UTC) + timedelta(minutes=minutes)
    due = first_due(rule, zone, start, now)
    assert due == reference_first_due(rule, zone, start, now, strict=False)
    assert next_due(rule, zone, start, due) == reference_first_due(
        rule, zone, start, due, strict=True
    )
