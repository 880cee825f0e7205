"""Claims: what the dispatcher takes to send, and what it reports back after sending.

A dose is claimed (its row written, the reminder advanced) in one transaction before anything is
sent, so two dispatchers never send the same dose and a crash never loses one. On PostgreSQL the
rows are locked with SKIP LOCKED, so concurrent dispatchers share the work.

Dose statuses, and how a dose moves between them:

- `sending`: claimed, being sent now (on time). `late`: claimed for a send more than a minute
  after its due time; it stays `late` once delivered, so the log shows it. While a `sending` or
  `late` dose is in flight its `retry_at` is the end of its lease; delivery clears it.
- `sent`: delivered on time. `failed`: the send failed; retried at `retry_at`.
- `missed`: never sent: the bot was down (or the chat paused) past the grace period, a newer
  occurrence superseded it, its retries ran past the grace period, or Telegram refused the
  message itself (its `error` says so).
- `taken`, `skipped`, `snoozed`: what someone pressed; `snoozed` is sent again at `snoozed_until`.

Recurrence is not the store's job: claims take an `advance(reminder, due) -> next due` callable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.reminders.database import Queries
from bot.reminders.doselog import CLOSE, taken_for
from bot.reminders.rows import Claim, DoseRow, ReminderRow, to_row
from bot.reminders.schedules import sendable_reminders
from bot.reminders.schema import Chat, Dose, DoseStatus, Reminder

logger = logging.getLogger(__name__)

LATE_AFTER: Final = timedelta(seconds=60)  # sent later than this after its due time: "late"
RETRY_GRACE: Final = timedelta(hours=12)  # a retry older than this is logged as missed instead
LEASE_EXPIRED: Final = "lease"  # the error code of a dose re-sent because its sender vanished
_IN_FLIGHT: Final = ("sending", "late")
_DELIVERED: Final = ("sent", "late")

Advance = Callable[[ReminderRow, datetime], datetime]


def _reference_time(dose: Dose) -> datetime:
    """When the dose was meant to arrive: its due time, or the end of its snooze."""
    return max(dose.due_at, dose.snoozed_until) if dose.snoozed_until else dose.due_at


def _occurrences(
    reminder: ReminderRow, now: datetime, advance: Advance
) -> tuple[list[datetime], datetime]:
    """Every due time up to `now` from the reminder's next one, and the first one after `now`."""
    due, passed = reminder.next_due_at, []
    while due <= now:
        passed.append(due)
        following = advance(reminder, due)
        if following <= due:
            raise ValueError(f"advance() went from {due} to {following}: it must move forward")
        due = following
    return passed, due


def _tick_work() -> list[tuple[InstrumentedAttribute[datetime], tuple[ColumnElement[bool], ...]]]:
    """What a dispatcher tick works on: the time each falls due, and what else makes it waiting."""
    return [
        (Reminder.next_due_at, (Reminder.active == True,)),  # noqa: E712
        (Dose.retry_at, (Dose.status.in_((*_IN_FLIGHT, "failed")),)),
        (Dose.snoozed_until, (Dose.status == "snoozed",)),
        (Dose.followup_due_at, (Dose.status.in_(_DELIVERED), Dose.followup_sent.is_(False))),
        (Chat.recheck_at, (Chat.paused == True,)),  # noqa: E712
    ]


class ClaimQueries(Queries):
    """Claiming due, retried, snoozed and followed-up doses; recording how each send went."""

    async def anything_waiting(self, now: datetime) -> bool:
        """Whether a dispatcher tick has any work: one read, so an idle tick costs one query."""
        checks = [select(when).where(*waiting, when <= now) for when, waiting in _tick_work()]
        async with self._reading.begin() as session:
            return bool(await session.scalar(select(or_(*(check.exists() for check in checks)))))

    async def next_work_after(self, moment: datetime) -> datetime | None:
        """The first time after `moment` at which a tick would have work; None: nothing waits.

        For moving time on without missing anything on the way (`b12bot chat`'s /wait): work
        already due at `moment` is not counted, so a send that keeps failing cannot hold time.
        """
        firsts = [
            select(func.min(when)).where(*waiting, when > moment).scalar_subquery()
            for when, waiting in _tick_work()
        ]
        async with self._reading.begin() as session:
            found = (await session.execute(select(*firsts))).one()
        return min((when for when in found if when is not None), default=None)

    def _claimable_doses(
        self,
        waiting: tuple[ColumnElement[bool], ...],
        oldest: InstrumentedAttribute[Any],
        limit: int,
    ) -> Select[tuple[Reminder, Dose]]:
        """Doses matching `waiting`, oldest first, locked so concurrent dispatchers share them."""
        return (
            self._sendable_doses()
            .where(*waiting)
            .order_by(oldest, Dose.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Dose)
        )

    def _sendable_doses(self) -> Select[tuple[Reminder, Dose]]:
        """Doses of active reminders in unpaused chats, read from the doses side.

        The doses waiting for something are few and indexed; starting from 100,000 reminders
        instead makes an idle dispatcher tick cost a table scan.
        """
        return (
            select(Reminder, Dose)
            .select_from(Dose)
            .join(Reminder, Reminder.id == Dose.reminder_id)
            .join(Chat, Chat.chat_id == Reminder.chat_id)
            .where(Reminder.active == True, Chat.paused == False)  # noqa: E712 - see sendable_reminders
        )

    async def claim_due(
        self, now: datetime, *, limit: int, grace: timedelta, advance: Advance
    ) -> list[Claim]:
        """Claim up to `limit` due reminders, oldest first: write their dose rows, advance them.

        All in one transaction, before anything is sent. Each reminder's occurrences up to `now`
        get a dose row: the newest one within `grace` is returned for sending (status `sending`,
        or `late` if more than a minute old), every other one is logged as `missed`. On
        PostgreSQL the reminders are locked with SKIP LOCKED, so concurrent dispatchers share
        the work; a dose row that already exists (unique per reminder and due time) is not sent
        again. If `advance` raises for a reminder, that reminder is stopped and logged rather
        than blocking every other one.
        """
        claims: list[Claim] = []
        if not await self._any(Reminder.id, Reminder.active == True, Reminder.next_due_at <= now):  # noqa: E712
            return claims
        async with self._writing.begin() as session:
            due = await session.scalars(
                sendable_reminders()
                .where(Reminder.next_due_at <= now)
                .order_by(Reminder.next_due_at, Reminder.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=Reminder)
            )
            for reminder in due.all():
                claim = await self._claim_reminder(session, reminder, now, grace, advance)
                if claim is not None:
                    claims.append(claim)
        return claims

    async def _claim_reminder(
        self,
        session: AsyncSession,
        reminder: Reminder,
        now: datetime,
        grace: timedelta,
        advance: Advance,
    ) -> Claim | None:
        row = to_row(ReminderRow, reminder)
        try:
            passed, following = _occurrences(row, now, advance)
        except Exception:
            logger.exception("reminder %d stopped: its next time cannot be computed", row.id)
            reminder.active = False
            return None
        to_send = passed[-1] if now - passed[-1] <= grace else None
        for due_at in passed if to_send is None else passed[:-1]:
            await self._add_dose(session, reminder, due_at, now, status="missed")
        reminder.next_due_at = following
        if to_send is None:
            return None
        late = now - to_send > LATE_AFTER
        missed = await self._missed_since_last_message(session, reminder.id, before=to_send)
        dose_id = await self._add_dose(
            session, reminder, to_send, now, status="late" if late else "sending"
        )
        if dose_id is None:
            return None
        elsewhere = await taken_for(
            session,
            reminder.chat_id,
            reminder.for_whom,
            (to_send - CLOSE, now),
            Dose.reminder_id.is_distinct_from(reminder.id),
        )
        return Claim(
            dose_id=dose_id,
            reminder=replace(row, next_due_at=following.astimezone(UTC)),
            due_at=to_send,
            late=late,
            missed_since_last=missed,
            taken_elsewhere_at=elsewhere.acted_at if elsewhere else None,
        )

    async def _add_dose(
        self,
        session: AsyncSession,
        reminder: Reminder,
        due_at: datetime,
        now: datetime,
        *,
        status: DoseStatus,
    ) -> int | None:
        """Insert a dose row; None if (reminder, due_at) already has one."""
        in_flight = status in _IN_FLIGHT
        return await session.scalar(
            self._insert(Dose)
            .values(
                reminder_id=reminder.id,
                chat_id=reminder.chat_id,
                due_at=due_at,
                status=status,
                attempts=1 if in_flight else 0,
                retry_at=now + self._lease if in_flight else None,
                followup_sent=False,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Dose.reminder_id, Dose.due_at])
            .returning(Dose.id)
        )

    async def _missed_since_last_message(
        self, session: AsyncSession, reminder_id: int, *, before: datetime
    ) -> int:
        last_other = (
            select(func.max(Dose.due_at))
            .where(Dose.reminder_id == reminder_id, Dose.status != "missed")
            .scalar_subquery()
        )
        return (
            await session.scalar(
                select(func.count()).where(
                    Dose.reminder_id == reminder_id,
                    Dose.status == "missed",
                    Dose.due_at < before,
                    (Dose.due_at > last_other) | last_other.is_(None),
                )
            )
            or 0
        )

    async def claim_retries(
        self, now: datetime, limit: int, *, grace: timedelta = RETRY_GRACE
    ) -> list[Claim]:
        """Claim doses to send again: failed ones whose retry time has come, and lost ones.

        A dose still in flight when its lease runs out belongs to a sender that crashed (or is
        stuck), so it is sent again, after every lease that runs out, for as long as it takes:
        delivery is at-least-once, and only the messages in flight at a crash can arrive twice.
        Only a retry that would arrive more than `grace` after the dose was meant to arrive is
        given up, and then it is logged as missed, which the next reminder and /history show.
        """
        claims: list[Claim] = []
        waiting = (Dose.status.in_((*_IN_FLIGHT, "failed")), Dose.retry_at <= now)
        if not await self._any(Dose.id, *waiting):
            return claims
        async with self._writing.begin() as session:
            found = await session.execute(self._claimable_doses(waiting, Dose.retry_at, limit))
            for reminder, dose in found:
                if now - _reference_time(dose) > grace:
                    logger.warning("dose %d logged as missed: not delivered in time", dose.id)
                    dose.status, dose.retry_at = "missed", None
                    continue
                if dose.status in _IN_FLIGHT:
                    dose.error = LEASE_EXPIRED
                claims.append(self._reclaim(dose, reminder, now))
        return claims

    async def snoozed_due(self, now: datetime, limit: int) -> list[Claim]:
        """Claim snoozed doses whose snooze has ended, to send them again, once.

        A snooze delays one occurrence; the reminder's series is not touched.
        """
        claims: list[Claim] = []
        waiting = (Dose.status == "snoozed", Dose.snoozed_until <= now)
        if not await self._any(Dose.id, *waiting):
            return claims
        async with self._writing.begin() as session:
            found = await session.execute(self._claimable_doses(waiting, Dose.snoozed_until, limit))
            claims.extend(self._reclaim(dose, reminder, now) for reminder, dose in found)
        return claims

    def _reclaim(self, dose: Dose, reminder: Reminder, now: datetime) -> Claim:
        late = now - _reference_time(dose) > LATE_AFTER
        dose.status = "late" if late else "sending"
        dose.attempts += 1
        dose.retry_at = now + self._lease
        dose.followup_due_at = None  # each delivery schedules its own follow-up (mark_sent)
        return Claim(
            dose_id=dose.id,
            reminder=to_row(ReminderRow, reminder),
            due_at=dose.due_at,
            late=late,
            missed_since_last=0,
            attempt=dose.attempts,
            error=dose.error,
        )

    # -- after sending

    async def mark_sent(self, dose_id: int, message_id: int) -> bool:
        """Record delivery: the message to edit when a button is pressed, and the follow-up time.

        The status becomes `sent`, or `late` if it arrived more than a minute after it was meant
        to; a dose someone already acted on keeps their answer. False if the dose is gone.
        """
        async with self._writing.begin() as session:
            found = await session.execute(
                select(Dose, Reminder.followup_minutes)
                .join(Reminder, Reminder.id == Dose.reminder_id)
                .where(Dose.id == dose_id)
                .with_for_update(of=Dose)
            )
            row = found.first()
            if row is None:
                return False
            dose, followup_minutes = row
            now = self._clock()
            dose.message_id, dose.retry_at = message_id, None
            if dose.status in (*_IN_FLIGHT, "failed", "missed"):
                dose.status = "late" if now - _reference_time(dose) > LATE_AFTER else "sent"
                dose.followup_sent = False
                dose.followup_due_at = (
                    None if followup_minutes is None else now + timedelta(minutes=followup_minutes)
                )
            return True

    async def renew_leases(self, held: Mapping[int, int]) -> int:
        """Extend the leases of doses still being sent: {dose id: the attempt this sender holds}.

        A dispatcher waiting on Telegram (a long flood wait, a slow answer) keeps what it claimed
        this way, so no other dispatcher takes it for lost and sends it twice. A dose another
        dispatcher already took over (a newer attempt) or that was recorded is left alone.
        Returns how many leases were extended.
        """
        return await self._set_retry_at(held, self._clock() + self._lease)

    async def release(self, held: Mapping[int, int]) -> int:
        """Hand doses claimed but not sent back at once, for the next dispatcher (a clean stop)."""
        return await self._set_retry_at(held, self._clock())

    async def _set_retry_at(self, held: Mapping[int, int], retry_at: datetime) -> int:
        if not held:
            return 0
        async with self._writing.begin() as session:
            changed = await session.execute(
                update(Dose)
                .where(
                    tuple_(Dose.id, Dose.attempts).in_(list(held.items())),
                    Dose.status.in_(_IN_FLIGHT),
                    Dose.retry_at.is_not(None),
                )
                .values(retry_at=retry_at)
                .execution_options(synchronize_session=False)
            )
            return changed.rowcount

    async def mark_failed(self, dose_id: int, error_code: str, retry_at: datetime | None) -> bool:
        """Record a failed send: a short code ("blocked", "network"; cut to 32 characters).

        `retry_at` is when claim_retries may take the dose again; None gives it up, and the dose
        is logged as missed (its code says why), which the next reminder and /history show. The
        attempt itself was counted when the dose was claimed. False if the dose is gone.
        """
        async with self._writing.begin() as session:
            dose = await session.get(Dose, dose_id, with_for_update=True)
            if dose is None:
                return False
            in_flight = dose.status in _IN_FLIGHT and dose.retry_at is not None
            if in_flight or dose.status == "failed":
                dose.status = "failed" if retry_at is not None else "missed"
                dose.error, dose.retry_at = error_code[:32], retry_at
            return True

    async def followups_due(self, now: datetime, limit: int) -> list[DoseRow]:
        """Take delivered doses nobody has answered within the reminder's follow-up time.

        They are marked as followed up in the same transaction, so each goes out at most once.
        """
        waiting = (
            Dose.status.in_(_DELIVERED),
            Dose.followup_due_at <= now,
            Dose.followup_sent.is_(False),
        )
        if not await self._any(Dose.id, *waiting):
            return []
        async with self._writing.begin() as session:
            found = await session.execute(
                self._claimable_doses(waiting, Dose.followup_due_at, limit)
            )
            doses = [dose for _, dose in found]
            for dose in doses:
                dose.followup_sent = True
            await session.flush()
            return [to_row(DoseRow, dose) for dose in doses]
