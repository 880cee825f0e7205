"""The whole dose log of a chat or of one reminder, oldest first: what /export writes out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.reminders.database import Queries
from bot.reminders.rows import DoseRow, to_row
from bot.reminders.schema import Dose


class RecordQueries(Queries):
    """Reading the dose log in full, for a record that leaves the bot."""

    async def dose_log(
        self, chat_id: int, *, reminder_id: int | None = None, since: datetime | None = None
    ) -> list[DoseRow]:
        """A chat's doses (or one reminder's in it) due since `since`, oldest first."""
        query = select(Dose).where(Dose.chat_id == chat_id)
        if reminder_id is not None:
            query = query.where(Dose.reminder_id == reminder_id)
        if since is not None:
            query = query.where(Dose.due_at >= since)
        async with self._reading.begin() as session:
            found = await session.scalars(query.order_by(Dose.due_at, Dose.id))
            return [to_row(DoseRow, dose) for dose in found]
