"""Send what has fallen due: claim it in the database first, then hand it to a Sender.

The claim (store.claim_due) writes the dose row and advances the reminder before anything is
sent, in one transaction, so two dispatchers never send the same dose and a crash never loses
one: a dose still "sending" after its lease is sent again, which means only the messages in
flight at a crash can arrive twice. What fell due while the bot was down is sent once, marked
late, if it is within the grace period; older occurrences are logged as missed and the next
reminder says so.

Leases are what keep a dose sent once, so the dispatcher guards them: it never holds more than
it can send within a lease, it renews the leases of what it holds while it waits on Telegram
(a flood wait, a slow answer), and when it stops it lets sends under way finish, hands back
at once what it never started, and treats a send it had to cut short as a timeout: the request
may already have reached Telegram, so it goes again once, only when its lease would have run out. Retries never multiply: a send that may have arrived (a timeout) is tried
again only when its lease would have run out, and the rate limiter does not retry it at all.

Send errors change state, never the dispatcher's life: a blocked bot pauses that chat's
reminders, a migrated group moves them to the new chat id, a flood wait or network error
retries later. Imports nothing from Telegram: the Sender protocol is implemented in
telegram/sender.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.reminders.carers import AlertClaim
from bot.reminders.chats import PauseReason
from bot.reminders.rules import Rule, next_due
from bot.reminders.store import Claim, DoseRow, ReminderRow, Store

logger = logging.getLogger(__name__)

GRACE = timedelta(hours=12)  # a reminder late by more than this is logged as missed, not sent
BATCH = 200  # claims at a time at most: about 7 s of sending
SEND_RATE = 29  # messages a second the rate limiter lets out: a batch is half a lease of them
CHAT_SPACING = 1.0  # seconds between messages to one chat: Telegram allows about 1 per second
NETWORK_RETRY = timedelta(seconds=30)
PARALLEL_CHATS = 64  # chats served at once; AIORateLimiter keeps the overall rate under 30/s
CHAT_RECHECK = timedelta(minutes=10)  # a first "chat not found" is tried again this much later
STOP_WAIT = 10.0  # seconds a stopping dispatcher gives the sends under way (hosts allow ~30)


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: int


@dataclass(frozen=True, slots=True)
class Blocked:
    """The bot cannot write to the chat: blocked or removed, not allowed to post, chat not found.

    The chat is paused (after a second look, for "chat not found": Telegram says it now and then
    of chats that exist) and tried again every PAUSE_RECHECK.
    """

    reason: PauseReason


@dataclass(frozen=True, slots=True)
class Moved:
    """The group became a supergroup with a new id."""

    new_chat_id: int


@dataclass(frozen=True, slots=True)
class TryLater:
    """Not delivered (a flood wait, a connection that never opened): safe to send again."""

    after: timedelta
    reason: str  # "flood" or "network"


@dataclass(frozen=True, slots=True)
class Unsure:
    """The send failed in a way that may hide a delivery (a timeout): again only after the lease."""

    reason: str  # "timeout" or "network"


@dataclass(frozen=True, slots=True)
class Rejected:
    """Telegram refuses this message itself (a 400 that names no chat problem): our bug."""

    reason: str


SendResult = Delivered | Blocked | Moved | TryLater | Unsure | Rejected


class Sender(Protocol):
    """Delivers reminder messages; implemented over the Telegram Bot in telegram/sender.py."""

    async def send_reminder(self, claim: Claim) -> SendResult: ...

    async def send_followup(self, dose: DoseRow, reminder: ReminderRow) -> SendResult: ...

    async def probe(self, chat_id: int) -> bool:
        """Whether the bot can write to the chat now, without posting a message in it."""
        ...

    async def tell_paused(self, person: int, group: int) -> bool:
        """Tell a reminder's creator, in private, that the group's reminders stopped, and why."""
        ...

    async def send_carer_alert(
        self, alert: AlertClaim, dose: DoseRow, reminder: ReminderRow
    ) -> SendResult:
        """Tell a patient's carer, in private, that a dose has not been marked."""
        ...


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
    carer_alerts: int = 0


class Dispatcher:
    """Ticks: claim everything due, send it with per-chat spacing, record every outcome."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        grace: timedelta = GRACE,
        batch: int = BATCH,
        chat_spacing: float = CHAT_SPACING,
        stop_wait: float = STOP_WAIT,
    ) -> None:
        self._store, self._sender, self._clock = store, sender, clock
        self._grace, self._spacing, self._stop_wait = grace, chat_spacing, stop_wait
        lease = store.lease.total_seconds()
        self._batch = max(1, min(batch, int(lease * SEND_RATE / 2)))
        self._renew_every = lease / 3
        self._gate = asyncio.Semaphore(PARALLEL_CHATS)
        self._held: dict[int, Claim] = {}  # claimed by this dispatcher, not yet recorded
        self._sending: set[asyncio.Task[SendResult]] = set()
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._ticking = asyncio.Lock()

    async def tick(self) -> TickReport:
        """Claim and send everything due now, batch by batch; never raises for a send failure.

        Ticks of one dispatcher run one after another: a caller besides the scheduled job (a
        test, `b12bot chat`'s /wait) knows that what was due when it called has been sent, not
        claimed by a tick that overlapped it and still sending, when its tick returns.
        """
        report = TickReport()
        async with self._ticking:
            if self._stopping:
                return report
            self._idle.clear()
            try:
                if await self._store.anything_waiting(self._clock()):
                    await self._recheck_paused_chats()
                    async with self._renewing_leases():
                        await self._send_due(report)
                    await self._send_followups(report)
            finally:
                self._idle.set()
        return report

    @property
    def stopping(self) -> bool:
        """Whether stop() was called: no tick should be scheduled after this one."""
        return self._stopping

    async def stop(self) -> None:
        """Stop claiming; let sends under way finish (up to `stop_wait` s), hand the rest back.

        For a clean stop (a deploy, SIGTERM): what was claimed but never started goes back at
        once rather than after its lease, and nothing is left half-recorded. A send still
        waiting on Telegram is cancelled and recorded as unsure (it may have arrived), so it is
        sent again only when its lease would have run out, like a timeout.
        """
        self._stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), self._stop_wait)
        except TimeoutError:
            for send in self._sending:  # still waiting on Telegram: _deliver records it
                send.cancel()
            await self._idle.wait()
        if self._held:
            await self._store.release(self._attempts())
            logger.info("stopping: %d reminder sends handed back", len(self._held))
            self._held.clear()

    async def _recheck_paused_chats(self) -> None:
        for chat_id in await self._store.chats_to_recheck(self._clock(), limit=self._batch):
            try:
                reachable = await self._sender.probe(chat_id)
            except Exception:
                logger.exception("checking a paused chat failed")
                continue
            if reachable:
                await self._store.resume_chat(chat_id)
                logger.info("a paused chat can be written to again: resumed")

    async def _send_due(self, report: TickReport) -> None:
        # The next batch is claimed while this one goes out, so Telegram's rate is not left unused
        # between batches. Two batches are at most one lease of sending, and both are renewed.
        claims = await self._claim()
        while claims:
            upcoming = asyncio.create_task(self._claim())
            by_chat: dict[int, list[Claim]] = defaultdict(list)
            for claim in claims:
                by_chat[claim.reminder.chat_id].append(claim)
            await asyncio.gather(
                *(self._serve_chat(chat, queue, report) for chat, queue in by_chat.items())
            )
            claims = await upcoming

    async def _claim(self) -> list[Claim]:
        """Up to a batch of retried, due and snoozed doses, held (and renewed) until recorded.

        Retries first: a crash's or a flood wait's victims are older than anything newly due and
        must not wait behind a fan-out.
        """
        if self._stopping:
            return []
        now = self._clock()
        claims = await self._store.claim_retries(now, self._batch, grace=self._grace)
        if len(claims) < self._batch:
            claims += await self._store.claim_due(
                now, limit=self._batch - len(claims), grace=self._grace, advance=advance
            )
        if len(claims) < self._batch:
            claims += await self._store.snoozed_due(now, self._batch - len(claims))
        self._held.update((claim.dose_id, claim) for claim in claims)
        return claims

    def _attempts(self) -> dict[int, int]:
        return {dose_id: claim.attempt for dose_id, claim in self._held.items()}

    @contextlib.asynccontextmanager
    async def _renewing_leases(self) -> AsyncIterator[None]:
        renewing = asyncio.create_task(self._renew_leases())
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                await self._store.renew_leases(self._attempts())
            except Exception:  # the next renewal may work; a lost lease means a duplicate at worst
                logger.warning("could not renew the leases of reminders being sent", exc_info=True)

    async def _serve_chat(self, chat_id: int, claims: Sequence[Claim], report: TickReport) -> None:
        async with self._gate:
            for index, claim in enumerate(claims):
                if self._stopping:
                    return  # handed back by stop()
                if chat_id in report.paused_chats:
                    await self._record(claim, TryLater(timedelta(0), "paused"), report)
                    continue
                if index:
                    await asyncio.sleep(self._spacing)
                await self._deliver(claim, report)

    async def _deliver(self, claim: Claim, report: TickReport) -> None:
        send = asyncio.create_task(self._sender.send_reminder(claim))
        self._sending.add(send)
        try:
            result = await send
        except asyncio.CancelledError:
            if not send.cancelled() or asyncio.current_task().cancelling():
                raise
            result = Unsure("stopped")  # cut short by stop(): the request may have arrived
        except Exception:  # a bug in rendering must not stop every other reminder
            logger.exception("sending reminder %d failed", claim.reminder.id)
            result = TryLater(NETWORK_RETRY, "error")
        finally:
            self._sending.discard(send)
        await self._record(claim, result, report)

    async def _record(self, claim: Claim, result: SendResult, report: TickReport) -> None:
        match result:
            case Delivered(message_id):
                await self._store.mark_sent(claim.dose_id, message_id)
                report.sent += 1
                report.late += claim.late
            case Blocked("chat not found") if claim.error != "chat not found":
                retry_at = self._clock() + CHAT_RECHECK  # a second look before pausing
                await self._store.mark_failed(claim.dose_id, "chat not found", retry_at)
                report.retried += 1
            case Blocked(reason):
                await self._pause(claim, reason, report)
            case Moved(new_chat_id):
                await self._store.migrate_chat(claim.reminder.chat_id, new_chat_id)
                await self._store.mark_failed(claim.dose_id, "migrated", self._clock())
                report.retried += 1
            case TryLater(after, reason):
                await self._store.mark_failed(claim.dose_id, reason, self._clock() + after)
                report.retried += 1
            case Rejected(reason):
                # Sending it again cannot help: logged missed, so the next reminder says so.
                # Loud, since only a bug of ours gets here.
                logger.error("Telegram refused reminder %d (%s)", claim.reminder.id, reason)
                await self._store.mark_failed(claim.dose_id, "refused", None)
            case Unsure(reason):
                # It may have arrived: a second copy only when the lease would have run out.
                retry_at = self._clock() + self._store.lease
                await self._store.mark_failed(claim.dose_id, reason, retry_at)
                report.retried += 1
        self._held.pop(claim.dose_id, None)

    async def _pause(self, claim: Claim, reason: PauseReason, report: TickReport) -> None:
        chat_id = claim.reminder.chat_id
        # The dose goes out when the chat resumes, or is logged missed if that is past the grace.
        await self._store.mark_failed(claim.dose_id, reason, self._clock())
        report.paused_chats.add(chat_id)
        if not await self._store.pause_chat(chat_id, reason):
            return  # already paused: by another of its reminders, or another dispatcher
        logger.info("chat paused: %s", reason)
        if reason == "restricted":  # a group that can still be fixed: its creators should know
            for person in await self._store.creators(chat_id):
                await self._sender.tell_paused(person, chat_id)

    async def _send_followups(self, report: TickReport) -> None:
        if self._stopping:
            return
        now = self._clock()
        for dose in await self._store.followups_due(now, limit=self._batch):
            reminder = await self._store.reminder(dose.reminder_id) if dose.reminder_id else None
            if reminder is not None and await self._followup(dose, reminder, report):
                report.followups += 1
            if reminder is not None:
                report.carer_alerts += await self._alert_carers(dose, reminder)

    async def _followup(self, dose: DoseRow, reminder: ReminderRow, report: TickReport) -> bool:
        try:
            result = await self._sender.send_followup(dose, reminder)
        except Exception:
            logger.exception("follow-up for reminder %d failed", reminder.id)
            return False
        if isinstance(result, Blocked) and result.reason != "chat not found":
            await self._store.pause_chat(reminder.chat_id, result.reason)
            report.paused_chats.add(reminder.chat_id)
        return isinstance(result, Delivered)

    async def _alert_carers(self, dose: DoseRow, reminder: ReminderRow) -> int:
        """Tell the patient's carers, once each, that this dose is unmarked; how many were told.

        A carer the bot cannot write to is paused like any chat (and skipped until they come
        back); the patient's reminders carry on either way.
        """
        told = 0
        for alert in await self._store.claim_carer_alerts(dose.id):
            try:
                result = await self._sender.send_carer_alert(alert, dose, reminder)
            except Exception:
                logger.exception("carer alert for reminder %d failed", reminder.id)
                result = None
            delivered = isinstance(result, Delivered)
            await self._store.record_alert(alert.alert_id, result.message_id if delivered else None)
            if isinstance(result, Blocked) and result.reason != "chat not found":
                await self._store.pause_chat(alert.carer_id, result.reason)
            told += delivered
        return told
