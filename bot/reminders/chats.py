"""Chats: created on first contact, their time zone, paused while the bot cannot write to them,
moved when a group becomes a supergroup."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update

from bot.reminders.database import Queries
from bot.reminders.rows import ChatRow, to_row
from bot.reminders.schema import Chat, ChatKind, Dose, Reminder


def check_zone(zone: str) -> None:
    """Refuse a zone name zoneinfo does not know, with what to use instead."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"unknown time zone {zone!r}: use an IANA name such as Europe/London"
        ) from error


class ChatQueries(Queries):
    """Each chat's row: its kind, default time zone and whether its reminders are paused."""

    async def ensure_chat(self, chat_id: int, kind: ChatKind) -> ChatRow:
        """The chat's row, created on first contact; an existing row is left as it is."""
        async with self._writing.begin() as session:
            await session.execute(
                self._insert(Chat)
                .values(
                    chat_id=chat_id,
                    kind=kind,
                    timezone=None,
                    paused=False,
                    created_at=self._clock(),
                )
                .on_conflict_do_nothing(index_elements=[Chat.chat_id])
            )
            chat = await session.get_one(Chat, chat_id)
            return to_row(ChatRow, chat)

    async def chat(self, chat_id: int) -> ChatRow | None:
        """The chat's settings, or None if the bot has never stored it."""
        async with self._reading.begin() as session:
            chat = await session.get(Chat, chat_id)
            return None if chat is None else to_row(ChatRow, chat)

    async def set_timezone(self, chat_id: int, zone: str | None) -> bool:
        """Set the chat's default IANA zone for new reminders; existing reminders keep theirs.

        Raises ValueError for an unknown zone; returns False if the chat is not stored.
        """
        if zone is not None:
            check_zone(zone)
        return await self._update_chat(chat_id, timezone=zone)

    async def pause_chat(self, chat_id: int) -> bool:
        """Stop every reminder of a chat the bot can no longer write to (blocked, removed).

        The reminders keep their own `active` flag, so resume_chat brings back exactly those.
        """
        return await self._update_chat(chat_id, paused=True)

    async def resume_chat(self, chat_id: int) -> bool:
        """Undo pause_chat (the bot was unblocked or re-added).

        Occurrences that fell due while paused are caught up by the next claim like downtime:
        older than the grace period means logged as missed.
        """
        return await self._update_chat(chat_id, paused=False)

    async def _update_chat(self, chat_id: int, **values: object) -> bool:
        async with self._writing.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None:
                return False
            for name, value in values.items():
                setattr(chat, name, value)
            return True

    async def migrate_chat(self, old_id: int, new_id: int) -> bool:
        """Move a chat, its reminders and its dose log to a new id (group became a supergroup).

        If the new id is already stored (the supergroup spoke first), the two are merged. Returns
        False when the old chat is not stored, e.g. another process already moved it.
        """
        async with self._writing.begin() as session:
            old = await session.get(Chat, old_id)
            if old is None:
                return False
            new = await session.get(Chat, new_id)
            if new is None:
                session.add(
                    Chat(
                        chat_id=new_id,
                        kind=old.kind,
                        timezone=old.timezone,
                        paused=old.paused,
                        created_at=old.created_at,
                    )
                )
            elif new.timezone is None:
                new.timezone = old.timezone
            await session.flush()
            await session.execute(
                update(Reminder).where(Reminder.chat_id == old_id).values(chat_id=new_id)
            )
            await session.execute(update(Dose).where(Dose.chat_id == old_id).values(chat_id=new_id))
            await session.delete(old)
            return True
