"""What callers see of the database: frozen rows, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import TypeVar

from bot.reminders.schema import Base, ChatKind, DoseStatus


@dataclass(frozen=True, slots=True)
class ChatRow:
    chat_id: int
    kind: ChatKind
    timezone: str | None
    paused: bool
    created_at: datetime
    paused_reason: str | None  # blocked, restricted or chat not found


@dataclass(frozen=True, slots=True)
class ReminderRow:
    id: int
    chat_id: int
    creator_id: int
    for_whom: str | None
    rule: str
    timezone: str
    start_date: date
    next_due_at: datetime
    active: bool
    followup_minutes: int | None
    created_at: datetime
    supplies_left: int | None = None  # ampoules left, if counted
    supplies_alert_at: int | None = None  # say "ask for a repeat prescription" at this many
    last_site: str | None = None


@dataclass(frozen=True, slots=True)
class DoseRow:
    id: int
    reminder_id: int | None
    chat_id: int
    due_at: datetime
    status: DoseStatus
    message_id: int | None
    acted_by: int | None
    acted_at: datetime | None
    attempts: int
    error: str | None
    retry_at: datetime | None
    followup_due_at: datetime | None
    followup_sent: bool
    snoozed_until: datetime | None
    created_at: datetime
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A dose this process now owns and must send, then report with mark_sent or mark_failed.

    `missed_since_last` counts the occurrences logged as missed since this reminder's last
    message, so the message can say so; `attempt` is 1 for the first try; it is also the lease's
    token: a dose taken over by another dispatcher has a newer attempt.
    """

    dose_id: int
    reminder: ReminderRow
    due_at: datetime
    late: bool
    missed_since_last: int
    attempt: int = 1
    error: str | None = None  # why the previous attempt failed, if this is a retry
    # When a dose for the same person was logged as taken by another of the chat's reminders (or
    # a /taken) within doselog.CLOSE before this one was due: two reminders for one injection
    # brought the second after the first was marked taken (a QA pass).
    taken_elsewhere_at: datetime | None = None


RowT = TypeVar("RowT", ChatRow, ReminderRow, DoseRow)


def to_row(row_type: type[RowT], model: Base) -> RowT:
    """A frozen copy of a model's values, times in UTC even if they were just set in another zone."""
    values = {f.name: getattr(model, f.name) for f in fields(row_type)}
    return row_type(  # type: ignore[arg-type]
        **{k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in values.items()}
    )
