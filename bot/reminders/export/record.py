"""What a record for the clinician holds: the schedule, every dose, and the injections to come.

Built once from the store's rows, in the person's own time zones, so the three files (CSV, ICS,
PDF) only lay the same facts out. Who pressed a button is a user id in the log; `who` turns it
into the words the record shows, so the record holds no id. Imports nothing from telegram.

A dose is placed when it was given, as /history places it (doselog.taken_when): a dose logged
with /taken on Sunday evening counts for Monday's 09:00 reminder, and the clinician must see
Sunday 20:00, with Monday 09:00 beside it as the due time it counted for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.reminders.doselog import taken_when
from bot.reminders.rows import DoseRow, ReminderRow
from bot.reminders.rules import Rule, next_due

HORIZON: Final = timedelta(days=365)  # how far ahead the calendar goes, and back the PDF
MAX_COMING: Final = 400  # calendar events at most: a daily reminder for a year, and some
LATE_TAKEN: Final = timedelta(days=1)  # a dose taken this long after its due time reads "late"
# How each dose status reads in a record.
STATUS_WORDS: Final = {
    "taken": "taken",
    "skipped": "skipped",
    "missed": "missed",
    "sent": "no answer",
    "late": "no answer",
    "snoozed": "snoozed",
    "sending": "being sent",
    "failed": "not delivered",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One dose as a clinician reads it; times are local to `zone`.

    `at` is when it was taken (its due time, if it was not); `due` is the due time it counted
    for, only where that is an hour or more from `at` (doselog.APART), else None.
    """

    at: datetime
    due: datetime | None
    zone: str
    person: str  # the reminder's name ("Mum"), or "" for the chat's own doses
    status: str
    by: str
    site: str
    note: str  # "late", "missed" or ""
    marked: datetime | None


@dataclass(frozen=True, slots=True)
class Schedule:
    description: str
    for_whom: str | None
    zone: str
    start: date
    next_due: datetime | None  # local; None while paused
    supplies_left: int | None
    last_site: str | None


@dataclass(frozen=True, slots=True)
class Coming:
    """One injection to come, for the calendar file."""

    reminder_id: int
    due: datetime  # local, in the reminder's zone
    for_whom: str | None


@dataclass(frozen=True, slots=True)
class DoseRecord:
    name: str | None  # the name the person chose ("for Mum"), and nothing else about them
    zone: str
    made_at: datetime  # local
    schedules: tuple[Schedule, ...]
    entries: tuple[Entry, ...]  # oldest first, by when each was taken (Entry.at)
    coming: tuple[Coming, ...]  # soonest first


def build_record(
    reminders: Sequence[ReminderRow],
    doses: Iterable[DoseRow],
    *,
    zone: str,
    now: datetime,
    who: Callable[[int | None], str],
) -> DoseRecord:
    """The record of these reminders and doses; `zone` is the chat's, for doses without one.

    `who` names whoever marked a dose, from their id; None for a carer erased since (/forget).
    """
    zones = {r.id: r.timezone for r in reminders}
    names = {r.for_whom for r in reminders if r.for_whom}
    # Whose each dose was: a private chat keeps reminders for several people ("for Mum", "for
    # Dad"), and a record without it read Dad's doses as Mum's (a QA pass).
    persons = {r.id: r.for_whom or "" for r in reminders}
    entries = tuple(
        _entry(
            dose,
            zones.get(dose.reminder_id or 0, zone),
            persons.get(dose.reminder_id or 0, ""),
            who,
        )
        for dose in sorted(doses, key=lambda d: (taken_when(d)[0], d.id))
    )
    coming = sorted(
        (c for r in reminders if r.active for c in _coming(r, now)), key=lambda c: c.due
    )
    return DoseRecord(
        name=names.pop() if len(names) == 1 else None,
        zone=zone,
        made_at=now.astimezone(ZoneInfo(zone)),
        schedules=tuple(_schedule(r, now) for r in reminders),
        entries=entries,
        coming=tuple(coming[:MAX_COMING]),
    )


def _entry(dose: DoseRow, zone: str, person: str, who: Callable[[int | None], str]) -> Entry:
    local = ZoneInfo(zone)
    late_taken = (
        dose.status == "taken"
        and dose.acted_at is not None
        and dose.acted_at - dose.due_at >= LATE_TAKEN
    )
    note = (
        "missed"
        if dose.status == "missed"
        else "late"
        if dose.status == "late" or late_taken
        else ""
    )
    at, counted_for = taken_when(dose)
    return Entry(
        at=at.astimezone(local),
        due=counted_for.astimezone(local) if counted_for else None,
        zone=zone,
        person=person,
        status=STATUS_WORDS[dose.status],
        # A taken dose without `acted_by` was marked by a carer erased since.
        by=who(dose.acted_by) if dose.acted_by is not None or dose.status == "taken" else "",
        site=dose.site or "",
        note=note,
        marked=dose.acted_at.astimezone(local) if dose.acted_at else None,
    )


def _schedule(reminder: ReminderRow, now: datetime) -> Schedule:
    upcoming = next(iter(_coming(reminder, now)), None) if reminder.active else None
    return Schedule(
        description=Rule.from_text(reminder.rule).describe(reminder.start_date),
        for_whom=reminder.for_whom,
        zone=reminder.timezone,
        start=reminder.start_date,
        next_due=upcoming.due if upcoming else None,
        supplies_left=reminder.supplies_left,
        last_site=reminder.last_site,
    )


def _coming(reminder: ReminderRow, now: datetime) -> Iterable[Coming]:
    """The reminder's occurrences from now until HORIZON, by the same rules that send them."""
    rule, local = Rule.from_text(reminder.rule), ZoneInfo(reminder.timezone)
    due, found = reminder.next_due_at, 0
    while due <= now + HORIZON and found < MAX_COMING:
        if due >= now:
            found += 1
            yield Coming(reminder.id, due.astimezone(local), reminder.for_whom)
        due = next_due(rule, reminder.timezone, reminder.start_date, due)
