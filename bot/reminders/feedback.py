"""FAQ feedback: how often each topic was found helpful, with nothing about who voted."""

from __future__ import annotations

from sqlalchemy import select

from bot.reminders.database import Queries
from bot.reminders.schema import Feedback


class FeedbackQueries(Queries):
    """Helpful / not helpful counts per FAQ topic."""

    async def count_feedback(self, topic: str, helpful: bool) -> None:
        """Add one helpful / not helpful vote for an FAQ topic."""
        async with self._writing.begin() as session:
            await session.execute(
                self._insert(Feedback)
                .values(topic=topic, helpful=helpful, count=1)
                .on_conflict_do_update(
                    index_elements=[Feedback.topic, Feedback.helpful],
                    set_={"count": Feedback.count + 1},
                )
            )

    async def feedback_counts(self) -> dict[tuple[str, bool], int]:
        """Votes per (topic, helpful), for reviewing which answers need work."""
        async with self._reading.begin() as session:
            found = await session.execute(select(Feedback.topic, Feedback.helpful, Feedback.count))
            return {(topic, helpful): count for topic, helpful, count in found}
