"""The reminders database: one Store, made of a query class per responsibility.

The database is the source of truth; nothing that matters lives only in memory. Where each
kind of query lives:

- schema.py: the tables; rows.py: the frozen rows callers get back.
- database.py: connecting, migrating at start-up, what every query class shares.
- chats.py: chats, their time zone, pausing and migration.
- schedules.py: the reminders themselves.
- claims.py: claiming doses to send and recording how each send went (the reliability core).
- doselog.py: button presses, /taken and /history; taken_log.py: which occurrence a /taken
  answers, and its Undo; guided.py: where each person is in a guided /remind; consent.py: group
  reminders waiting for their creator's yes; waiting_lines.py: a /remind line waiting for the
  chat's time zone.
- feedback.py, erasure.py: FAQ votes; /forget.
- carers.py, supplies.py, injection_sites.py, records.py: carer links and their alerts, ampoules
  left, where each injection went, the whole log for /export.

Only ids, times and the rule are stored, never message text. Imports nothing from telegram.
"""

from __future__ import annotations

from datetime import timedelta

from bot.reminders.carers import CarerQueries
from bot.reminders.chats import ChatQueries
from bot.reminders.claims import LEASE_EXPIRED, Advance, ClaimQueries
from bot.reminders.consent import ConsentQueries
from bot.reminders.database import (
    MIGRATIONS_DIR,
    SEND_LEASE,
    Clock,
    async_url,
    make_engine,
    upgrade_to_head,
    utc_now,
)
from bot.reminders.doselog import DoseLogQueries
from bot.reminders.erasure import ErasureQueries
from bot.reminders.feedback import FeedbackQueries
from bot.reminders.guided import GuidedQueries
from bot.reminders.injection_sites import SiteQueries
from bot.reminders.records import RecordQueries
from bot.reminders.rows import ChatRow, Claim, DoseRow, ReminderRow
from bot.reminders.schedules import (
    GROUP_FOLLOWUP_MINUTES,
    MAX_ACTIVE_PER_CHAT,
    DuplicateReminder,
    ReminderQueries,
    TooManyReminders,
)
from bot.reminders.schema import Base, Chat, Reminder
from bot.reminders.supplies import SupplyQueries
from bot.reminders.taken_log import TakenLogQueries
from bot.reminders.waiting_lines import WaitingLineQueries

__all__ = [
    "GROUP_FOLLOWUP_MINUTES",
    "LEASE_EXPIRED",
    "MAX_ACTIVE_PER_CHAT",
    "MIGRATIONS_DIR",
    "SEND_LEASE",
    "Advance",
    "Base",
    "Chat",
    "ChatRow",
    "Claim",
    "Clock",
    "DoseRow",
    "DuplicateReminder",
    "Reminder",
    "ReminderRow",
    "Store",
    "TooManyReminders",
    "async_url",
    "make_engine",
    "open_store",
]


class Store(
    ChatQueries,
    ReminderQueries,
    ClaimQueries,
    DoseLogQueries,
    FeedbackQueries,
    ErasureQueries,
    CarerQueries,
    SupplyQueries,
    SiteQueries,
    RecordQueries,
    TakenLogQueries,
    GuidedQueries,
    ConsentQueries,
    WaitingLineQueries,
):
    """Every read and write of the reminders database; each method is its own transaction."""


async def open_store(url: str, *, clock: Clock = utc_now, lease: timedelta = SEND_LEASE) -> Store:
    """Connect, bring the schema to the newest migration, and return the Store.

    Migrating at start-up means an installed wheel needs no separate step; it runs in one
    transaction under a lock, so processes starting together do not race.
    """
    engine = make_engine(url)
    writer = engine.execution_options(b12bot_write=True)
    try:
        async with writer.begin() as connection:
            await connection.run_sync(upgrade_to_head)
    except BaseException:
        await engine.dispose()
        raise
    return Store(engine, clock=clock, lease=lease)
