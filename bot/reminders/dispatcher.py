"""Send what has fallen due: claim it in the database first, then hand it to a Sender.

The claim (store.claim_due) writes the dose row and advances the reminder before anything is
sent, in one transaction, so two dispatchers never send the same dose and a crash never loses
one: a dose still "sending" after its lease is sent again, which means only the messages in flight
at a crash can arrive twice. What fell due while the bot was down is sent once, marked late, if it
is within the grace period; older occurrences are logged as missed and the next reminder says so.

Send errors change state, never the dispatcher's life: a blocked bot pauses that chat's reminders,
a migrated group moves them to the new chat id, a flood wait or network error retries later.
Imports nothing from Telegram: the Sender protocol is implemented in telegram/sender.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.reminders.rules import Rule, next_due
from bot.reminders.store import Claim, DoseRow, ReminderRow, Store

logger = logging.getLogger(__name__)

GRACE = timedelta(hours=12)  # a reminder late by more than this is logged as missed, not sent
BATCH = 200  # claims at a time: about 7 s of sending, claimed while the previous batch goes out
CHAT_SPACING = 1.0  # seconds between messages to one chat: Telegram allows about 1 per second
NETWORK_RETRY = timedelta(seconds=30)
PARALLEL_CHATS = 64  # chats served at once; AIORateLimiter keeps the overall rate under 30/s


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: int


@dataclass(frozen=True, slots=True)
class Blocked:
    """The bot cannot write to the chat any more (blocked, removed, chat gone)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Moved:
    """The group became a supergroup with a new id."""

    new_chat_id: int


@dataclass(frozen=True, slots=True)
class TryLater:
    after: timedelta
    reason: str  # "flood" or "network"


SendResult = Delivered | Blocked | Moved | TryLater


class Sender(Protocol):
    """Delivers reminder messages; implemented over the Telegram Bot in telegram/sender.py."""

    async def send_reminder(self, claim: Claim) -> SendResult: ...

    async def send_followup(self, dose: DoseRow, reminder: ReminderRow) -> SendResult: ...


def advance(reminder: ReminderRow, due: datetime) -> datetime:
    """The occurrence after `due` for this reminder's rule, in its own time zone."""
    return next_due(Rule.from_text(reminder.rule), reminder.timezone, reminder.start_date, due)


@dataclass
class TickReport:
    sent: int = 0
    late: int = 0
    retried: int = 0
    paused_chats: set[int] = field(default_factory=set)
    followups: int = 0


class Dispatcher:
    """One tick: claim everything due, send it with per-chat spacing, record every outcome."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        grace: timedelta = GRACE,
        batch: int = BATCH,
        chat_spacing: float = CHAT_SPACING,
    ) -> None:
        self._store, self._sender, self._clock = store, sender, clock
        self._grace, self._batch, self._spacing = grace, batch, chat_spacing
        self._gate = asyncio.Semaphore(PARALLEL_CHATS)

    async def tick(self) -> TickReport:
        """Claim and send everything due now, batch by batch; never raises for a send failure.

        A batch is what Telegram's ~30 messages/s lets out well inside the send lease, so a
        claimed dose is never still waiting when another dispatcher may take it for lost.
        """
        now = self._clock()
        report = TickReport()
        if not await self._store.anything_waiting(now):
            return report
        # Claim the next batch while this one is sent: a claim writes a few rows per reminder,
        # and waiting for it between batches would leave Telegram's rate unused.
        claims = await self._claim(now)
        while claims:
            upcoming = asyncio.create_task(self._claim(self._clock()))
            by_chat: dict[int, list[Claim]] = defaultdict(list)
            for claim in claims:
                by_chat[claim.reminder.chat_id].append(claim)
            await asyncio.gather(
                *(self._serve_chat(chat, queue, report) for chat, queue in by_chat.items())
            )
            claims = await upcoming
        now = self._clock()
        for dose in await self._store.followups_due(now, limit=self._batch):
            reminder = await self._store.reminder(dose.reminder_id) if dose.reminder_id else None
            if reminder is not None and await self._followup(dose, reminder, report):
                report.followups += 1
        return report

    async def _claim(self, now: datetime) -> list[Claim]:
        return [
            *await self._store.claim_due(
                now, limit=self._batch, grace=self._grace, advance=advance
            ),
            *await self._store.claim_retries(now, limit=self._batch, grace=self._grace),
            *await self._store.snoozed_due(now, limit=self._batch),
        ]

    async def _serve_chat(self, chat_id: int, claims: Sequence[Claim], report: TickReport) -> None:
        async with self._gate:
            for index, claim in enumerate(claims):
                if chat_id in report.paused_chats:
                    break
                if index:
                    await asyncio.sleep(self._spacing)
                await self._deliver(claim, report)

    async def _deliver(self, claim: Claim, report: TickReport) -> None:
        try:
            result = await self._sender.send_reminder(claim)
        except Exception:  # a bug in rendering must not stop every other reminder
            logger.exception("sending reminder %d failed", claim.reminder.id)
            result = TryLater(NETWORK_RETRY, "error")
        match result:
            case Delivered(message_id):
                await self._store.mark_sent(claim.dose_id, message_id)
                report.sent += 1
                report.late += claim.late
            case Blocked(reason):
                logger.info("chat paused: %s", reason)
                await self._store.mark_failed(claim.dose_id, reason, None)
                await self._store.pause_chat(claim.reminder.chat_id)
                report.paused_chats.add(claim.reminder.chat_id)
            case Moved(new_chat_id):
                await self._store.migrate_chat(claim.reminder.chat_id, new_chat_id)
                await self._store.mark_failed(claim.dose_id, "migrated", self._clock())
                report.retried += 1
            case TryLater(after, reason):
                await self._store.mark_failed(claim.dose_id, reason, self._clock() + after)
                report.retried += 1

    async def _followup(self, dose: DoseRow, reminder: ReminderRow, report: TickReport) -> bool:
        try:
            result = await self._sender.send_followup(dose, reminder)
        except Exception:
            logger.exception("follow-up for reminder %d failed", reminder.id)
            return False
        if isinstance(result, Blocked):
            await self._store.pause_chat(reminder.chat_id)
            report.paused_chats.add(reminder.chat_id)
        return isinstance(result, Delivered)
