"""/taken in the dose log: which occurrence a dose given by hand answers, and taking it back.

A dose given near a reminder's due time *is* that occurrence (near: a fifth of the interval,
from 12 hours for a daily reminder to 3 days for a monthly one, so a 12-weekly jab given a day
late still answers its reminder): the occurrence is marked taken (or, if it has not come yet,
written as taken so the dispatcher never sends it, and the reminder moves on). Given far from
any occurrence, it is logged on its own and the caller may offer to restart the schedule from
it (`restart_offer`), unless that would leave the next reminder where it is. A second /taken for
the same occurrence is refused, not piled up. Each outcome says how to undo it, so Undo needs
nothing kept in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from bot.reminders.database import Queries, storable_id
from bot.reminders.rows import DoseRow, ReminderRow, to_row
from bot.reminders.rules import Rule, first_due, next_due
from bot.reminders.schema import Chat, Dose, Reminder
from bot.reminders.supplies import count_down, give_back

NEAR: Final = timedelta(hours=12)  # the least "near": a dose this close is that occurrence
NEAREST: Final = timedelta(days=3)  # the most: further off, it is a dose of its own
_UNIT_DAYS: Final = {"day": 1, "week": 7, "month": 30}
# How a /taken was recorded, which is also how Undo puts it back.
How = Literal["marked", "ahead", "alone", "duplicate"]
# Statuses an occurrence can go back to when a /taken that marked it is undone.
RESTORABLE: Final = ("sent", "late", "missed", "snoozed", "failed", "skipped")


@dataclass(frozen=True, slots=True)
class Logged:
    """What /taken did: `how`, the dose row, and the status it had before if it was marked."""

    how: How
    dose: DoseRow
    before: str | None = None


def near(rule: Rule) -> timedelta:
    """How far from an occurrence a dose given by hand still answers it: a fifth of the gap
    between occurrences (the shortest gap, for set weekdays), from NEAR to NEAREST."""
    if rule.weekdays:
        days = rule.weekdays
        following = days[1:] + days[:1]  # each day's next one, round the week
        gap = min((later - day) % 7 or 7 for day, later in zip(days, following, strict=True))
    else:
        gap = rule.every * _UNIT_DAYS[rule.unit]
    return min(max(NEAR, timedelta(days=gap) / 5), NEAREST)


def restarted(reminder: ReminderRow, dose: DoseRow, now: datetime) -> tuple[date, datetime]:
    """The start and next reminder of the series counted from the day a dose was given, which
    stands for that day's occurrence: "Count from this dose"."""
    rule = Rule.from_text(reminder.rule)
    start = dose.due_at.astimezone(ZoneInfo(reminder.timezone)).date()
    on_the_day = first_due(rule, reminder.timezone, start, dose.due_at - timedelta(days=1))
    return start, next_due(rule, reminder.timezone, start, max(now, dose.due_at, on_the_day))


def restart_offer(reminder: ReminderRow, dose: DoseRow, now: datetime) -> datetime | None:
    """The next reminder a restart from a dose logged on its own would bring, or None when it
    is the one the schedule already has, so asking would change nothing a person sees.

    That is so when the dose was given on a day the series already counts from, with no
    occurrence of its own to answer: a reminder set after today's time, whose first comes a
    whole interval on and whose confirmation suggests /taken for today's dose (every 12 weeks
    set at 08:00 for 05:00, or every day at 09:00 set at 20:55 and /taken at 20:57), or, for a
    daily one, yesterday's dose logged on a reminder set this morning. A restart that moves
    only a later reminder (a monthly series on the 31st restarted from a 30th before it began)
    is not asked about under the same date either: it would change what was set, unseen.
    """
    due = restarted(reminder, dose, now)[1]
    return None if due == reminder.next_due_at else due


class TakenLogQueries(Queries):
    """Logging a dose given by hand against the right occurrence, and undoing that."""

    async def log_given(
        self,
        chat_id: int,
        reminder_id: int | None,
        by_user: int,
        at: datetime,
        *,
        following: Callable[[ReminderRow, datetime], datetime],
    ) -> Logged | None:
        """Log a dose given at `at`, against the reminder's nearest occurrence if near one.

        `following(reminder, due)` is the occurrence after `due` (rules.next_due), used when the
        dose answers an occurrence still to come. None if the chat is not stored or the
        reminder is not the chat's.
        """
        async with self._writing.begin() as session:
            if await session.get(Chat, chat_id) is None:
                return None
            reminder = None
            if reminder_id is not None:
                if not storable_id(reminder_id):
                    return None
                reminder = await session.get(Reminder, reminder_id, with_for_update=True)
                if reminder is None or reminder.chat_id != chat_id:
                    return None
            window = near(Rule.from_text(reminder.rule)) if reminder is not None else NEAR
            near_doses = await session.scalars(
                select(Dose)
                .where(
                    Dose.chat_id == chat_id,
                    Dose.reminder_id.is_(None)
                    if reminder is None
                    else Dose.reminder_id == reminder.id,
                    Dose.due_at.between(at - window, at + window),
                )
                .with_for_update()
            )
            closest = min(near_doses, key=lambda dose: abs(dose.due_at - at), default=None)
            acted = {"status": "taken", "acted_by": by_user, "acted_at": at, "retry_at": None}
            if closest is not None and closest.status == "taken":
                return Logged("duplicate", to_row(DoseRow, closest))
            acted["used_ampoule"] = reminder is not None and await count_down(
                session, reminder.id, at
            )
            if closest is not None and reminder is not None:
                before = closest.status
                for name, value in acted.items():
                    setattr(closest, name, value)
                await session.flush()
                return Logged("marked", to_row(DoseRow, closest), before)
            ahead = reminder is not None and abs(reminder.next_due_at - at) <= window
            due_at = reminder.next_due_at if ahead else at
            dose = Dose(
                reminder_id=reminder_id,
                chat_id=chat_id,
                due_at=due_at,
                attempts=0,
                followup_sent=False,
                created_at=self._clock(),
                **acted,
            )
            session.add(dose)
            if ahead:
                reminder.next_due_at = following(to_row(ReminderRow, reminder), due_at)
            await session.flush()
            return Logged("ahead" if ahead else "alone", to_row(DoseRow, dose))

    async def undo_given(self, dose_id: int, how: How, before: str | None) -> DoseRow | None:
        """Take back what log_given did; None if the dose is gone or no longer taken."""
        if not storable_id(dose_id):
            return None
        async with self._writing.begin() as session:
            dose = await session.get(Dose, dose_id, with_for_update=True)
            if dose is None or dose.status != "taken":
                return None
            row = to_row(DoseRow, dose)
            if dose.used_ampoule and dose.reminder_id is not None:
                await give_back(session, dose.reminder_id)
            if how == "marked" and before in RESTORABLE:
                dose.status, dose.acted_by, dose.acted_at = before, None, None
                dose.used_ampoule = False
                return row
            if how == "ahead" and dose.reminder_id is not None:
                await session.execute(
                    update(Reminder)
                    .where(Reminder.id == dose.reminder_id, Reminder.next_due_at > dose.due_at)
                    .values(next_due_at=dose.due_at)
                )
            await session.execute(delete(Dose).where(Dose.id == dose_id))
            return row

    async def given_after(self, dose: DoseRow) -> bool:
        """Whether a later dose of the same reminder is logged as taken: counting the schedule
        from this one would time the next reminder from the wrong injection (a dose back-dated
        three weeks, under one logged this morning, offered a reminder a week away)."""
        if dose.reminder_id is None or dose.acted_at is None:
            return False
        async with self._reading.begin() as session:
            later = await session.scalar(
                select(Dose.id)
                .where(
                    Dose.reminder_id == dose.reminder_id,
                    Dose.status == "taken",
                    Dose.acted_at > dose.acted_at,
                )
                .limit(1)
            )
            return later is not None

    async def restart_from(self, reminder_id: int, start: date, next_due_at: datetime) -> bool:
        """Anchor a reminder's series on a new start date (the day a dose was really given)."""
        if not storable_id(reminder_id):
            return False
        async with self._writing.begin() as session:
            reminder = await session.get(Reminder, reminder_id)
            if reminder is None:
                return False
            reminder.start_date, reminder.next_due_at = start, next_due_at
            return True
