"""A /remind line waiting for the chat's time zone, kept in the database.

A first /remind in a chat with no zone is understood, then the bot asks for the zone; when the
zone is set, the line is read again in it (the zone decides "tomorrow" and whether 03/04 is
March or April) and saved. Kept in memory, the line was lost to a restart in between, and the
person who had just set their zone was told to send /remind again. One line waits per chat, the
newest, for WAITING_FOR at most: a line read an hour later would mean another "tomorrow". The
line is the /remind's own words (a rule, a time, a start, a name), what the reminder itself
stores, never a message's free text; /forget deletes it with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.reminders.database import Queries
from bot.reminders.schema import Base

WAITING_FOR: Final = timedelta(hours=1)
MAX_LINE: Final = 400  # Telegram allows 4,096 characters; no /remind the grammar reads is this long


class WaitingLine(Base):
    __tablename__ = "waiting_lines"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    line: Mapped[str] = mapped_column(String(MAX_LINE))
    said_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class Waiting:
    """A line and who said it: in a group, theirs is the reminder, so theirs is the yes."""

    said_by: int
    line: str


class WaitingLineQueries(Queries):
    """Keep a chat's /remind line until its zone is set, then hand it back once."""

    async def keep_waiting_line(self, chat_id: int, user_id: int, line: str) -> bool:
        """Keep the line (replacing an older one); the chat must be stored first. False, and
        nothing kept, for a line too long to be one the grammar read."""
        if len(line) > MAX_LINE:
            return False
        async with self._writing.begin() as session:
            row = await session.get(WaitingLine, chat_id, with_for_update=True)
            if row is None:
                row = WaitingLine(chat_id=chat_id)
                session.add(row)
            row.user_id, row.line, row.said_at = user_id, line, self._clock()
            return True

    async def take_waiting_line(self, chat_id: int) -> Waiting | None:
        """The line waiting in the chat, taken off so it is saved once; None if there is none
        or it has waited longer than WAITING_FOR."""
        async with self._writing.begin() as session:
            row = await session.get(WaitingLine, chat_id, with_for_update=True)
            if row is None:
                return None
            await session.delete(row)
            fresh = self._clock() - row.said_at <= WAITING_FOR
            return Waiting(row.user_id, row.line) if fresh else None
