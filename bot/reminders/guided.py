"""The guided /remind's answers so far, one row per (chat, person), kept in the database.

A person may answer by button or by typing, stop with /cancel, or come back after the bot
restarted: the step waited on lives here, not in memory. Answers are stored in the /remind
grammar's own words ("every 4 weeks", "09:00"), so finishing is reading one ordinary line. A
guide left unanswered for GUIDED_FOR is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from sqlalchemy import BigInteger, Date, ForeignKey, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from bot.reminders.database import Queries
from bot.reminders.schema import Base

GUIDED_FOR: Final = timedelta(hours=1)
Step = Literal["f", "t", "s", "name"]  # how often, what time, from when, for whom (groups)


class GuidedReminder(Base):
    __tablename__ = "guided_reminders"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.chat_id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    step: Mapped[str] = mapped_column(String(8))
    frequency: Mapped[str | None] = mapped_column(String(80))  # 'every Monday, Tuesday...'
    at: Mapped[str | None] = mapped_column(String(5))
    start: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class Guide:
    step: Step
    frequency: str | None = None
    at: str | None = None
    start: date | None = None


class GuidedQueries(Queries):
    """Start, read, move on and end a person's guided /remind."""

    async def guide(self, chat_id: int, user_id: int) -> Guide | None:
        """Where the person is, or None if they are not being guided (or gave up long ago)."""
        async with self._reading.begin() as session:
            row = await session.get(GuidedReminder, (chat_id, user_id))
            if row is None or self._clock() - row.updated_at > GUIDED_FOR:
                return None
            return Guide(row.step, row.frequency, row.at, row.start)  # type: ignore[arg-type]

    async def save_guide(self, chat_id: int, user_id: int, guide: Guide) -> None:
        """Start or move on a guide; the chat must be stored first."""
        async with self._writing.begin() as session:
            row = await session.get(GuidedReminder, (chat_id, user_id), with_for_update=True)
            if row is None:
                row = GuidedReminder(chat_id=chat_id, user_id=user_id)
                session.add(row)
            row.step, row.frequency, row.at, row.start = (
                guide.step,
                guide.frequency,
                guide.at,
                guide.start,
            )
            row.updated_at = self._clock()

    async def end_guide(self, chat_id: int, user_id: int) -> bool:
        """Finish or cancel; False if there was nothing to end."""
        async with self._writing.begin() as session:
            result = await session.execute(
                delete(GuidedReminder).where(
                    GuidedReminder.chat_id == chat_id, GuidedReminder.user_id == user_id
                )
            )
            return bool(result.rowcount)
