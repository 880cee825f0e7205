"""Chats: created on first contact, their time zone, paused while the bot cannot write to them,
moved when a group becomes a supergroup."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update

from bot.reminders.database import Queries
from bot.reminders.rows import ChatRow, to_row
from bot.reminders.schema import Chat, ChatKind, Dose, Reminder

PauseReason = Literal["blocked", "restricted", "chat not found"]
PAUSE_RECHECK: Final = timedelta(hours=6)  # how often a paused chat is tried again


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

    async def pause_chat(self, chat_id: int, reason: PauseReason = "blocked") -> bool:
        """Stop every reminder of a chat the bot cannot write to (blocked, removed, restricted).

        The reminders keep their own `active` flag, so resume_chat brings back exactly those. A
        pause is not for good: the dispatcher tries the chat again every PAUSE_RECHECK, because
        Telegram's word that the bot is welcome again can be lost. True only if the chat was
        running until now, so whoever paused it can tell people once.
        """
        async with self._writing.begin() as session:
            chat = await session.get(Chat, chat_id)
            if chat is None or chat.paused:
                return False
            chat.paused, chat.paused_reason = True, reason
            chat.recheck_at = self._clock() + PAUSE_RECHECK
            return True

    async def resume_chat(self, chat_id: int) -> bool:
        """Undo pause_chat (the bot was unblocked, re-added, or a re-check got through).

        Occurrences that fell due while paused are caught up by the next claim like downtime:
        older than the grace period means logged as missed.
        """
        return await self._update_chat(chat_id, paused=False, paused_reason=None, recheck_at=None)

    async def chats_to_recheck(self, now: datetime, limit: int) -> list[int]:
        """Take paused chats with reminders whose re-check is due; the next one is set now.

        Taking them moves their `recheck_at` on in the same transaction, so concurrent
        dispatchers never probe one chat twice.
        """
        waiting = (Chat.paused == True, Chat.recheck_at <= now)  # noqa: E712 - an indexed equality
        if not await self._any(Chat.chat_id, *waiting):
            return []
        has_reminders = select(Reminder.id).where(
            Reminder.chat_id == Chat.chat_id,
            Reminder.active == True,  # noqa: E712
        )
        async with self._writing.begin() as session:
            found = await session.scalars(
                select(Chat)
                .where(*waiting, has_reminders.exists())
                .order_by(Chat.recheck_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            chats = list(found)
            for chat in chats:
                chat.recheck_at = now + PAUSE_RECHECK
            return [chat.chat_id for chat in chats]

    async def creators(self, chat_id: int) -> list[int]:
        """Who set the chat's active reminders: the people to tell when it cannot be written to."""
        async with self._reading.begin() as session:
            found = await session.scalars(
                select(Reminder.creator_id)
                .where(Reminder.chat_id == chat_id, Reminder.active == True)  # noqa: E712
                .distinct()
                .order_by(Reminder.creator_id)
            )
            return list(found)

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
                        paused_reason=old.paused_reason,
                        recheck_at=old.recheck_at,
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
