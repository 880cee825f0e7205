"""End to end through the emulator, on SQLite and PostgreSQL: the carer link, /export, supplies
and injection sites, in private chats and in a family group, with time moved by the test."""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets

import icalendar
import pypdf
import pytest

from bot.emulator import MessagesTimeout
from bot.reminders.carers import MAX_CARERS
from tests.conftest import eventually
from tests.tables import NOTHING, counts, naming, table_rows
from tests.test_e2e_reminders import START, Clock, press, say, services, tick

pytest_plugins = ["tests.db_fixtures", "tests.e2e_app_fixtures"]
pytestmark = pytest.mark.asyncio
LINK = re.compile(r"https://t\.me/(\w+)\?start=carer_([A-Za-z0-9_-]{22})")


@pytest.fixture
def clock() -> Clock:
    return Clock(START)  # Monday 30 Nov 2026, 08:00 in London


async def patient_with_reminder(emulator, line: str = "every day at 09:00", name: str = "Sam"):
    sam = emulator.add_user(name)
    await say(emulator, sam, "/timezone Europe/London")
    saved = await say(emulator, sam, f"/remind {line}")
    assert "Reminder set" in saved.text
    return sam


async def invite(emulator, patient, name: str = "Mum") -> str:
    """The patient's /carer: the token of the link it shows."""
    shown = await say(emulator, patient, f"/carer {name}")
    found = LINK.search(shown.text)
    assert found is not None, shown.text
    assert found.group(1) == emulator.bot_username
    return found.group(2)


async def accept(emulator, carer, token: str, patient):
    """The carer opens the link and agrees: the offer (now edited) and what the patient is told."""
    offer = await say(emulator, carer, f"/start carer_{token}")
    assert "would like you as their carer" in offer.text
    await press(emulator, carer, offer, text="✅ I agree")
    [joined] = await emulator.wait_for_messages(patient.id, count=1)
    return offer, joined


def sent_files(emulator, chat_id: int) -> dict[str, bytes]:
    """The files the bot uploaded to a chat, by file name, as Telegram received them."""
    return {
        params["document"].filename: params["document"].data
        for method, params in emulator.requests
        if method == "sendDocument" and params["chat_id"] == chat_id
    }


async def nothing_new(emulator, chat_id: int) -> None:
    """Nothing new arrives in the chat, though the bot had time to send something."""
    with pytest.raises(MessagesTimeout):
        await emulator.wait_for_messages(chat_id, count=1, timeout=0.3)


# ----------------------------------------------------------------------------- the carer link


async def test_a_carer_hears_of_an_unmarked_reminder_reminds_again_and_marks_it_done(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator)
    ann = emulator.add_user("Ann")
    offer, joined = await accept(emulator, ann, await invite(emulator, sam), sam)
    assert "If one of Mum's reminders isn't marked" in offer.text
    assert "Ann" in joined.text
    assert "Ann" in (await say(emulator, sam, "/carers")).text
    assert "Mum" in (await say(emulator, ann, "/carers")).text

    await tick(app, clock, hours=1)  # 09:00: the reminder, left unmarked
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    await tick(app, clock, hours=2, minutes=1)
    [nudge] = await emulator.wait_for_messages(sam.id, count=1)  # Sam's own follow-up
    assert "not been marked" in nudge.text
    [alert] = await emulator.wait_for_messages(ann.id, count=1)
    assert alert.text == "🔔 Mum's B12 injection due at 09:00 hasn't been marked yet."
    await tick(app, clock, hours=1)
    await nothing_new(emulator, ann.id)  # one alert, not more

    await press(emulator, ann, alert, text="🔔 Remind Mum again")
    [again] = await emulator.wait_for_messages(sam.id, count=1)
    assert "Ann asked me to remind you" in again.text
    assert [label for row in alert.buttons for label, _ in row] == ["✅ It's done"]
    forged = alert.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    query = await emulator.press_button(ann, alert, data=forged.replace(":d", ":a"))
    assert "already asked" in (await emulator.wait_for_callback_answer(query))["text"]
    await nothing_new(emulator, sam.id)

    await press(emulator, ann, alert, text="✅ It's done")
    assert "taken, marked by you" in alert.text
    assert await eventually(lambda: "Ann (carer)" in reminder.text)
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("taken", ann.id)
    assert ": taken by Ann (carer)" in (await say(emulator, sam, "/history")).text


def labels(message) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def data_of(message, label: str) -> str:
    """A button's callback data, kept to press it again once the message no longer shows it."""
    return next(data for row in message.buttons for shown, data in row if shown == label)


async def nudged(emulator, app, clock, *carers):
    """Sam's 09:00 reminder left unmarked, each carer alerted, the first asks for a nudge.

    Returns Sam, the reminder and the nudge (both with Taken/Skip in his chat), the alerts.
    """
    sam = await patient_with_reminder(emulator)
    for carer in carers:
        await accept(emulator, carer, await invite(emulator, sam), sam)
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    await tick(app, clock, hours=2, minutes=1)
    await emulator.wait_for_messages(sam.id, count=1)  # the follow-up, which has no buttons
    alerts = [(await emulator.wait_for_messages(c.id, count=1))[0] for c in carers]
    await press(emulator, carers[0], alerts[0], text="🔔 Remind Mum again")
    [nudge] = await emulator.wait_for_messages(sam.id, count=1)
    assert "✅ Taken" in labels(reminder)
    assert "✅ Taken" in labels(nudge)
    return sam, reminder, nudge, alerts


async def test_its_done_takes_the_buttons_off_every_message_of_the_dose(
    emulator, app, clock
) -> None:
    ann, bob = emulator.add_user("Ann"), emulator.add_user("Bob")
    sam, reminder, nudge, (alert, bobs) = await nudged(emulator, app, clock, ann, bob)
    stale = [(nudge, data_of(nudge, "✅ Taken")), (reminder, data_of(reminder, "⏭ Skip"))]

    await press(emulator, ann, alert, text="✅ It's done")
    assert await eventually(lambda: nudge.edits and bobs.edits and reminder.edits)
    assert "Ann (carer)" in nudge.text
    assert nudge.buttons == []
    assert "Ann (carer)" in reminder.text
    assert not {"✅ Taken", "⏭ Skip", "⏰ 1 hour"} & set(labels(reminder))  # "Where?" only
    assert bobs.text == "🔔 Mum's B12 injection due at 09:00: taken."
    assert bobs.buttons == []

    shown = [(message.text, message.edits) for message in (reminder, nudge, bobs)]
    for message, data in stale:  # a Taken or Skip pressed on what Sam saw before
        query = await emulator.press_button(sam, message, data=data)
        answer = await emulator.wait_for_callback_answer(query)
        assert answer["text"] == "Already marked as taken."
    await nothing_new(emulator, sam.id)
    assert [(message.text, message.edits) for message in (reminder, nudge, bobs)] == shown
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("taken", ann.id)
    assert emulator.violations == []


async def test_a_taken_on_the_nudge_closes_the_reminder_and_the_alert_even_if_one_is_gone(
    emulator, app, clock, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram.settled")
    ann = emulator.add_user("Ann")
    sam, reminder, nudge, [alert] = await nudged(emulator, app, clock, ann)
    done = data_of(alert, "✅ It's done")
    # Sam deleted the reminder message: Telegram answers its edit "message to edit not found".
    await app.bot.delete_message(sam.id, reminder.message_id)

    answer = await press(emulator, sam, nudge, text="✅ Taken")
    assert answer["text"] == "Noted. ✅"
    assert "taken" in nudge.text
    assert await eventually(lambda: alert.buttons == [])
    assert alert.text == "🔔 Mum's B12 injection due at 09:00: taken."
    await nothing_new(emulator, sam.id)  # no apology: the refused edit was only logged
    assert [(v.method, v.description) for v in emulator.violations] == [
        ("editMessageText", "Bad Request: message to edit not found")
    ]
    emulator.violations.clear()  # Telegram's answer for a message deleted: not a bot's mistake
    assert "an earlier message of a dose was not updated (BadRequest)" in caplog.messages
    query = await emulator.press_button(ann, alert, data=done)  # a stale "It's done"
    assert (await emulator.wait_for_callback_answer(query))["text"] == "Already marked as taken."
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("taken", sam.id)


async def shared_daily_reminder(emulator, tom, group, for_whom: str) -> None:
    """Tom sets the group's zone and a daily 09:00 reminder for `for_whom`, and shares it."""
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    consent = await say(emulator, tom, f"/remind every day at 09:00 for {for_whom}", chat=group)
    await press(emulator, tom, consent, text="Yes, show it here")
    await emulator.wait_for_messages(group.id, count=1)


async def at_once(emulator, *presses) -> list[str]:
    """Each (user, message, label) pressed before the bot has answered any: their answers."""
    queries = [await emulator.press_button(user, on, text=label) for user, on, label in presses]
    return [(await emulator.wait_for_callback_answer(query))["text"] for query in queries]


@pytest.mark.parametrize("second", ["✅ Taken", "⏭ Skip"])
async def test_two_members_pressing_at_once_record_one_answer(emulator, app, clock, second) -> None:
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[tom])
    await shared_daily_reminder(emulator, tom, group, "Dad")
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(group.id, count=1)

    answers = await at_once(emulator, (tom, reminder, "✅ Taken"), (ann, reminder, second))
    [dose] = await services(app).store.history(group.id)
    winner = {tom.id: "Tom", ann.id: "Ann"}[dose.acted_by]
    assert sorted(answers) == sorted(
        ["Noted. ✅" if dose.status == "taken" else "Noted.", f"Already marked as {dose.status}."]
    )
    assert await eventually(lambda: reminder.edits)
    await nothing_new(emulator, group.id)
    assert reminder.edits == 1  # by the one press recorded, and it says whose
    assert f"{dose.status} by {winner}" in reminder.text
    history = (await say(emulator, tom, "/history", chat=group)).text
    assert history.count("09:00 for Dad:") == 1


async def test_a_taken_and_its_done_at_once_use_one_ampoule(emulator, app, clock) -> None:
    ann = emulator.add_user("Ann")
    sam, reminder, nudge, [alert] = await nudged(emulator, app, clock, ann)
    await say(emulator, sam, "/supplies 3")

    answers = await at_once(emulator, (sam, reminder, "✅ Taken"), (ann, alert, "✅ It's done"))
    assert sorted(answers) == ["Already marked as taken.", "Noted. ✅"]
    [dose] = await services(app).store.history(sam.id)
    assert dose.status == "taken"
    [counted] = await services(app).store.reminders(sam.id)
    assert counted.supplies_left == 2
    assert await eventually(lambda: alert.buttons == [] and nudge.buttons == [])
    assert "2 ampoules left" in (await say(emulator, sam, "/supplies")).text


async def test_taken_by_hand_takes_the_buttons_off_every_message_of_the_dose(
    emulator, app, clock
) -> None:
    ann, bob = emulator.add_user("Ann"), emulator.add_user("Bob")
    sam, reminder, nudge, (alert, bobs) = await nudged(emulator, app, clock, ann, bob)
    stale, as_sent = data_of(reminder, "✅ Taken"), reminder.text

    logged = await say(emulator, sam, "/taken 2 hours ago")  # it is 11:01
    assert "That was the one due Mon 30 Nov 09:00" in logged.text
    assert await eventually(lambda: reminder.edits and nudge.edits and alert.edits and bobs.edits)
    for message in (reminder, nudge):  # what a Taken pressed on one of them would have said
        assert message.text == "💉 Injection reminder, due Mon 30 Nov 09:00: taken by Sam at 09:01."
        assert message.buttons == []
    for message in (alert, bobs):
        assert message.text == "🔔 Mum's B12 injection due at 09:00: taken."
        assert message.buttons == []
    assert "↩️ Undo" in labels(logged)  # /taken's own confirmation keeps its buttons

    query = await emulator.press_button(sam, reminder, data=stale)
    assert (await emulator.wait_for_callback_answer(query))["text"] == "Already marked as taken."
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("taken", sam.id)

    # Undone: the dose is open again, and so is every message /taken closed.
    edits = [message.edits for message in (reminder, nudge, alert, bobs)]
    await press(emulator, sam, logged, text="↩️ Undo")
    assert await eventually(
        lambda: [m.edits for m in (reminder, nudge, alert, bobs)] == [n + 1 for n in edits]
    )
    for message in (reminder, nudge):  # a nudge's own words are not kept: it reads as the reminder
        assert message.text == as_sent
        assert labels(message)[:2] == ["✅ Taken", "⏭ Skip"]
    assert alert.text == bobs.text == "🔔 Mum's B12 injection due at 09:00 hasn't been marked yet."
    assert labels(alert) == ["✅ It's done"]  # Ann has had her one reminder
    assert labels(bobs) == ["🔔 Remind Mum again", "✅ It's done"]
    await press(emulator, bob, bobs, text="✅ It's done")
    assert await eventually(lambda: "Bob (carer)" in reminder.text and alert.buttons == [])
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("taken", bob.id)


async def test_an_alert_names_the_person_the_reminder_is_for(emulator, app, clock) -> None:
    sam = await patient_with_reminder(emulator, "every day at 09:00 for Dad")
    await say(emulator, sam, "/remind every day at 09:30")  # Sam's own: the link's name
    ann = emulator.add_user("Ann")
    await accept(emulator, ann, await invite(emulator, sam, "Sam"), sam)
    await tick(app, clock, hours=1, minutes=30)
    await emulator.wait_for_messages(sam.id, count=2)
    await tick(app, clock, hours=2, minutes=1)
    await emulator.wait_for_messages(sam.id, count=2)  # the follow-ups
    alerts = await emulator.wait_for_messages(ann.id, count=2)
    about_sam, about_dad = sorted(alerts, key=lambda m: "Dad" in m.text)
    assert about_dad.text == "🔔 Dad's B12 injection due at 09:00 hasn't been marked yet."
    assert about_sam.text == "🔔 Sam's B12 injection due at 09:30 hasn't been marked yet."
    await press(emulator, ann, about_dad, text="🔔 Remind Dad again")
    [nudge] = await emulator.wait_for_messages(sam.id, count=1)
    assert "remind you: Dad's B12 injection due at 09:00" in nudge.text
    await press(emulator, ann, about_dad, text="✅ It's done")
    assert about_dad.text == "🔔 Dad's B12 injection due at 09:00: taken, marked by you."


async def test_a_carers_buttons_act_only_on_a_dose_they_were_alerted_about(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator)
    ann = emulator.add_user("Ann")
    offer, _ = await accept(emulator, ann, await invite(emulator, sam), sam)
    await tick(app, clock, hours=1)  # 09:00: sent to Sam, not yet an alert for Ann
    await emulator.wait_for_messages(sam.id, count=1)
    [dose] = await services(app).store.history(sam.id)
    for action in ("d", "a"):  # "It's done", "Remind again", forged onto a message Ann has
        query = await emulator.press_button(ann, offer, data=f"w:{dose.id}:{action}")
        assert "no longer here" in (await emulator.wait_for_callback_answer(query))["text"]
    await nothing_new(emulator, sam.id)  # no nudge
    [still] = await services(app).store.history(sam.id)
    assert (still.status, still.acted_by) == ("sent", None)


async def test_expired_reused_and_forged_links_make_no_carer(emulator, app, clock) -> None:
    sam = await patient_with_reminder(emulator)
    ann, bob, eve = emulator.add_user("Ann"), emulator.add_user("Bob"), emulator.add_user("Eve")
    store = services(app).store

    expired = await invite(emulator, sam)
    clock.advance(hours=24)
    dead = await say(emulator, ann, f"/start carer_{expired}")
    assert "doesn't work any more" in dead.text
    assert dead.buttons == []

    used = await invite(emulator, sam)
    await accept(emulator, ann, used, sam)
    assert "doesn't work any more" in (await say(emulator, bob, f"/start carer_{used}")).text

    forged = secrets.token_urlsafe(16)
    assert "doesn't work any more" in (await say(emulator, eve, f"/start carer_{forged}")).text
    assert "doesn't work any more" in (await say(emulator, eve, "/start carer_../../x")).text
    # "I agree" buttons forged with a made-up token, and with the expired invite's.
    for token in (forged, expired):
        welcome = await say(emulator, eve, "/start")
        await press(emulator, eve, welcome, data=f"k:y:{token}")
        assert "doesn't work any more" in welcome.text
    assert [link.carer_id for link in await store.carers(sam.id)] == [ann.id]
    assert await store.followed(eve.id) == []

    own = await invite(emulator, sam)
    assert "your own carer link" in (await say(emulator, sam, f"/start carer_{own}")).text


async def test_a_carer_who_blocked_the_bot_gets_nothing_and_the_patient_is_told(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator)
    ann = emulator.add_user("Ann")
    await accept(emulator, ann, await invite(emulator, sam), sam)
    emulator.block(ann)
    assert await eventually(lambda: False, timeout=0.3) is False  # the bot hears of the block
    await tick(app, clock, hours=1)
    await tick(app, clock, hours=2, minutes=1)
    reminder, followup = await emulator.wait_for_messages(sam.id, count=2)
    assert "Injection reminder" in reminder.text
    assert "not been marked" in followup.text
    assert emulator.messages(ann.id)[-1].text.startswith("✅ Done")  # nothing after accepting
    assert "can't reach Ann" in (await say(emulator, sam, "/carers")).text
    assert emulator.violations == []


async def test_a_reminder_deleted_by_the_patient_alerts_nobody_and_its_buttons_expire(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator, "every day at 09:00")
    await say(emulator, sam, "/remind every day at 10:00")
    ann = emulator.add_user("Ann")
    await accept(emulator, ann, await invite(emulator, sam), sam)
    store = services(app).store
    _, second = await store.reminders(sam.id)

    await tick(app, clock, hours=1)
    await tick(app, clock, hours=2, minutes=1)  # 11:01: the 09:00 one alerts Ann
    [alert] = await emulator.wait_for_messages(ann.id, count=1)
    await emulator.wait_for_messages(sam.id, count=3)  # both reminders, the 09:00's follow-up
    await delete_first_reminder(emulator, sam)
    assert [r.id for r in await store.reminders(sam.id)] == [second.id]
    query = await emulator.press_button(ann, alert, text="✅ It's done")
    assert "no longer here" in (await emulator.wait_for_callback_answer(query))["text"]
    await delete_first_reminder(emulator, sam)  # the 10:00 one, before its follow-up at 12:00
    await tick(app, clock, hours=2)
    await nothing_new(emulator, ann.id)
    assert await store.history(sam.id) == []


async def delete_first_reminder(emulator, patient) -> None:
    """The patient deletes the first reminder /reminders lists, with its buttons."""
    listed = await say(emulator, patient, "/reminders")
    await press(emulator, patient, listed, index=0)
    await press(emulator, patient, listed, text="🗑 Delete")
    await press(emulator, patient, listed, text="🗑 Yes, delete it")
    assert "Deleted the reminder" in listed.text


async def test_a_carer_of_two_people_gets_two_alerts_and_done_marks_only_that_one(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator)
    pat = await patient_with_reminder(emulator, name="Pat")
    ann = emulator.add_user("Ann")
    await accept(emulator, ann, await invite(emulator, sam, "Mum"), sam)
    await accept(emulator, ann, await invite(emulator, pat, "Dad"), pat)
    assert "Mum, Dad" in (await say(emulator, ann, "/carers")).text
    await tick(app, clock, hours=1)
    [for_sam] = await emulator.wait_for_messages(sam.id, count=1)
    [for_pat] = await emulator.wait_for_messages(pat.id, count=1)
    await tick(app, clock, hours=2, minutes=1)
    await emulator.wait_for_messages(sam.id, count=1)  # their own follow-ups
    await emulator.wait_for_messages(pat.id, count=1)
    alerts = {m.text: m for m in await emulator.wait_for_messages(ann.id, count=2)}
    about_mum = alerts.pop("🔔 Mum's B12 injection due at 09:00 hasn't been marked yet.")
    about_dad = alerts.pop("🔔 Dad's B12 injection due at 09:00 hasn't been marked yet.")

    await press(emulator, ann, about_dad, text="✅ It's done")
    assert "taken, marked by you" in about_dad.text
    assert await eventually(lambda: "Ann (carer)" in for_pat.text)
    [dad_dose] = await services(app).store.history(pat.id)
    [mum_dose] = await services(app).store.history(sam.id)
    assert (dad_dose.status, dad_dose.acted_by) == ("taken", ann.id)
    assert (mum_dose.status, mum_dose.acted_by) == ("sent", None)
    assert "hasn't been marked yet" in about_mum.text  # untouched, buttons and all
    assert "✅ It's done" in [label for row in about_mum.buttons for label, _ in row]
    assert "Ann" not in for_sam.text


async def test_a_person_has_at_most_the_carers_it_keeps_and_the_next_is_told(emulator, app) -> None:
    sam = await patient_with_reminder(emulator)
    for n in range(MAX_CARERS):
        await accept(emulator, emulator.add_user(f"Carer {n}"), await invite(emulator, sam), sam)
    one_more = emulator.add_user("Zed")
    offer = await say(emulator, one_more, f"/start carer_{await invite(emulator, sam)}")
    await press(emulator, one_more, offer, text="✅ I agree")
    assert f"{MAX_CARERS} carers for one person" in offer.text
    assert offer.buttons == []
    await nothing_new(emulator, sam.id)  # nobody joined
    carers = await services(app).store.carers(sam.id)
    assert len(carers) == MAX_CARERS
    assert one_more.id not in {link.carer_id for link in carers}


async def test_a_forget_tells_the_other_side_of_each_link(emulator, app) -> None:
    """A patient's /forget ended the carer's alerts without a word (a QA pass); a carer's, the
    patient's carer."""
    sam = await patient_with_reminder(emulator)
    ann = emulator.add_user("Ann")
    await accept(emulator, ann, await invite(emulator, sam), sam)
    confirm = await say(emulator, sam, "/forget")
    await press(emulator, sam, confirm, text="Yes, delete")
    [ended] = await emulator.wait_for_messages(ann.id, count=1)
    assert "Alerts about Mum have stopped" in ended.text
    joe, bea = await patient_with_reminder(emulator, name="Joe"), emulator.add_user("Bea")
    await accept(emulator, bea, await invite(emulator, joe, "Dad"), joe)
    confirm = await say(emulator, bea, "/forget")
    await press(emulator, bea, confirm, text="Yes, delete")
    [told] = await emulator.wait_for_messages(joe.id, count=1)
    assert "Bea is no longer your carer" in told.text


async def test_either_side_can_end_the_link(emulator, app) -> None:
    sam = await patient_with_reminder(emulator)
    ann, bob = emulator.add_user("Ann"), emulator.add_user("Bob")
    await accept(emulator, ann, await invite(emulator, sam), sam)
    await accept(emulator, bob, await invite(emulator, sam), sam)
    listed = await say(emulator, sam, "/carers")
    assert "Ann, Bob" in listed.text
    await press(emulator, sam, listed, text="Remove Ann")
    [ended] = await emulator.wait_for_messages(ann.id, count=1)
    assert "Alerts about Mum have stopped" in ended.text
    followed = await say(emulator, bob, "/carers")
    await press(emulator, bob, followed, text="Stop alerts about Mum")
    [told] = await emulator.wait_for_messages(sam.id, count=1)
    assert "Bob is no longer your carer" in told.text
    assert await services(app).store.carers(sam.id) == []
    [reminder] = await services(app).store.reminders(sam.id)
    assert reminder.followup_minutes is None  # no carer, no follow-up


async def test_carer_links_are_private_so_a_group_is_sent_to_a_private_chat(emulator, app) -> None:
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    for command in ("/carer Mum", "/carers"):
        reply = await say(emulator, tom, command, chat=group)
        assert "private chat" in reply.text
        assert "t.me" not in reply.text
    assert await services(app).store.pending_invites(tom.id) == []


# ----------------------------------------------------------------------------- /export


def read_files(files: dict[str, bytes]):
    rows = list(csv.DictReader(io.StringIO(files["b12-dose-log.csv"].decode("utf-8-sig"))))
    events = list(icalendar.Calendar.from_ical(files["b12-coming-injections.ics"]).walk("VEVENT"))
    reader = pypdf.PdfReader(io.BytesIO(files["b12-injection-record.pdf"]))
    return rows, events, len(reader.pages), reader.pages[0].extract_text()


async def test_export_in_private_sends_three_files_that_open(emulator, app, clock) -> None:
    sam = await patient_with_reminder(emulator, "every 4 weeks at 09:00 for Mum")
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    clock.advance(minutes=7)
    await press(emulator, sam, reminder, text="✅ Taken")
    await press(emulator, sam, reminder, text="Left arm")
    await emulator.send_message(sam, "/export")
    captions = await emulator.wait_for_messages(sam.id, count=3)
    assert [m.text.split(":")[0] for m in captions] == [
        "📄 Dose log (CSV)",
        "📅 Coming injections for the next 12 months",
        "🩺 B12 injection record",
    ]
    rows, events, pages, text = read_files(sent_files(emulator, sam.id))
    assert [
        (r["date"], r["time"], r["time_zone"], r["status"], r["by"], r["site"]) for r in rows
    ] == [("2026-11-30", "09:07", "Europe/London", "taken", "Sam", "left arm")]  # when taken
    assert (rows[0]["due"], rows[0]["marked_at"]) == ("", "2026-11-30 09:07")  # 09:00: too near
    assert len(events) == 13  # every 4 weeks for a year, from 28 Dec
    assert events[0].decoded("dtstart").strftime("%Y-%m-%d %H:%M %Z") == "2026-12-28 09:00 GMT"
    assert str(events[0]["summary"]) == "B12 injection for Mum"
    assert pages == 1
    for shown in ("B12 injection record", "Name: Mum", "Every 4 weeks at 09:00", "left arm"):
        assert shown in text
    assert str(sam.id) not in text  # who marked it, by first name only
    assert "Sam" in text


async def test_export_with_nothing_logged_says_so(emulator, app) -> None:
    user = emulator.add_user()
    assert "nothing to export" in (await say(emulator, user, "/export")).text
    assert sent_files(emulator, user.id) == {}


async def family_with_two_reminders(emulator):
    """Tom (a member) set Mum's reminder at 09:00, Ann (an admin) Dad's at 10:00."""
    mum, tom, ann = emulator.add_user("Mum"), emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Mum's care", members=[mum, tom, ann], admins=[ann])
    await say(emulator, ann, "/timezone Europe/London", chat=group)
    for who, line in ((tom, "every day at 09:00 for Mum"), (ann, "every day at 10:00 for Dad")):
        consent = await say(emulator, who, f"/remind {line}", chat=group)
        await press(emulator, who, consent, text="Yes, show it here")
        await emulator.wait_for_messages(group.id, count=1)
    return group, mum, tom, ann


async def test_in_a_group_the_creator_exports_their_reminder_and_a_member_cannot(
    emulator, app, clock
) -> None:
    group, mum, tom, _ = await family_with_two_reminders(emulator)
    await tick(app, clock, hours=1)
    [for_mum] = await emulator.wait_for_messages(group.id, count=1)
    await press(emulator, mum, for_mum, text="✅ Taken")
    refused = await say(emulator, mum, "/export", chat=group)
    assert "Only the person who set a reminder" in refused.text
    assert sent_files(emulator, group.id) == {}
    await emulator.send_message(tom, "/export", chat=group)  # Tom set one: his, at once
    await emulator.wait_for_messages(group.id, count=3)
    rows, events, _, text = read_files(sent_files(emulator, group.id))
    assert [(r["status"], r["by"]) for r in rows] == [("taken", "Mum")]
    assert {str(e["summary"]) for e in events} == {"B12 injection for Mum"}
    assert "Name: Mum" in text
    assert "Dad" not in text


async def test_in_a_group_an_admin_picks_which_record_to_export(emulator, app) -> None:
    group, _, tom, ann = await family_with_two_reminders(emulator)
    pick = await say(emulator, ann, "/export", chat=group)
    assert len(pick.buttons) == 2
    query = await emulator.press_button(tom, pick, text="Dad: every day at 10:00")
    assert "Only" in (await emulator.wait_for_callback_answer(query))["text"]
    await press(emulator, ann, pick, text="Dad: every day at 10:00")
    await emulator.wait_for_messages(group.id, count=3)
    _, events, _, text = read_files(sent_files(emulator, group.id))
    assert {str(e["summary"]) for e in events} == {"B12 injection for Dad"}
    assert "Name: Dad" in text


# ----------------------------------------------------------------------------- supplies and sites


async def test_supplies_count_down_warn_at_two_and_say_none_left(emulator, app, clock) -> None:
    sam = await patient_with_reminder(emulator)
    shown = await say(emulator, sam, "/supplies 3")
    assert "3 ampoules left" in shown.text
    for day, left in enumerate((2, 1, 0)):
        await tick(app, clock, hours=1 if day == 0 else 24)
        [reminder] = await emulator.wait_for_messages(sam.id, count=1)
        if day == 0:
            assert "ampoule" not in reminder.text  # 3 left: no need to say
        await press(emulator, sam, reminder, text="✅ Taken")
        assert (f"{left} ampoule" if left else "No ampoules left") in reminder.text
    await tick(app, clock, hours=24)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    assert "No ampoules left: ask for a repeat prescription." in reminder.text  # never blocks
    assert "✅ Taken" in [label for row in reminder.buttons for label, _ in row]


async def test_supplies_alert_sets_when_the_reminder_says_to_ask_for_more(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator)
    store = services(app).store
    [reminder] = await store.reminders(sam.id)
    not_yet = await say(emulator, sam, "/supplies alert 3")
    assert "not counting" in not_yet.text  # an alert level alone changes nothing
    assert (await store.reminder(reminder.id)).supplies_alert_at is None
    await say(emulator, sam, "/supplies 4")
    shown = await say(emulator, sam, "/supplies alert 3")
    assert "4 ampoules left" in shown.text
    assert "At 3, the reminder will say to ask for a repeat prescription" in shown.text
    assert "Nothing was changed" in (await say(emulator, sam, "/supplies alert 99")).text
    assert (await store.reminder(reminder.id)).supplies_alert_at == 3  # 99 changed nothing
    await tick(app, clock, hours=1)
    [due] = await emulator.wait_for_messages(sam.id, count=1)
    assert "ampoule" not in due.text  # 4 left: above the alert
    await press(emulator, sam, due, text="✅ Taken")
    assert "3 ampoules left: ask for a repeat prescription." in due.text


async def test_undoing_a_taken_gives_back_only_an_ampoule_it_used(emulator, app, clock) -> None:
    sam = await patient_with_reminder(emulator, "every 4 weeks at 09:00")
    store = services(app).store
    [reminder] = await store.reminders(sam.id)
    await say(emulator, sam, "/supplies 0")
    logged = await say(emulator, sam, "/taken")  # at 0: nothing to count down
    assert "No ampoules left" in logged.text
    await press(emulator, sam, logged, text="↩️ Undo")
    assert (await store.reminder(reminder.id)).supplies_left == 0  # and nothing to give back
    await say(emulator, sam, "/supplies 1")
    logged = await say(emulator, sam, "/taken")
    assert (await store.reminder(reminder.id)).supplies_left == 0
    await press(emulator, sam, logged, text="↩️ Undo")
    assert (await store.reminder(reminder.id)).supplies_left == 1


async def test_supplies_in_a_group_are_set_by_buttons_by_the_creator_only(
    emulator, app, clock
) -> None:
    mum, tom = emulator.add_user("Mum"), emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[mum, tom], admins=[tom])
    await shared_daily_reminder(emulator, tom, group, "Mum")
    shown = await say(emulator, mum, "/supplies", chat=group)
    assert "not counting" in shown.text
    query = await emulator.press_button(mum, shown, text="2")
    assert "Only the person" in (await emulator.wait_for_callback_answer(query))["text"]
    await press(emulator, tom, shown, text="2")
    assert "2 ampoules left for Mum" in shown.text
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(group.id, count=1)
    assert "2 ampoules left: ask for a repeat prescription." in reminder.text
    assert (
        "nothing was changed"
        in (await say(emulator, tom, "/supplies lots", chat=group)).text.lower()
    )


async def test_where_after_taken_shows_in_history_and_the_next_reminder(
    emulator, app, clock
) -> None:
    sam = await patient_with_reminder(emulator, "every week at 09:00")
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    await press(emulator, sam, reminder, text="✅ Taken")
    assert "Where did it go?" in reminder.text
    await press(emulator, sam, reminder, text="Right thigh")
    assert "Where did it go?" not in reminder.text
    assert "Site: right thigh" in reminder.text
    assert reminder.buttons == []
    history = await say(emulator, sam, "/history")
    assert "taken (right thigh)" in history.text
    assert "Last time: right thigh" in history.text
    await tick(app, clock, weeks=1)
    [next_one] = await emulator.wait_for_messages(sam.id, count=1)
    assert "Last time: right thigh." in next_one.text
    forged = await emulator.press_button(sam, next_one, data=f"a:{2**40}:la")
    assert "no longer here" in (await emulator.wait_for_callback_answer(forged))["text"]


async def test_where_in_a_group_and_after_taken_and_skip(emulator, app, clock) -> None:
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await shared_daily_reminder(emulator, tom, group, "Dad")
    # Yesterday's: a /taken now would be today's 09:00 dose itself, which is then not sent.
    logged = await say(emulator, tom, "/taken yesterday at 9am", chat=group)
    assert "Where did it go?" in logged.text
    await press(emulator, tom, logged, text="Left buttock")
    assert "Site: left buttock" in logged.text
    labels = [label for row in logged.buttons for label, _ in row]
    assert "↩️ Undo" in labels  # /taken's own buttons stay; the site buttons go
    assert "Left arm" not in labels
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(group.id, count=1)
    assert "Last time: left buttock." in reminder.text
    await press(emulator, tom, reminder, text="✅ Taken")
    await press(emulator, tom, reminder, text="Skip")
    assert "Where did it go?" not in reminder.text
    assert "Site:" not in reminder.text
    assert await services(app).store.last_site(group.id) == "left buttock"


# ----------------------------------------------------------------------------- /forget


async def linked_and_logged(emulator, app, clock, database_url):
    """Sam (counting ampoules, one invite waiting) with two carers, Ann and Bob, who each got an
    alert about Sam's 09:00 dose, which Ann marked done; Bob has a reminder of his own, taken."""
    sam = await patient_with_reminder(emulator)
    await say(emulator, sam, "/supplies 4")
    ann, bob = emulator.add_user("Ann"), emulator.add_user("Bob")
    await accept(emulator, ann, await invite(emulator, sam), sam)
    await accept(emulator, bob, await invite(emulator, sam), sam)
    await say(emulator, bob, "/timezone Europe/London")
    await say(emulator, bob, "/remind every day at 08:30")  # in his own chat
    await invite(emulator, sam)  # one left waiting
    await tick(app, clock, hours=1)
    [own] = await emulator.wait_for_messages(bob.id, count=1)
    await press(emulator, bob, own, text="✅ Taken")
    await tick(app, clock, hours=2, minutes=1)
    [alert] = await emulator.wait_for_messages(ann.id, count=1)
    await emulator.wait_for_messages(bob.id, count=1)
    await press(emulator, ann, alert, text="✅ It's done")
    await emulator.send_message(sam, "/export")
    await emulator.wait_for_messages(sam.id, count=5)  # reminder, follow-up, three files
    tables = await table_rows(database_url)
    assert counts(tables) == {
        **NOTHING,
        "chats": 3,
        "reminders": 2,
        "doses": 2,
        "carer_invites": 1,
        "carer_links": 2,
        "carer_alerts": 2,
    }
    return sam, ann, bob


async def forget(emulator, user) -> None:
    confirm = await say(emulator, user, "/forget")
    await press(emulator, user, confirm, text="Yes, delete")


async def test_a_carers_forget_leaves_nothing_of_theirs_in_any_table(
    emulator, app, clock, database_url
) -> None:
    sam, ann, bob = await linked_and_logged(emulator, app, clock, database_url)
    await forget(emulator, ann)
    tables = await table_rows(database_url)
    assert naming(tables, ann.id) == []
    assert counts(tables) == {
        **NOTHING,
        "chats": 2,
        "reminders": 2,
        "doses": 2,
        "carer_invites": 1,
        "carer_links": 1,
        "carer_alerts": 1,
    }
    assert {row["chat_id"] for row in tables["chats"]} == {sam.id, bob.id}
    assert {row["chat_id"] for row in tables["reminders"]} == {sam.id, bob.id}
    [link] = tables["carer_links"]
    assert (link["patient_id"], link["carer_id"]) == (sam.id, bob.id)
    assert tables["carer_alerts"][0]["link_id"] == link["id"]  # Bob's alert, not Ann's
    # The dose Ann marked is Sam's record: it stays, taken, without who marked it.
    [marked] = [row for row in tables["doses"] if row["chat_id"] == sam.id]
    assert (marked["status"], marked["acted_by"]) == ("taken", None)
    await emulator.send_message(sam, "/export")
    await emulator.wait_for_messages(sam.id, count=3)
    rows, *_ = read_files(sent_files(emulator, sam.id))
    assert [(r["status"], r["by"]) for r in rows] == [("taken", "a former carer")]


async def test_a_patients_forget_leaves_nothing_of_theirs_in_any_table(
    emulator, app, clock, database_url
) -> None:
    sam, ann, bob = await linked_and_logged(emulator, app, clock, database_url)
    await forget(emulator, sam)
    tables = await table_rows(database_url)
    assert naming(tables, sam.id) == []
    assert counts(tables) == {
        **NOTHING,
        "chats": 2,  # the carers' own chats
        "reminders": 1,  # Bob's own, with its dose
        "doses": 1,
    }
    assert {row["chat_id"] for row in tables["chats"]} == {ann.id, bob.id}
    assert [row["chat_id"] for row in tables["reminders"]] == [bob.id]
    assert [(row["chat_id"], row["acted_by"]) for row in tables["doses"]] == [(bob.id, bob.id)]


async def test_help_the_menus_and_privacy_name_each_feature(emulator, app) -> None:
    user = emulator.add_user()
    help_text = (await say(emulator, user, "/help")).text
    for command in ("/supplies", "/export", "/carer", "/carers", "/history"):
        assert command in help_text
    private = {c["command"] for c in emulator.commands({"type": "all_private_chats"})}
    group = {c["command"] for c in emulator.commands({"type": "all_group_chats"})}
    assert private >= {"supplies", "export", "carer", "carers"}
    assert group >= {"supplies", "export"}
    assert "carer" not in group  # carer links are made in private
    privacy = (await say(emulator, user, "/privacy")).text
    for stored in (
        "ampoules",
        "where it went",
        "carer link",
        "/export keeps no copy",
        "A dose you marked as someone's carer stays in their log, without your name.",
    ):
        assert stored in privacy


async def test_a_cancelled_link_opens_nothing(emulator, app) -> None:
    sam = await patient_with_reminder(emulator)
    ann = emulator.add_user("Ann")
    shown = await say(emulator, sam, "/carer")
    token = LINK.search(shown.text).group(2)
    assert '"Sam"' in shown.text  # their first name, unless they choose another
    await press(emulator, sam, shown, text="❌ Cancel waiting links")
    assert token not in shown.text  # the dead link is gone from the chat too
    assert "doesn't work any more" in (await say(emulator, ann, f"/start carer_{token}")).text
    assert await services(app).store.carers(sam.id) == []
