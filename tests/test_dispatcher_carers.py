"""Carer alerts in the dispatcher, on SQLite and PostgreSQL, with a recording Sender: one alert
per carer per unmarked dose, sent after the patient's follow-up; a carer Telegram refuses is
paused and skipped, and the patient's reminders never notice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.reminders.carers import CARER_FOLLOWUP_MINUTES
from bot.reminders.dispatcher import Blocked, Delivered, Dispatcher
from tests.clocks import MovedClock
from tests.test_dispatcher import T0, Recorder, _reminder

pytest_plugins = ["tests.db_fixtures"]
pytestmark = pytest.mark.asyncio
PATIENT, CARER, OTHER = 41, 42, 43


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock(T0)


class CarerRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[tuple[int, str]] = []
        self.refusing: set[int] = set()  # carers who blocked the bot

    async def send_carer_alert(self, alert, dose, reminder):
        self.alerts.append((alert.carer_id, alert.patient_name))
        if alert.carer_id in self.refusing:
            return Blocked("blocked")
        return Delivered(9000 + len(self.alerts))


async def _link(store, carer: int) -> None:
    await store.ensure_chat(PATIENT, "private")
    invite = await store.create_invite(PATIENT, "Mum")
    await store.accept_invite(invite.token, carer, f"Carer {carer}")


async def _unmarked_day(dispatcher: Dispatcher, clock: MovedClock) -> None:
    """A reminder goes out and nobody marks it until after the follow-up time."""
    await dispatcher.tick()
    clock.now += timedelta(minutes=CARER_FOLLOWUP_MINUTES + 1)
    await dispatcher.tick()


async def test_each_carer_hears_once_when_a_dose_goes_unmarked(store, clock) -> None:
    await _link(store, CARER)
    await _link(store, OTHER)
    await _reminder(store, PATIENT, followup=None)
    sender = CarerRecorder()
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0)
    await _unmarked_day(dispatcher, clock)
    assert sender.followups == [PATIENT]
    assert sorted(sender.alerts) == [(CARER, "Mum"), (OTHER, "Mum")]
    await dispatcher.tick()
    assert len(sender.alerts) == 2


async def test_a_marked_dose_alerts_nobody(store, clock) -> None:
    await _link(store, CARER)
    await _reminder(store, PATIENT, followup=None)
    sender = CarerRecorder()
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0)
    await dispatcher.tick()
    [dose] = await store.history(PATIENT)
    await store.record_action(dose.id, "taken", PATIENT, clock())
    clock.now += timedelta(minutes=CARER_FOLLOWUP_MINUTES + 1)
    await dispatcher.tick()
    assert sender.alerts == []


async def test_a_carer_who_blocked_the_bot_is_paused_and_skipped_after(store, clock) -> None:
    await _link(store, CARER)
    await _link(store, OTHER)
    await _reminder(store, PATIENT, followup=None)
    sender = CarerRecorder()
    sender.refusing.add(CARER)
    dispatcher = Dispatcher(store, sender, clock=clock, chat_spacing=0)
    await _unmarked_day(dispatcher, clock)
    assert (await store.chat(CARER)).paused
    assert not (await store.chat(PATIENT)).paused
    clock.now += timedelta(days=1) - timedelta(minutes=CARER_FOLLOWUP_MINUTES + 1)
    await _unmarked_day(dispatcher, clock)
    assert [carer for carer, _ in sender.alerts] == [CARER, OTHER, OTHER]  # not tried again
    assert len(sender.sent) == 2  # the patient's reminders carried on
