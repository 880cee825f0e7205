"""Whether a new reminder repeats one the chat already has, so one injection would remind twice.

A duplicate is the same series of local times, in the same zone, for the same person (names
compared without case; no name is the chat's own person). The same series is more than the same
stored rule: "every month at 09:00" from the 1st and from the 15th are both "1m@09:00" but never
fall on one day, and every 4 weeks from 1 and from 8 December are a week apart. One series may
also be written several ways: "every Monday", "every week" from a Monday and "every 7 days" from
a Monday. Two series that meet from some day on are the same even if one started earlier: from
then on both would remind. A paused reminder counts too: resuming it would make two.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Final

from bot.reminders.rows import ReminderRow
from bot.reminders.rules import Parsed, Rule

_EVERY_DAY: Final = tuple(range(7))


def duplicate_of(parsed: Parsed, zone: str, rows: Iterable[ReminderRow]) -> ReminderRow | None:
    """The first of `rows` that `parsed`, in `zone`, would repeat; None if it is a new reminder."""
    series = _series(parsed.rule, parsed.start)
    name = (parsed.for_whom or "").casefold()
    return next(
        (
            row
            for row in rows
            if row.timezone == zone
            and (row.for_whom or "").casefold() == name
            and _series(Rule.from_text(row.rule), row.start_date) == series
        ),
        None,
    )


def _series(rule: Rule, start: date) -> tuple[object, ...]:
    """What fixes a series' local times, the same for every way of writing one series.

    Monthly: how many months apart, the day of the month kept (the 31st from a start on 30 April
    that stands in for it: Rule.day), and which months of the cycle.
    Every day and every week are sets of weekdays, as set weekdays are; other steps in days are
    the step and where the start falls in it (so every 14 days from any day of a series is it).
    """
    at = (rule.hour, rule.minute)
    if rule.unit == "month":
        day = rule.day_of_month(start)
        return (at, "months", rule.every, day, (start.year * 12 + start.month) % rule.every)
    if rule.weekdays:
        return (at, "weekdays", rule.weekdays)
    step = rule.every * (7 if rule.unit == "week" else 1)
    if step == 1:
        return (at, "weekdays", _EVERY_DAY)
    if step == 7:
        return (at, "weekdays", (start.weekday(),))
    return (at, "days", step, start.toordinal() % step)
