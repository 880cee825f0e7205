"""Reminders themselves: added, listed, stopped, moved and deleted; which ones will fire."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Final, Literal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.carers import carer_followup
from bot.reminders.chats import check_zone
from bot.reminders.database import Queries, storable_id
from bot.reminders.rows import ReminderRow, to_row
from bot.reminders.schema import Chat, Reminder

GROUP_FOLLOWUP_MINUTES: Final = 120
MAX_ACTIVE_PER_CHAT: Final = 50  # far above any real schedule; keeps one chat from a flood


class TooManyReminders(ValueError):
    """The chat already has MAX_ACTIVE_PER_CHAT active reminders."""


class DuplicateReminder(ValueError):
    """The chat already has the reminder being added: `same` is the one there."""

    def __init__(self, same: ReminderRow) -> None:
        super().__init__(f"the chat already has this reminder (id {same.id})")
        self.same = same


def sendable_reminders() -> Select[tuple[Reminder]]:
    """Active reminders in chats that are not paused: the ones that will fire."""
    return (
        select(Reminder)
        .join(Chat, Chat.chat_id == Reminder.chat_id)
        # "= true", not a bare column or IS: only an equality lets SQLite use the index.
        .where(Reminder.active == True, Chat.paused == False)  # noqa: E712
    )


async def _reminder(session: AsyncSession, reminder_id: int) -> Reminder | None:
    return await session.get(Reminder, reminder_id) if storable_id(reminder_id) else None


async def _check_room(session: AsyncSession, chat_id: int) -> None:
    active = await session.scalar(
        select(func.count()).where(Reminder.chat_id == chat_id, Reminder.active == True)  # noqa: E712
    )
    if (active or 0) >= MAX_ACTIVE_PER_CHAT:
        raise TooManyReminders(f"a chat may have {MAX_ACTIVE_PER_CHAT} active reminders")


class ReminderQueries(Queries):
    """A chat's reminders and their next due time; the dose log is claims' and doselog's."""

    async def add_reminder(
        self,
        chat_id: int,
        *,
        creator_id: int,
        rule: str,
        timezone: str,
        start_date: date,
        next_due_at: datetime,
        for_whom: str | None = None,
        followup_minutes: int | Literal["default"] | None = "default",
        same_as: Callable[[Sequence[ReminderRow]], ReminderRow | None] | None = None,
    ) -> ReminderRow:
        """Store a new, active reminder whose first occurrence is `next_due_at`.

        `same_as` finds, among the chat's reminders, one the new one would repeat: then nothing
        is stored and DuplicateReminder says which. It is asked with the chat's row locked, so
        two identical adds at once (updates are handled concurrently) cannot both pass it.

        `followup_minutes="default"` means a follow-up after 120 minutes in groups (someone else
        may need to check) and none in private chats. A private chat whose person has carers
        always follows up, since that is when the carers are told. The chat must have been
        stored first, and have fewer than MAX_ACTIVE_PER_CHAT active reminders (else
        TooManyReminders).
        """
        check_zone(timezone)
        if for_whom is not None and not 1 <= len(for_whom) <= 40:
            raise ValueError("for_whom must be 1 to 40 characters")
        async with self._writing.begin() as session:
            # The chat's row is locked, so two adds at once cannot both take the last place.
            chat = await session.get(Chat, chat_id, with_for_update=True)
            if chat is None:
                raise LookupError(f"chat {chat_id} is not stored: call ensure_chat first")
            if same_as is not None:
                found = await session.scalars(
                    select(Reminder).where(Reminder.chat_id == chat_id).order_by(Reminder.id)
                )
                same = same_as([to_row(ReminderRow, reminder) for reminder in found])
                if same is not None:
                    raise DuplicateReminder(same)
            await _check_room(session, chat_id)
            if followup_minutes == "default":
                followup_minutes = GROUP_FOLLOWUP_MINUTES if chat.kind == "group" else None
            if followup_minutes is None and chat.kind == "private":
                followup_minutes = await carer_followup(session, chat_id)
            reminder = Reminder(
                chat_id=chat_id,
                creator_id=creator_id,
                for_whom=for_whom,
                rule=rule,
                timezone=timezone,
                start_date=start_date,
                next_due_at=next_due_at,
                active=True,
                followup_minutes=followup_minutes,
                created_at=self._clock(),
            )
            session.add(reminder)
            await session.flush()
            return to_row(ReminderRow, reminder)

    async def reminders(self, chat_id: int) -> list[ReminderRow]:
        """A chat's reminders, active or not, in the order they were made."""
        async with self._reading.begin() as session:
            found = await session.scalars(
                select(Reminder).where(Reminder.chat_id == chat_id).order_by(Reminder.id)
            )
            return [to_row(ReminderRow, reminder) for reminder in found]

    async def reminder(self, reminder_id: int) -> ReminderRow | None:
        """One reminder, or None if it does not exist (any more)."""
        async with self._reading.begin() as session:
            reminder = await _reminder(session, reminder_id)
            return None if reminder is None else to_row(ReminderRow, reminder)

    async def set_active(self, reminder_id: int, active: bool) -> bool:
        """Stop or restart one reminder; False if it does not exist, TooManyReminders if full.

        A restarted reminder whose next time has passed is caught up by the next claim (missed
        rows, maybe a late send) unless the caller reschedules it first.
        """
        async with self._writing.begin() as session:
            reminder = await _reminder(session, reminder_id)
            if reminder is None:
                return False
            if active and not reminder.active:
                await session.get(Chat, reminder.chat_id, with_for_update=True)
                await _check_room(session, reminder.chat_id)
            reminder.active = active
            return True

    async def reschedule(self, reminder_id: int, next_due_at: datetime) -> bool:
        """Move a reminder's next occurrence, e.g. from today when it is restarted after a pause.

        The series is the caller's to compute; the dose log is left as it is. False if the
        reminder does not exist.
        """
        async with self._writing.begin() as session:
            reminder = await _reminder(session, reminder_id)
            if reminder is None:
                return False
            reminder.next_due_at = next_due_at
            return True

    async def move_reminder(self, reminder_id: int, timezone: str, next_due_at: datetime) -> bool:
        """Put a reminder in another zone, at the same local time: the chat's zone changed and
        its person said to move it. The caller computes the next occurrence in the new zone;
        False if the reminder does not exist."""
        check_zone(timezone)
        async with self._writing.begin() as session:
            reminder = await _reminder(session, reminder_id)
            if reminder is None:
                return False
            reminder.timezone, reminder.next_due_at = timezone, next_due_at
            return True

    async def delete_reminder(self, reminder_id: int) -> bool:
        """Delete a reminder and its dose log; False if it did not exist."""
        async with self._writing.begin() as session:
            reminder = await _reminder(session, reminder_id)
            if reminder is None:
                return False
            await session.delete(reminder)
            return True

    async def due_count(self, now: datetime) -> int:
        """How many reminders are waiting to be claimed (a backlog gauge for health checks)."""
        async with self._reading.begin() as session:
            query = sendable_reminders().where(Reminder.next_due_at <= now)
            return await session.scalar(select(func.count()).select_from(query.subquery())) or 0

    async def active_reminder_count(self) -> int:
        """How many reminders will fire: active, in a chat that is not paused."""
        async with self._reading.begin() as session:
            query = sendable_reminders()
            return await session.scalar(select(func.count()).select_from(query.subquery())) or 0
