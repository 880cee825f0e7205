"""The dispatcher on SQLite and PostgreSQL, with a recording Sender: every send outcome becomes
reminder state, late and missed after downtime, follow-ups once, and no dose sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.reminders.dispatcher import (
    Blocked,
    Delivered,
    Dispatcher,
    Moved,
    Rejected,
    TryLater,
    Unsure,
    advance,
)
from bot.reminders.rules import Rule, first_due
from bot.reminders.store import open_store
from tests.clocks import MovedClock

pytest_plugins = ["tests.db_fixtures"]
pytestmark = pytest.mark.asyncio
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovedClock:  # overrides db_fixtures' real-time clock: store and dispatcher share it
    return MovedClock(T0)


class Recorder:
    """A Sender that answers from a script and remembers what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, datetime, bool, int]] = []
        self.followups: list[int] = []
        self.script: list[object] = []
        self.reachable: set[int] = set()  # chats a re-check finds the bot can write to again
        self.probed: list[int] = []
        self.told: list[tuple[int, int]] = []  # (person, group) told the bot may not post there
        self.hold: asyncio.Event | None = None  # sends wait for it, as behind a long flood wait

    async def send_reminder(self, claim):
        self.sent.append(
            (claim.reminder.chat_id, claim.due_at, claim.late, claim.missed_since_last)
        )
        if self.hold is not None:
            await self.hold.wait()
        return self.script.pop(0) if self.script else Delivered(1000 + len(self.sent))

    async def send_followup(self, dose, reminder):
        self.followups.append(reminder.chat_id)
        return Delivered(5000)

    async def probe(self, chat_id):
        self.probed.append(chat_id)
        return chat_id in self.reachable

    async def tell_paused(self, person, group):
        self.told.append((person, group))
        return True


async def _reminder(
    store, chat_id: int, rule: str = "1d@09:00", kind: str = "private", followup=None
):
    await store.ensure_chat(chat_id, kind)
    start = date(2026, 12, 1)
    return await store.add_reminder(
        chat_id,
        creator_id=7,
        rule=rule,
        timezone="UTC",
        start_date=start,
        next_due_at=first_due(Rule.from_text(rule), "UTC", start, T0 - timedelta(seconds=1)),
        followup_minutes="default" if followup is None else followup,
    )


def _dispatcher(store, sender, clock) -> Dispatcher:
    return Dispatcher(store, sender, clock=clock, chat_spacing=0)


async def test_due_reminders_are_sent_once_and_advanced(store, clock) -> None:
    sender = Recorder()
    reminder = await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    await dispatcher.tick()
    assert sender.sent == [(1, T0, False, 0)]
    assert (await store.reminder(reminder.id)).next_due_at == T0 + timedelta(days=1)
    assert [d.status for d in await store.history(1)] == ["sent"]


async def test_after_downtime_one_late_send_and_the_older_ones_missed(store, clock) -> None:
    sender = Recorder()
    await _reminder(store, 1, rule="1d@09:00")
    clock.now = T0 + timedelta(days=2, hours=3)  # down for two days and three hours
    await _dispatcher(store, sender, clock).tick()
    assert sender.sent == [(1, T0 + timedelta(days=2), True, 2)]
    assert sorted(d.status for d in await store.history(1)) == ["late", "missed", "missed"]


async def test_blocked_pauses_the_chat(store, clock) -> None:
    sender = Recorder()
    sender.script = [Blocked("blocked")]
    await _reminder(store, 1)
    report = await _dispatcher(store, sender, clock).tick()
    assert report.paused_chats == {1}
    assert (await store.chat(1)).paused
    clock.now += timedelta(days=1)
    await _dispatcher(store, sender, clock).tick()
    assert len(sender.sent) == 1  # nothing more goes to a chat that blocked us


async def test_one_chat_not_found_is_checked_again_before_the_chat_is_paused(store, clock) -> None:
    """Issue 10, fault 5: one '400 chat not found' paused a chat for good."""
    sender = Recorder()
    sender.script = [Blocked("chat not found")]
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    assert not (await store.chat(1)).paused
    clock.now += timedelta(minutes=10)
    await dispatcher.tick()
    assert len(sender.sent) == 2
    assert [d.status for d in await store.history(1)] == ["late"]


async def test_chat_not_found_twice_pauses_the_chat(store, clock) -> None:
    sender = Recorder()
    sender.script = [Blocked("chat not found"), Blocked("chat not found")]
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    clock.now += timedelta(minutes=10)
    await dispatcher.tick()
    assert (await store.chat(1)).paused


async def test_a_paused_chat_is_checked_again_and_resumed_when_it_can_be_reached(
    store, clock
) -> None:
    """Issue 10, fault 5: a missed unblock update left a chat paused forever."""
    sender = Recorder()
    sender.script = [Blocked("blocked")]
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    assert (await store.chat(1)).paused
    clock.now += timedelta(hours=6)
    await dispatcher.tick()  # still blocked: stays paused, checked again later
    assert sender.probed == [1]
    assert (await store.chat(1)).paused
    sender.reachable.add(1)  # unblocked, and Telegram's update about it never came
    clock.now += timedelta(hours=6)
    await dispatcher.tick()
    assert not (await store.chat(1)).paused
    assert sender.sent[-1][0] == 1  # the day's reminder goes out again


async def test_a_group_that_took_the_bots_right_to_post_is_paused_and_its_creator_told_once(
    store, clock, caplog
) -> None:
    """Issue 10, fault 8: a permanent 400 was retried every 30 s for 12 h, with a traceback."""
    sender = Recorder()
    sender.script = [Blocked("restricted")]
    await store.ensure_chat(7, "private")  # the creator has a private chat with the bot
    await _reminder(store, -5, kind="group")
    await _reminder(store, -5, kind="group", rule="1w@09:00")
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    assert (await store.chat(-5)).paused
    assert sender.told == [(7, -5)]  # once, though two of its reminders were due
    clock.now += timedelta(seconds=31)
    await dispatcher.tick()
    assert len(sender.sent) == 1
    assert not [r for r in caplog.records if r.exc_info]


async def test_migrated_group_moves_and_is_sent_at_the_new_id(store, clock) -> None:
    sender = Recorder()
    sender.script = [Moved(-1002)]
    await _reminder(store, -5, kind="group")
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    await dispatcher.tick()  # the next tick sends what met the old id to the new one
    assert [chat for chat, *_ in sender.sent] == [-5, -1002]
    assert await store.reminders(-5) == []
    assert len(await store.reminders(-1002)) == 1


async def test_a_dose_lost_in_a_crash_goes_before_a_backlog_of_new_ones(store, clock) -> None:
    """A crash's victims are the oldest: they must not wait behind a fan-out of fresh reminders."""
    await _reminder(store, 1)
    lost = await store.claim_due(T0, limit=1, grace=timedelta(hours=12), advance=advance)
    assert [c.reminder.chat_id for c in lost] == [1]  # ...and the process dies sending it
    clock.now = T0 + store.lease
    for chat in range(2, 8):
        await _reminder(store, chat, rule="1d@09:01")
    sender = Recorder()
    await Dispatcher(store, sender, clock=clock, chat_spacing=0, batch=2).tick()
    assert sender.sent[0][0] == 1
    assert sorted(chat for chat, *_ in sender.sent) == list(range(1, 8))


async def test_flood_and_network_errors_retry_later_not_now(store, clock) -> None:
    sender = Recorder()
    sender.script = [TryLater(timedelta(seconds=30), "flood")]
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    await dispatcher.tick()
    assert len(sender.sent) == 1
    clock.now += timedelta(seconds=31)
    await dispatcher.tick()
    assert len(sender.sent) == 2
    assert [d.status for d in await store.history(1)] == ["sent"]


async def test_a_send_that_may_have_arrived_goes_again_only_when_its_lease_ends(
    store, clock
) -> None:
    """Issue 10, fault 2: a timed-out send was tried again 30 s later, and again, and again."""
    sender = Recorder()
    sender.script = [Unsure("timeout")]
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    clock.now += timedelta(seconds=31)
    await dispatcher.tick()
    assert len(sender.sent) == 1
    clock.now = T0 + store.lease
    await dispatcher.tick()
    assert len(sender.sent) == 2
    assert [d.status for d in await store.history(1)] == ["late"]


async def test_a_refused_send_is_logged_missed_and_the_next_reminder_says_so(store, clock) -> None:
    """A 400 that names no chat problem left the dose 'failed' for good: never final, never told."""
    sender = Recorder()
    sender.script = [Rejected("bad request")]
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    [refused] = await store.history(1)
    assert (refused.status, refused.error) == ("missed", "refused")
    clock.now += timedelta(days=1)
    await dispatcher.tick()
    assert sender.sent[-1] == (1, T0 + timedelta(days=1), False, 1)  # "1 missed since the last"


async def test_a_stop_hands_back_at_once_only_what_it_never_started(store, clock) -> None:
    """Issue 10, fault 6: a send cut short by a stop may have reached Telegram already.

    It was handed back at once with the never-started ones, so the next process sent it again
    straight away; like a timeout, it now goes again once, when its lease would have run out.
    """
    sender = Recorder()
    sender.hold = asyncio.Event()  # Telegram never answers the first send
    started = await _reminder(store, 1)
    waiting = await _reminder(store, 1, rule="1w@09:00")  # behind it in the same chat
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0, stop_wait=0.01)
    ticking = asyncio.create_task(dispatcher.tick())
    while not sender.sent:
        await asyncio.sleep(0)
    await dispatcher.stop()
    await ticking
    doses = {dose.reminder_id: dose for dose in await store.history(1)}
    assert doses[started.id].retry_at == T0 + store.lease
    assert doses[waiting.id].retry_at == T0
    following, sender.hold = _dispatcher(store, sender, clock), None
    await following.tick()
    assert len(sender.sent) == 2  # the one never started, at once
    clock.now = T0 + store.lease
    await following.tick()
    assert len(sender.sent) == 3  # the one cut short, once its lease is over
    assert sorted(dose.status for dose in await store.history(1)) == ["late", "sent"]


async def test_a_tick_called_during_another_returns_after_that_ones_sends(store, clock) -> None:
    """`b12bot chat`'s /wait ticks beside the scheduled job: when its tick returns, what fell due
    has arrived, even if the job's tick had claimed it and was still sending."""
    sender = Recorder()
    sender.hold = asyncio.Event()
    await _reminder(store, 1)
    dispatcher = _dispatcher(store, sender, clock)
    first = asyncio.create_task(dispatcher.tick())
    while not sender.sent:
        await asyncio.sleep(0)
    second = asyncio.create_task(dispatcher.tick())
    await asyncio.sleep(0.05)
    assert not second.done()
    sender.hold.set()
    assert (await first).sent == 1
    assert (await second).sent == 0  # nothing sent twice
    assert [dose.status for dose in await store.history(1)] == ["sent"]


async def test_an_unmarked_group_dose_gets_one_follow_up(store, clock) -> None:
    sender = Recorder()
    await _reminder(store, -9, kind="group")
    dispatcher = _dispatcher(store, sender, clock)
    await dispatcher.tick()
    clock.now += timedelta(minutes=121)
    await dispatcher.tick()
    await dispatcher.tick()
    assert sender.followups == [-9]


async def test_two_dispatchers_never_send_the_same_dose(store, open_stores, clock) -> None:
    for chat in range(1, 61):
        await _reminder(store, chat)
    senders = [Recorder(), Recorder()]
    other = await open_stores()
    await asyncio.gather(
        _dispatcher(store, senders[0], clock).tick(), _dispatcher(other, senders[1], clock).tick()
    )
    chats = [chat for sender in senders for chat, *_ in sender.sent]
    assert sorted(chats) == list(range(1, 61))


async def test_a_batch_held_up_past_its_lease_is_not_sent_again_elsewhere(database_url) -> None:
    """Issue 10, fault 4: a batch slower than the lease (one 429 asking for 125 s) was sent twice.

    Real time here, with a short lease: one dispatcher's sends are held up for more than two
    leases while another dispatcher keeps ticking on the same database.
    """
    lease = timedelta(seconds=1.5)
    stores = [await open_store(database_url, lease=lease) for _ in range(2)]
    try:
        now = datetime.now(UTC)
        for chat in range(1, 31):
            await stores[0].ensure_chat(chat, "private")
            await stores[0].add_reminder(
                chat,
                creator_id=chat,
                rule="1d@09:00",
                timezone="UTC",
                start_date=now.date(),
                next_due_at=now - timedelta(seconds=1),
            )
        held_up, other = Recorder(), Recorder()
        held_up.hold = asyncio.Event()
        first = asyncio.create_task(Dispatcher(stores[0], held_up, chat_spacing=0).tick())
        second = Dispatcher(stores[1], other, chat_spacing=0)
        for _ in range(40):
            await asyncio.sleep(0.1)
            await second.tick()
        held_up.hold.set()
        await first
        await second.tick()
        sent = [chat for recorder in (held_up, other) for chat, *_ in recorder.sent]
        assert sorted(sent) == list(range(1, 31))
    finally:
        for store in stores:
            await store.close()
