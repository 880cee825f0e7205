"""Erasure: /forget deletes a chat, or a person, and everything that names them.

Carer links and invites go with either person's private chat (the database cascades), and the
last injection site a reminder shows is worked out again from what is left of its log. The one
thing kept is a dose a carer marked in a patient's log: it is the patient's record, so it stays
without the carer's id.

Deleted means gone from the files too: SQLite overwrites deleted content (secure_delete) and the
write-ahead log is emptied after each erasure, so no old copy of a row stays on disk.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.carers import release_followups
from bot.reminders.consent import PendingShare
from bot.reminders.database import Queries
from bot.reminders.guided import GuidedReminder
from bot.reminders.injection_sites import refresh_last_sites
from bot.reminders.schema import CarerLink, Chat, Dose, Reminder
from bot.reminders.waiting_lines import WaitingLine


async def _delete_doses(session: AsyncSession, *conditions: ColumnElement[bool]) -> None:
    """Delete doses; the reminders they belonged to show the last site of what is left."""
    touched = await session.scalars(select(Dose.reminder_id).where(*conditions).distinct())
    reminder_ids = list(touched)
    await session.execute(delete(Dose).where(*conditions))
    await refresh_last_sites(session, reminder_ids)


async def _delete_unfinished(
    session: AsyncSession, user_id: int, chat_id: int | None = None
) -> None:
    """A person's reminders not yet made: a guided /remind half answered, a group prompt
    waiting for their yes, a line waiting for the zone (in one chat, or in every chat)."""
    for table, person in (
        (GuidedReminder, GuidedReminder.user_id),
        (PendingShare, PendingShare.creator_id),
        (WaitingLine, WaitingLine.user_id),
    ):
        conditions = [person == user_id]
        if chat_id is not None:
            conditions.append(table.chat_id == chat_id)
        await session.execute(delete(table).where(*conditions))


class ErasureQueries(Queries):
    """Deleting rather than anonymising: a dose row is health data even without a name."""

    async def forget_chat(self, chat_id: int) -> bool:
        """Delete a chat and everything about it: its reminders and its whole dose log."""
        async with self._writing.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None:
                return False
            await session.delete(chat)  # the database cascades to reminders and doses
        await self._flush_erased()
        return True

    async def forget_user(self, user_id: int) -> None:
        """Delete everything that names a person: their reminders, their answers, their chat.

        Dose rows they acted on in groups are deleted, not anonymised: a dose row is health
        data, and the chat's own message history shows who pressed which button when, so a row
        stripped of `acted_by` would still point at them through its time. A group loses those
        entries from its log; that is the price of erasure. A dose they marked as a carer
        ("It's done", in another person's private log) is that person's health data, not theirs:
        it stays, taken, with `acted_by` cleared, so their log is not left with a hole and no
        row holds the carer's id. Reminders they created go with their dose logs, even in
        groups, and so does their private chat (whose id is their user id), with every carer
        link, invite and alert that names them, on either side.
        """
        async with self._writing.begin() as session:
            followed = await session.scalars(
                select(CarerLink.patient_id).where(CarerLink.carer_id == user_id)
            )
            patients = set(followed)
            await session.execute(delete(Reminder).where(Reminder.creator_id == user_id))
            await _delete_unfinished(session, user_id)
            others_private = select(Chat.chat_id).where(
                Chat.kind == "private", Chat.chat_id != user_id
            )
            await session.execute(
                update(Dose)
                .where(Dose.acted_by == user_id, Dose.chat_id.in_(others_private))
                .values(acted_by=None)
            )
            await _delete_doses(session, Dose.acted_by == user_id)
            await session.execute(
                delete(Chat).where(Chat.chat_id == user_id, Chat.kind == "private")
            )
            await release_followups(session, patients)
        await self._flush_erased()

    async def forget_member(self, chat_id: int, user_id: int) -> None:
        """Delete what one member put into a group: reminders they set (with their dose logs),
        and the doses they marked or logged there. The group and everyone else's stay.

        What a member of a group may erase on their own; the whole group is its admins' to erase.
        """
        async with self._writing.begin() as session:
            await session.execute(
                delete(Reminder).where(Reminder.chat_id == chat_id, Reminder.creator_id == user_id)
            )
            await _delete_unfinished(session, user_id, chat_id)
            await _delete_doses(session, Dose.chat_id == chat_id, Dose.acted_by == user_id)
        await self._flush_erased()
