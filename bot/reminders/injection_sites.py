"""Where an injection went: one of six sites, said after Taken, shown as "last time: left arm".

A record only. Which site to use next is the nurse's advice, so nothing here suggests one. Each
reminder keeps its last site beside it, so a reminder message needs no extra query; it is
worked out again from the dose log whenever that log changes under it (a site said for an older
dose, a dose erased).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reminders.database import Queries, storable_id
from bot.reminders.rows import DoseRow, to_row
from bot.reminders.schema import SITES, Dose, Reminder

__all__ = ["SITES", "SiteQueries", "refresh_last_sites"]


async def refresh_last_sites(session: AsyncSession, reminder_ids: Iterable[int | None]) -> None:
    """Set each reminder's last site from its dose log: the newest dose with a site."""
    for reminder_id in {r for r in reminder_ids if r is not None}:
        newest = (
            select(Dose.site)
            .where(Dose.reminder_id == reminder_id, Dose.site.is_not(None))
            .order_by(Dose.due_at.desc(), Dose.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        await session.execute(
            update(Reminder).where(Reminder.id == reminder_id).values(last_site=newest)
        )


class SiteQueries(Queries):
    """Recording a taken dose's site and reading the latest one back."""

    async def record_site(self, dose_id: int, site: str) -> DoseRow | None:
        """Note where a taken dose went; None if the dose is gone or was not taken."""
        if site not in SITES:
            raise ValueError(f"not a site: {site!r}")
        if not storable_id(dose_id):
            return None
        async with self._writing.begin() as session:
            dose = await session.get(Dose, dose_id, with_for_update=True)
            if dose is None or dose.status != "taken":
                return None
            dose.site = site
            await session.flush()
            await refresh_last_sites(session, [dose.reminder_id])
            return to_row(DoseRow, dose)

    async def last_site(self, chat_id: int) -> str | None:
        """Where the chat's latest injection with a site went."""
        async with self._reading.begin() as session:
            return await session.scalar(
                select(Dose.site)
                .where(Dose.chat_id == chat_id, Dose.site.is_not(None))
                .order_by(Dose.due_at.desc(), Dose.id.desc())
                .limit(1)
            )
