"""Carer links, supplies and injection sites in the database, on SQLite and PostgreSQL.

What the chat features rest on: an invite works once and only for a day, an alert goes out at
most once per carer and dose, a Taken uses one ampoule however many times it is pressed, the
last site follows the log, and /forget by either side of a link leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.reminders.carers import (
    CARER_FOLLOWUP_MINUTES,
    INVITE_LIFETIME,
    MAX_CARERS,
    MAX_FOLLOWED,
    MAX_PENDING_INVITES,
    AlertMessage,
    DoseMessages,
)
from bot.reminders.store import Base, ReminderRow, Store, make_engine
from bot.reminders.supplies import running_low
from tests.clocks import MovedClock
from tests.tables import NOTHING, counts, naming, table_rows

pytest_plugins = ["tests.db_fixtures"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENT, CARER, OTHER = 912_000_001, 912_000_002, 912_000_003
FAMILY = -100_912_000_004


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock(START)


async def add(store: Store, chat_id: int = PATIENT, creator: int | None = None) -> ReminderRow:
    await store.ensure_chat(chat_id, "group" if chat_id < 0 else "private")
    return await store.add_reminder(
        chat_id,
        creator_id=creator or abs(chat_id),
        rule="1w@09:00",
        timezone="Europe/London",
        start_date=START.date(),
        next_due_at=START,
    )


async def delivered_dose(store: Store, reminder: ReminderRow) -> int:
    [claim] = await store.claim_due(
        START, limit=10, grace=timedelta(hours=12), advance=lambda r, d: d + timedelta(weeks=1)
    )
    assert claim.reminder.id == reminder.id
    await store.mark_sent(claim.dose_id, 77)
    return claim.dose_id


async def linked(store: Store, patient: int = PATIENT, carer: int = CARER) -> None:
    await store.ensure_chat(patient, "private")
    invite = await store.create_invite(patient, "Mum")
    link = await store.accept_invite(invite.token, carer, "Ann")
    assert not isinstance(link, str)


# ----------------------------------------------------------------------------- invites


async def test_an_invite_works_once(store: Store) -> None:
    await store.ensure_chat(PATIENT, "private")
    invite = await store.create_invite(PATIENT, "Mum")
    assert (await store.invite(invite.token)).patient_name == "Mum"
    link = await store.accept_invite(invite.token, CARER, "Ann")
    assert (link.patient_id, link.carer_id, link.carer_name) == (PATIENT, CARER, "Ann")
    assert await store.invite(invite.token) is None
    assert await store.accept_invite(invite.token, OTHER, "Bo") == "invalid"
    assert [c.carer_id for c in await store.carers(PATIENT)] == [CARER]


async def test_an_invite_expires_after_a_day(store: Store, clock: MovedClock) -> None:
    await store.ensure_chat(PATIENT, "private")
    invite = await store.create_invite(PATIENT, "Mum")
    clock.now += INVITE_LIFETIME - timedelta(seconds=1)
    assert await store.invite(invite.token) is not None
    clock.now += timedelta(seconds=1)
    assert await store.invite(invite.token) is None
    assert await store.accept_invite(invite.token, CARER, "Ann") == "invalid"
    assert await store.carers(PATIENT) == []


@pytest.mark.parametrize("forged", ["", "x", "A" * 22, "../../etc/passwd", "a" * 200, "Ä" * 22])
async def test_forged_tokens_open_nothing(store: Store, forged: str) -> None:
    await store.ensure_chat(PATIENT, "private")
    await store.create_invite(PATIENT, "Mum")
    assert await store.invite(forged) is None
    assert await store.accept_invite(forged, CARER, "Ann") == "invalid"


async def test_only_a_hash_of_the_token_is_stored(store: Store, database_url: str) -> None:
    await store.ensure_chat(PATIENT, "private")
    invite = await store.create_invite(PATIENT, "Mum")
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                for row in await connection.execute(select(table)):
                    assert invite.token not in map(str, row)
    finally:
        await engine.dispose()


async def test_nobody_becomes_their_own_carer_and_a_second_accept_changes_nothing(
    store: Store,
) -> None:
    await store.ensure_chat(PATIENT, "private")
    invite = await store.create_invite(PATIENT, "Mum")
    assert await store.accept_invite(invite.token, PATIENT, "Me") == "self"
    assert await store.invite(invite.token) is not None  # still there for the real carer
    await store.accept_invite(invite.token, CARER, "Ann")
    again = await store.create_invite(PATIENT, "Mum")
    assert await store.accept_invite(again.token, CARER, "Ann") == "already"
    assert len(await store.carers(PATIENT)) == 1


async def test_two_carers_pressing_one_invite_at_once_make_one_link(store: Store) -> None:
    await store.ensure_chat(PATIENT, "private")
    invite = await store.create_invite(PATIENT, "Mum")
    results = await asyncio.gather(
        store.accept_invite(invite.token, CARER, "Ann"),
        store.accept_invite(invite.token, OTHER, "Bo"),
    )
    assert sorted(isinstance(r, str) for r in results) == [False, True]
    assert len(await store.carers(PATIENT)) == 1


async def test_pending_invites_are_limited_and_can_be_cancelled(store: Store) -> None:
    await store.ensure_chat(PATIENT, "private")
    invites = [await store.create_invite(PATIENT, "Mum") for _ in range(MAX_PENDING_INVITES)]
    assert await store.create_invite(PATIENT, "Mum") is None
    assert await store.cancel_invites(OTHER, invites[0].row.id) == 0  # not theirs
    assert await store.cancel_invites(PATIENT, invites[0].row.id) == 1
    assert await store.accept_invite(invites[0].token, CARER, "Ann") == "invalid"
    assert await store.cancel_invites(PATIENT) == MAX_PENDING_INVITES - 1
    assert await store.pending_invites(PATIENT) == []


async def test_a_patient_keeps_at_most_max_carers_and_a_carer_follows_at_most_max_followed(
    store: Store,
) -> None:
    for n in range(MAX_CARERS):
        await linked(store, carer=CARER + 1000 + n)
    last = await store.create_invite(PATIENT, "Mum")
    assert await store.accept_invite(last.token, CARER, "Ann") == "full"
    assert await store.invite(last.token) is not None  # still usable once there is room
    assert len(await store.carers(PATIENT)) == MAX_CARERS
    for n in range(MAX_FOLLOWED):
        await linked(store, patient=PATIENT + 1000 + n, carer=OTHER)
    await store.ensure_chat(CARER, "private")
    one_more = await store.create_invite(CARER, "Bo")
    assert await store.accept_invite(one_more.token, OTHER, "Ann") == "full"
    assert len(await store.followed(OTHER)) == MAX_FOLLOWED


# ----------------------------------------------------------------------------- links and alerts


async def test_a_carer_makes_the_patients_private_reminders_follow_up(store: Store) -> None:
    before = await add(store)
    assert before.followup_minutes is None
    await linked(store)
    assert (await store.reminder(before.id)).followup_minutes == CARER_FOLLOWUP_MINUTES
    after = await add(store)
    assert after.followup_minutes == CARER_FOLLOWUP_MINUTES
    [link] = await store.carers(PATIENT)
    assert await store.remove_link(link.id, OTHER) is None  # a stranger cannot remove it
    assert (await store.remove_link(link.id, CARER)).patient_id == PATIENT
    assert [r.followup_minutes for r in await store.reminders(PATIENT)] == [None, None]


async def test_each_carer_is_alerted_once_per_dose(store: Store) -> None:
    reminder = await add(store)
    await linked(store, carer=CARER)
    await linked(store, carer=OTHER)
    dose_id = await delivered_dose(store, reminder)
    claims = await store.claim_carer_alerts(dose_id)
    assert sorted(c.carer_id for c in claims) == [CARER, OTHER]
    assert {c.patient_name for c in claims} == {"Mum"}
    assert await store.claim_carer_alerts(dose_id) == []
    await store.record_alert(claims[0].alert_id, 555)
    assert await store.take_nudge(dose_id, claims[0].carer_id)
    assert not await store.take_nudge(dose_id, claims[0].carer_id)  # once per alert
    assert not await store.take_nudge(dose_id, PATIENT)  # not a carer


async def test_a_doses_messages_are_its_reminder_its_nudges_and_its_alerts(store: Store) -> None:
    """What a settled dose must close: the reminder and each nudge (both with Taken/Skip) in the
    patient's chat, and every alert that reached a carer."""
    reminder = await add(store)
    await linked(store, carer=CARER)
    await linked(store, carer=OTHER)
    dose_id = await delivered_dose(store, reminder)  # the reminder is message 77
    assert await store.dose_messages(dose_id) == DoseMessages((77,), ())
    first, second = await store.claim_carer_alerts(dose_id)
    await store.record_alert(first.alert_id, 555)
    await store.record_alert(second.alert_id, None)  # never reached them
    alert_id = await store.take_nudge(dose_id, first.carer_id)
    assert alert_id == first.alert_id
    await store.record_nudge(alert_id, 78)
    assert await store.dose_messages(dose_id) == DoseMessages(
        (77, 78), (AlertMessage(first.carer_id, 555, "Mum", nudged=True),)
    )
    assert await store.dose_messages(999_999) == DoseMessages((), ())
    await store.delete_reminder(reminder.id)
    assert await store.dose_messages(dose_id) == DoseMessages((), ())


async def test_a_carer_the_bot_cannot_reach_is_not_alerted(store: Store) -> None:
    reminder = await add(store)
    await linked(store)
    await store.pause_chat(CARER, "blocked")
    dose_id = await delivered_dose(store, reminder)
    assert await store.claim_carer_alerts(dose_id) == []


async def test_group_reminders_never_alert_carers(store: Store) -> None:
    reminder = await add(store, FAMILY, creator=PATIENT)
    await linked(store)
    dose_id = await delivered_dose(store, reminder)
    assert await store.claim_carer_alerts(dose_id) == []


async def test_a_deleted_reminder_takes_its_alerts_with_it(store: Store) -> None:
    reminder = await add(store)
    await linked(store)
    dose_id = await delivered_dose(store, reminder)
    assert len(await store.claim_carer_alerts(dose_id)) == 1
    await store.delete_reminder(reminder.id)
    assert not await store.take_nudge(dose_id, CARER)
    assert await store.claim_carer_alerts(dose_id) == []


# ----------------------------------------------------------------------------- supplies


async def test_each_taken_uses_one_ampoule_and_a_double_tap_only_one(store: Store) -> None:
    reminder = await add(store)
    counted = await store.set_supplies(reminder.id, 3)
    assert (counted.supplies_left, counted.supplies_alert_at) == (3, 2)
    assert not running_low(counted)
    dose_id = await delivered_dose(store, reminder)
    await asyncio.gather(
        store.record_action(dose_id, "taken", PATIENT, START),
        store.record_action(dose_id, "taken", PATIENT, START),
    )
    now = await store.reminder(reminder.id)
    assert now.supplies_left == 2
    assert running_low(now)
    await store.log_taken(reminder.id, PATIENT, PATIENT, START + timedelta(days=1))
    await store.log_taken(reminder.id, PATIENT, PATIENT, START + timedelta(days=2))
    await store.log_taken(reminder.id, PATIENT, PATIENT, START + timedelta(days=3))
    assert (await store.reminder(reminder.id)).supplies_left == 0  # never below zero


async def test_a_dose_given_before_the_count_was_given_uses_none_of_it(store: Store) -> None:
    """ "/supplies 3", then "/taken 5 weeks ago", said 2 left (a QA pass)."""
    reminder = await add(store)
    await store.set_supplies(reminder.id, 3, counted_at=START)
    await store.log_taken(reminder.id, PATIENT, PATIENT, START - timedelta(weeks=5))
    await store.log_given(
        PATIENT,
        reminder.id,
        PATIENT,
        START - timedelta(days=10),
        following=lambda r, d: d + timedelta(weeks=1),
    )
    assert (await store.reminder(reminder.id)).supplies_left == 3
    await store.log_taken(reminder.id, PATIENT, PATIENT, START + timedelta(hours=1))
    assert (await store.reminder(reminder.id)).supplies_left == 2
    await store.set_supplies(reminder.id, 2, alert_at=1)  # a new alert, the same count
    await store.log_taken(reminder.id, PATIENT, PATIENT, START - timedelta(days=2))
    assert (await store.reminder(reminder.id)).supplies_left == 2


async def test_undoing_a_taken_marked_at_none_left_gives_nothing_back(store: Store) -> None:
    reminder = await add(store)
    await store.set_supplies(reminder.id, 0)
    dose_id = await delivered_dose(store, reminder)
    logged = await store.log_given(
        PATIENT, reminder.id, PATIENT, START, following=lambda r, d: d + timedelta(weeks=1)
    )
    assert (logged.how, logged.dose.id) == ("marked", dose_id)
    await store.set_supplies(reminder.id, 5)  # more came after the Taken
    await store.undo_given(dose_id, logged.how, logged.before)
    assert (await store.reminder(reminder.id)).supplies_left == 5
    again = await store.log_given(
        PATIENT, reminder.id, PATIENT, START, following=lambda r, d: d + timedelta(weeks=1)
    )
    assert (await store.reminder(reminder.id)).supplies_left == 4
    await store.undo_given(dose_id, again.how, again.before)
    assert (await store.reminder(reminder.id)).supplies_left == 5


async def test_supplies_are_optional_and_settable(store: Store) -> None:
    reminder = await add(store)
    dose_id = await delivered_dose(store, reminder)
    await store.record_action(dose_id, "taken", PATIENT, START)
    assert (await store.reminder(reminder.id)).supplies_left is None  # not counted, not in the way
    assert (await store.set_supplies(reminder.id, 5, alert_at=4)).supplies_alert_at == 4
    assert (await store.set_supplies(reminder.id, 6)).supplies_alert_at == 4  # kept
    stopped = await store.set_supplies(reminder.id, None)
    assert (stopped.supplies_left, stopped.supplies_alert_at) == (None, None)
    with pytest.raises(ValueError, match="supplies"):
        await store.set_supplies(reminder.id, -1)
    assert await store.set_supplies(2**70, 3) is None


# ----------------------------------------------------------------------------- sites


async def test_the_last_site_follows_the_log(store: Store) -> None:
    reminder = await add(store)
    first = await delivered_dose(store, reminder)
    assert await store.record_site(first, "left arm") is None  # not taken yet
    await store.record_action(first, "taken", PATIENT, START)
    assert (await store.record_site(first, "left arm")).site == "left arm"
    later = await store.log_taken(reminder.id, PATIENT, PATIENT, START + timedelta(days=7))
    await store.record_site(later.id, "right thigh")
    assert (await store.reminder(reminder.id)).last_site == "right thigh"
    assert await store.last_site(PATIENT) == "right thigh"
    await store.record_site(first, "left buttock")  # an older dose: the last one stays
    assert (await store.reminder(reminder.id)).last_site == "right thigh"
    with pytest.raises(ValueError, match="site"):
        await store.record_site(first, "the moon")


async def test_erasing_a_members_doses_moves_the_last_site_back(store: Store) -> None:
    reminder = await add(store, FAMILY, creator=PATIENT)
    first = await store.log_taken(reminder.id, FAMILY, PATIENT, START)
    await store.record_site(first.id, "left arm")
    second = await store.log_taken(reminder.id, FAMILY, OTHER, START + timedelta(days=7))
    await store.record_site(second.id, "right arm")
    await store.forget_member(FAMILY, OTHER)
    assert (await store.reminder(reminder.id)).last_site == "left arm"


# ----------------------------------------------------------------------------- erasure


async def _everything(store: Store) -> int:
    """A patient with a counted, sited reminder, two carers alerted, and an invite waiting."""
    reminder = await add(store)
    await store.set_supplies(reminder.id, 4)
    await linked(store, carer=CARER)
    await linked(store, carer=OTHER)
    await store.create_invite(PATIENT, "Mum")
    dose_id = await delivered_dose(store, reminder)
    for claim in await store.claim_carer_alerts(dose_id):
        await store.record_alert(claim.alert_id, 900 + claim.alert_id)
    await store.record_action(dose_id, "taken", CARER, START)  # "It's done", by a carer
    await store.record_site(dose_id, "left arm")
    await add(store, CARER)  # the carer's own reminder
    return reminder.id


# What _everything stores: three people's chats, two reminders, one dose alerted to two carers.
EVERYTHING = {
    "chats": 3,
    "reminders": 2,
    "doses": 1,
    "carer_invites": 1,
    "carer_links": 2,
    "carer_alerts": 2,
}


async def test_a_patients_forget_removes_their_links_invites_and_alerts(
    store: Store, database_url: str
) -> None:
    await _everything(store)
    assert counts(await table_rows(database_url)) == {**NOTHING, **EVERYTHING}
    await store.forget_user(PATIENT)
    tables = await table_rows(database_url)
    assert naming(tables, PATIENT) == []
    assert counts(tables) == {**NOTHING, "chats": 2, "reminders": 1}  # the carers' own
    assert {row["chat_id"] for row in tables["chats"]} == {CARER, OTHER}
    assert [row["chat_id"] for row in tables["reminders"]] == [CARER]


async def test_a_carers_forget_removes_their_links_and_the_patient_keeps_the_rest(
    store: Store, database_url: str
) -> None:
    reminder_id = await _everything(store)
    await store.forget_user(CARER)
    tables = await table_rows(database_url)
    assert naming(tables, CARER) == []
    assert counts(tables) == {
        **NOTHING,
        **EVERYTHING,
        "chats": 2,
        "reminders": 1,
        "carer_links": 1,
        "carer_alerts": 1,
    }
    assert {row["chat_id"] for row in tables["chats"]} == {PATIENT, OTHER}
    [link] = tables["carer_links"]
    assert (link["patient_id"], link["carer_id"]) == (PATIENT, OTHER)
    assert tables["carer_alerts"][0]["link_id"] == link["id"]
    # The dose the carer marked is the patient's record: kept, without who marked it.
    [dose] = await store.history(PATIENT)
    assert (dose.status, dose.acted_by, dose.acted_at, dose.site) == (
        "taken",
        None,
        START,
        "left arm",
    )
    kept = await store.reminder(reminder_id)
    assert kept.supplies_left == 3
    assert kept.last_site == "left arm"
    assert kept.followup_minutes == CARER_FOLLOWUP_MINUTES  # OTHER is still a carer
    await store.forget_user(OTHER)
    assert (await store.reminder(reminder_id)).followup_minutes is None
