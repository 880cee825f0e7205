"""Time in `b12bot chat`: a clock the chat can move on, and /wait, which moves it.

The chat's bot reads this clock wherever the running bot reads the time (its handlers, the
store and the dispatcher), so a reminder can fall due and its follow-up delay pass without
anyone waiting hours. Until /wait moves it, it is the real time. Only `b12bot chat` builds the
bot with it; `b12bot run` keeps the real clock.

/wait does not jump straight to the end: it stops at each moment something falls due on the way
and lets the dispatcher tick there, as a running bot would have, so a 09:00 reminder goes out at
09:00 (not hours late, which the log would call late) and its follow-up comes after it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.reminders.dispatcher import Dispatcher
from bot.reminders.store import Store

LONGEST_WAIT = timedelta(weeks=13)  # a quarter: past a 12-weekly jab's reminder
SAME_MOMENT = timedelta(minutes=1)  # what /wait alone lets fall due with the first thing it reaches
_AMOUNT = re.compile(r"(\d{1,4})\s*(weeks?|w|days?|d|hours?|h|minutes?|mins?|m)\s*", re.I)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


class ChatClock:
    """Real time plus however far /wait has moved it on; never moves back."""

    def __init__(self) -> None:
        self._ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._ahead

    def move_to(self, moment: datetime) -> None:
        """Let it be `moment` now (a moment already past leaves the clock as it is)."""
        self._ahead += max(moment - self(), timedelta(0))


def wait_span(words: str) -> timedelta | None:
    """How long `/wait 2h30m` (or `30 minutes`, `1d`, `2w`) waits; None when not understood or
    longer than LONGEST_WAIT."""
    words = words.strip()
    amounts = list(_AMOUNT.finditer(words))
    if not amounts or "".join(found.group(0) for found in amounts) != words:
        return None
    span = timedelta(0)
    for found in amounts:
        span += timedelta(**{_UNITS[found.group(2)[0].lower()]: int(found.group(1))})
    return span if timedelta(0) < span <= LONGEST_WAIT else None


async def pass_time(
    clock: ChatClock, store: Store, dispatcher: Dispatcher, span: timedelta | None
) -> AsyncIterator[datetime]:
    """Move the clock on by `span` (None: to the next moment anything falls due), yielding each
    moment on the way where something fell due, once the dispatcher has sent it.

    Yields nothing when nothing fell due; with `span` None the clock then stays where it is.
    With `span` None it also lets pass what falls due in the same minute: a reminder snoozed at
    09:00:03 for an hour is due at 10:00:03, and stopped at another's 10:00:00 the chat showed
    it only at the next /wait, as if it were late (a QA pass).
    """
    end = None if span is None else clock() + span
    while (due := await store.next_work_after(clock())) is not None and (end is None or due <= end):
        clock.move_to(due)
        await dispatcher.tick()
        yield due
        if span is None:
            end = end or due + SAME_MOMENT
    if span is not None and end is not None:
        clock.move_to(end)
