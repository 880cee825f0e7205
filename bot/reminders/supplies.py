"""Supplies: how many ampoules are left for a reminder, counted down by each Taken.

Optional per reminder and never in the way: a reminder with none left is still sent, it only
says so. The count moves in the same transaction as the dose it counts (see doselog.py), so a
double tap or two people pressing at once take one ampoule, not two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.database import Queries, storable_id
from bot.reminders.rows import ReminderRow, to_row
from bot.reminders.schema import Reminder

DEFAULT_ALERT_AT: Final = 2  # "2 ampoules left: ask for a repeat prescription"
MAX_SUPPLIES: Final = 500
MAX_ALERT_AT: Final = 20


def running_low(reminder: ReminderRow) -> bool:
    """Whether the reminder should say it is time to ask for more."""
    left, alert_at = reminder.supplies_left, reminder.supplies_alert_at
    return left is not None and left <= (DEFAULT_ALERT_AT if alert_at is None else alert_at)


async def count_down(session: AsyncSession, reminder_id: int, given_at: datetime) -> bool:
    """One ampoule used, if the reminder counts them; never below zero, and none for a dose
    given before the count was (a dose back-dated under "/supplies 3" used none of the 3).

    Whether one was taken from the count: the dose keeps that, so undoing it gives back only
    an ampoule it used (none at 0 left, none when not counting).
    """
    result = await session.execute(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.supplies_left > 0,
            or_(Reminder.supplies_counted_at.is_(None), Reminder.supplies_counted_at <= given_at),
        )
        .values(supplies_left=Reminder.supplies_left - 1)
    )
    return result.rowcount == 1


async def give_back(session: AsyncSession, reminder_id: int) -> None:
    """An ampoule a Taken used goes back to the count, if the reminder still counts them."""
    await session.execute(
        update(Reminder)
        .where(Reminder.id == reminder_id, Reminder.supplies_left.is_not(None))
        .values(supplies_left=Reminder.supplies_left + 1)
    )


class SupplyQueries(Queries):
    """Setting, correcting and stopping a reminder's ampoule count."""

    async def set_supplies(
        self,
        reminder_id: int,
        left: int | None,
        *,
        alert_at: int | None = None,
        counted_at: datetime | None = None,
    ) -> ReminderRow | None:
        """Start or correct the count (`left`), or stop counting (None); None if no reminder.

        `alert_at` changes when the reminder starts saying to ask for more; left out, a count
        that starts gets DEFAULT_ALERT_AT and one being corrected keeps its own.
        """
        if left is not None and not 0 <= left <= MAX_SUPPLIES:
            raise ValueError(f"supplies must be 0 to {MAX_SUPPLIES}")
        if alert_at is not None and not 0 <= alert_at <= MAX_ALERT_AT:
            raise ValueError(f"the alert must be at 0 to {MAX_ALERT_AT}")
        if not storable_id(reminder_id):
            return None
        async with self._writing.begin() as session:
            reminder = await session.get(Reminder, reminder_id, with_for_update=True)
            if reminder is None:
                return None
            if left is None:
                reminder.supplies_left = reminder.supplies_alert_at = None
                reminder.supplies_counted_at = None
            else:
                reminder.supplies_left = left
                if counted_at is not None:  # a new count, not only a new alert
                    reminder.supplies_counted_at = counted_at
                if alert_at is not None:
                    reminder.supplies_alert_at = alert_at
                elif reminder.supplies_alert_at is None:
                    reminder.supplies_alert_at = DEFAULT_ALERT_AT
            await session.flush()
            return to_row(ReminderRow, reminder)
