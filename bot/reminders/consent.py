"""Group reminders waiting for their creator's yes, kept in the database.

In a group, /remind first asks the person who wrote it whether the reminder may be shown to
everyone there. The request waits here, not in memory: a restart between the question and the
tap would otherwise leave the button answering "no longer here" and the reminder lost. It is
stored before the prompt is sent and the prompt's buttons carry its id, so each Yes saves the
line it was sent for, and a tap that arrives while the bot is still finishing the prompt (updates
are handled concurrently) finds it. Only what the reminder itself would store is kept (its rule,
start, zone and for whom), for SHARE_ASKED_FOR at most, and at most MAX_PENDING_SHARES unanswered
prompts per group: beyond that the oldest expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.reminders.database import Queries
from bot.reminders.rules import Parsed, Rule
from bot.reminders.schema import Base, ReminderLine

MAX_PENDING_SHARES: Final = 10
# A family group may answer the next day; a week on, nobody remembers what the prompt was for.
SHARE_ASKED_FOR: Final = timedelta(days=7)


class PendingShare(ReminderLine, Base):
    __tablename__ = "pending_shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    asked_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """A /remind line understood, in its zone, waiting for the yes of whoever asked."""

    asked_by: int
    parsed: Parsed
    zone: str


class ConsentQueries(Queries):
    """Ask, read and answer a group's consent prompts."""

    async def ask_to_share(self, chat_id: int, request: ShareRequest) -> int:
        """Keep a request until its yes or no; its id goes on the prompt's buttons. The chat
        must be stored first."""
        now = self._clock()
        parsed = request.parsed
        async with self._writing.begin() as session:
            await session.execute(
                delete(PendingShare).where(PendingShare.asked_at < now - SHARE_ASKED_FOR)
            )
            row = PendingShare(
                chat_id=chat_id,
                creator_id=request.asked_by,
                for_whom=parsed.for_whom,
                rule=parsed.rule.to_text(),
                timezone=request.zone,
                start_date=parsed.start,
                followup_minutes=parsed.followup_minutes,
                asked_at=now,
            )
            session.add(row)
            await session.flush()
            kept = (
                select(PendingShare.id)
                .where(PendingShare.chat_id == chat_id)
                .order_by(PendingShare.id.desc())
                .limit(MAX_PENDING_SHARES)
            )
            await session.execute(
                delete(PendingShare).where(
                    PendingShare.chat_id == chat_id, PendingShare.id.not_in(kept)
                )
            )
            return row.id

    async def share_request(self, chat_id: int, request_id: int) -> ShareRequest | None:
        """The request a prompt was sent for, or None if it was answered or has expired (or the
        id, from a button's data, is another chat's)."""
        async with self._reading.begin() as session:
            row = await session.get(PendingShare, request_id)
            if (
                row is None
                or row.chat_id != chat_id
                or self._clock() - row.asked_at > SHARE_ASKED_FOR
            ):
                return None
            parsed = Parsed(
                rule=Rule.from_text(row.rule),
                start=row.start_date,
                for_whom=row.for_whom,
                zone=row.timezone,
                followup_minutes=row.followup_minutes,
            )
            return ShareRequest(row.creator_id, parsed, row.timezone)

    async def answer_share(self, chat_id: int, request_id: int) -> bool:
        """Take the request off its prompt; False if another press took it first."""
        async with self._writing.begin() as session:
            result = await session.execute(
                delete(PendingShare).where(
                    PendingShare.id == request_id, PendingShare.chat_id == chat_id
                )
            )
            return bool(result.rowcount)
