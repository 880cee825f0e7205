"""The guided /remind's answers so far, one row per (chat, person), kept in the database.

A person may answer by button or by typing, stop with /cancel, or come back after the bot
restarted: the step waited on lives here, not in memory. Answers are stored in the /remind
grammar's own words ("every 4 weeks", "09:00"), so finishing is reading one ordinary line
(`Guide.line`). The start is a date ("tomorrow" is the day it was said), or a day of the month
("on the 31st"), whose date waits for that line: a monthly series said on 5 April for the 31st
starts on 30 April and keeps the 31st, exactly as the one-line /remind does. A guide left
unanswered for GUIDED_FOR is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from sqlalchemy import BigInteger, Date, ForeignKey, SmallInteger, String, delete
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
    day: Mapped[int | None] = mapped_column(SmallInteger)  # 'on the 31st', instead of a start
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class Guide:
    """The answers so far; the start is either `start` (a date) or `day` (of the month)."""

    step: Step
    frequency: str | None = None
    at: str | None = None
    start: date | None = None
    day: int | None = None

    @property
    def has_start(self) -> bool:
        """Whether the start step is answered, by a date or by a day of the month."""
        return self.start is not None or self.day is not None

    def line(self) -> str:
        """The one-line /remind the answers make, so the guide sets what that line would."""
        start = f"on the {self.day}" if self.day is not None else f"from {self.start.isoformat()}"
        return f"{self.frequency} at {self.at} {start}"


class GuidedQueries(Queries):
    """Start, read, move on and end a person's guided /remind."""

    async def guide(self, chat_id: int, user_id: int) -> Guide | None:
        """Where the person is, or None if they are not being guided (or gave up long ago)."""
        async with self._reading.begin() as session:
            row = await session.get(GuidedReminder, (chat_id, user_id))
            if row is None or self._clock() - row.updated_at > GUIDED_FOR:
                return None
            return Guide(row.step, row.frequency, row.at, row.start, row.day)  # type: ignore[arg-type]

    async def save_guide(self, chat_id: int, user_id: int, guide: Guide) -> None:
        """Start or move on a guide; the chat must be stored first."""
        async with self._writing.begin() as session:
            row = await session.get(GuidedReminder, (chat_id, user_id), with_for_update=True)
            if row is None:
                row = GuidedReminder(chat_id=chat_id, user_id=user_id)
                session.add(row)
            row.step, row.frequency, row.at, row.start, row.day = (
                guide.step,
                guide.frequency,
                guide.at,
                guide.start,
                guide.day,
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
