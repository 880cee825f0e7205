"""The dose log: button presses, doses logged by hand (/taken), and a chat's history.

A taken dose keeps two times: `due_at`, the occurrence it counts for, and `acted_at`, when it
was taken (the time said with /taken, or when Taken was pressed). /taken near a due time counts
for that occurrence (taken_log.py), so the two can be a day apart; the log a person reads goes
by when it was taken, and names the due time only when that is well apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, get_args

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.database import Queries, storable_id
from bot.reminders.rows import DoseRow, to_row
from bot.reminders.schema import Action, Chat, Dose, Reminder
from bot.reminders.supplies import count_down

# What someone answered for good: a later press on the dose changes nothing.
SETTLED: Final = ("taken", "skipped")
# Taken this far from its due time, a dose's log line says which due time it counted for.
APART: Final = timedelta(hours=1)
# Two doses for one person taken this close are worth a word: no schedule here is that short.
CLOSE: Final = timedelta(hours=12)


def taken_when(dose: DoseRow) -> tuple[datetime, datetime | None]:
    """When a dose goes in the log: when taken (its due time if not taken), and the due time
    it counted for where that is APART or more from when it was taken, else None."""
    if dose.status != "taken" or dose.acted_at is None:
        return dose.due_at, None
    apart = abs(dose.acted_at - dose.due_at) >= APART
    return dose.acted_at, dose.due_at if apart else None


@dataclass(frozen=True, slots=True)
class AlreadyMarked:
    """A press that came too late: the dose was already settled, and `dose` says how."""

    dose: DoseRow


async def taken_for(
    session: AsyncSession,
    chat_id: int,
    for_whom: str | None,
    between: tuple[datetime, datetime],
    *also: ColumnElement[bool],
) -> DoseRow | None:
    """The latest dose for one person logged as taken in a span: the same chat and the same name
    on its reminder (none, the chat's own, for a dose logged without a reminder)."""
    whose = select(Reminder.for_whom).where(Reminder.id == Dose.reminder_id).scalar_subquery()
    found = await session.execute(
        select(Dose, whose)
        .where(
            Dose.chat_id == chat_id,
            Dose.status == "taken",
            Dose.acted_at.between(*between),
            *also,
        )
        .order_by(Dose.acted_at.desc())
    )
    name = (for_whom or "").casefold()
    return next(
        (to_row(DoseRow, dose) for dose, other in found if (other or "").casefold() == name), None
    )


class DoseLogQueries(Queries):
    """What people did with their doses, and the log they read back."""

    async def record_action(
        self,
        dose_id: int,
        status: Action,
        by_user: int,
        at: datetime,
        snoozed_until: datetime | None = None,
    ) -> DoseRow | AlreadyMarked | None:
        """Record a button press (taken, skipped, snoozed until when); None if the dose is gone.

        Only a dose not yet settled takes a press, checked and written in one conditional UPDATE:
        of two presses at the same moment (two people in a family group, a patient and a carer)
        exactly one is recorded, on SQLite and PostgreSQL alike, and the other gets AlreadyMarked.
        Any pending retry or follow-up of the dose stops: someone has answered. A dose that
        becomes taken uses one of the reminder's ampoules, if it counts them.
        """
        if status not in get_args(Action):
            raise ValueError(f"not an action: {status!r}")
        if (status == "snoozed") != (snoozed_until is not None):
            raise ValueError("snoozed_until is required for snoozed, and only for snoozed")
        if not storable_id(dose_id):
            return None
        acted = {"status": status, "acted_by": by_user, "acted_at": at, "retry_at": None}
        if snoozed_until is not None:
            acted["snoozed_until"] = snoozed_until
        async with self._writing.begin() as session:
            won = await session.execute(
                update(Dose)
                .where(Dose.id == dose_id, Dose.status.not_in(SETTLED))
                .values(**acted)
                .execution_options(synchronize_session=False)
            )
            dose = await session.get(Dose, dose_id)
            if dose is None:
                return None
            if won.rowcount != 1:
                return AlreadyMarked(to_row(DoseRow, dose))
            if status == "taken" and dose.reminder_id is not None:
                dose.used_ampoule = await count_down(session, dose.reminder_id, at)
                await session.flush()
            return to_row(DoseRow, dose)

    async def log_taken(
        self, reminder_id: int | None, chat_id: int, by_user: int, at: datetime
    ) -> DoseRow | None:
        """Log a dose taken outside a reminder message (/taken), as a `taken` row due at `at`.

        Doses carry their chat, so one logged without a reminder still belongs somewhere and
        shows in the chat's history. None if the chat is not stored or the reminder is not
        the chat's. Logged against a reminder, it uses one of its ampoules if it counts them.
        """
        async with self._writing.begin() as session:
            if await session.get(Chat, chat_id) is None:
                return None
            if reminder_id is not None:
                reminder = await session.get(Reminder, reminder_id)
                if reminder is None or reminder.chat_id != chat_id:
                    return None
            used = reminder_id is not None and await count_down(session, reminder_id, at)
            acted = {
                "status": "taken",
                "acted_by": by_user,
                "acted_at": at,
                "retry_at": None,
                "used_ampoule": used,
            }
            dose_id = await session.scalar(
                self._insert(Dose)
                .values(
                    reminder_id=reminder_id,
                    chat_id=chat_id,
                    due_at=at,
                    attempts=0,
                    followup_sent=False,
                    created_at=self._clock(),
                    **acted,
                )
                .on_conflict_do_update(index_elements=[Dose.reminder_id, Dose.due_at], set_=acted)
                .returning(Dose.id)
            )
            dose = await session.get_one(Dose, dose_id)
            return to_row(DoseRow, dose)

    async def dose(self, dose_id: int) -> DoseRow | None:
        """One dose, e.g. the one a button names, to check its chat before acting on it."""
        if not storable_id(dose_id):
            return None
        async with self._reading.begin() as session:
            dose = await session.get(Dose, dose_id)
            return None if dose is None else to_row(DoseRow, dose)

    async def taken_close_to(self, dose_id: int) -> DoseRow | None:
        """Another dose for the same person logged as taken within CLOSE of this one: Taken
        pressed on yesterday's daily reminder and on today's, or a /taken beside a reminder's
        Taken, logged two injections minutes apart with nothing said."""
        async with self._reading.begin() as session:
            dose = await session.get(Dose, dose_id)
            if dose is None or dose.status != "taken" or dose.acted_at is None:
                return None
            reminder = await session.get(Reminder, dose.reminder_id) if dose.reminder_id else None
            return await taken_for(
                session,
                dose.chat_id,
                reminder.for_whom if reminder else None,
                (dose.acted_at - CLOSE, dose.acted_at + CLOSE),
                Dose.id != dose.id,
            )

    async def last_taken(self, chat_id: int) -> DoseRow | None:
        """The chat's latest dose logged as taken, which /history must show even when ten
        unanswered reminders came after it."""
        async with self._reading.begin() as session:
            dose = await session.scalar(
                select(Dose)
                .where(Dose.chat_id == chat_id, Dose.status == "taken")
                .order_by(Dose.acted_at.desc(), Dose.id.desc())
                .limit(1)
            )
            return None if dose is None else to_row(DoseRow, dose)

    async def history(self, chat_id: int, limit: int = 10) -> list[DoseRow]:
        """A chat's dose log, newest first by the time taken_when shows for each."""
        shown = func.coalesce(case((Dose.status == "taken", Dose.acted_at)), Dose.due_at)
        async with self._reading.begin() as session:
            found = await session.scalars(
                select(Dose)
                .where(Dose.chat_id == chat_id)
                .order_by(shown.desc(), Dose.id.desc())
                .limit(limit)
            )
            return [to_row(DoseRow, dose) for dose in found]
