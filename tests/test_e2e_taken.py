"""End to end, on SQLite and PostgreSQL: /taken reads who and when, belongs to the reminder it
answers, can be undone, and /history says what each dose came to and what is next, for whom."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.reminders.rules import Parsed, parse
from bot.telegram.app import GROUP_COMMANDS, PRIVATE_COMMANDS
from tests.conftest import eventually
from tests.test_e2e_reminders import START, Clock, press, say, services, tick

pytest_plugins = ["tests.db_fixtures", "tests.e2e_app_fixtures"]
pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> Clock:
    return Clock(START)  # Monday 30 Nov 2026, 08:00 in London


async def sam_with(emulator, *lines: str):
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone Europe/London")
    for line in lines:
        assert "Reminder set" in (await say(emulator, sam, f"/remind {line}")).text
    return sam


async def reminder_for(app, chat_id: int, name: str | None):
    return next(r for r in await services(app).store.reminders(chat_id) if r.for_whom == name)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/taken banana", "couldn't read “banana”"),
        ("/taken for Bob", "No reminder here is for “Bob”"),
        ("/taken for", "Whose injection was it? Write their name after “for”"),
        ("/taken tomorrow", "Tue 1 Dec hasn't happened yet"),
        ("/taken tomorrow at 9am", "hasn't happened yet"),
        ("/taken 2025-01-01", "more than a year ago"),
        ("/taken 2026-02-30", "is not a date"),
        ("/taken yesterday 2 hours ago", "not both"),
    ],
)
async def test_what_taken_cannot_read_saves_nothing(emulator, app, typed, said) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00 for Mum")
    reply = await say(emulator, sam, typed)
    assert said in reply.text
    assert "Nothing was saved." in reply.text
    assert await services(app).store.history(sam.id) == []


async def test_taken_for_a_name_near_its_due_time_answers_that_reminder(
    emulator, app, clock
) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00 for Mum", "every day at 21:00")
    mum = await reminder_for(app, sam.id, "Mum")
    logged = await say(emulator, sam, "/taken for mum")  # 08:00, Mum's is due at 09:00
    assert "Mum's injection taken at Mon 30 Nov 08:00 (Europe/London)" in logged.text
    assert "the one due Mon 30 Nov 09:00" in logged.text
    assert "Next reminder: Mon 28 Dec 09:00" in logged.text
    [dose] = await services(app).store.history(sam.id)
    assert (dose.reminder_id, dose.status, dose.acted_by) == (mum.id, "taken", sam.id)
    await tick(app, clock, hours=2)  # 10:00: Mum's 09:00 reminder is not sent
    assert emulator.messages(sam.id)[-1].message_id == logged.message_id
    assert "Next due for Mum: Mon 28 Dec 09:00" in (await say(emulator, sam, "/history")).text


@pytest.mark.parametrize(
    ("lines", "typed", "said"),
    [
        # Today, with a reminder still to come: the log shows when it was logged, and it
        # answers today's reminder.
        (["every 4 weeks at 09:00"], "/taken 2026-11-30", "on Mon 30 Nov (no time given, so the"),
        # Another day, without a reminder: midday, said as such, never the clock's 08:00.
        ([], "/taken 2026-11-28", "on Sat 28 Nov (no time given, so the log shows 12:00"),
        ([], "/taken 28 Nov", "on Sat 28 Nov (no time given, so the log shows 12:00"),
    ],
)
async def test_a_day_alone_is_logged_as_that_day_not_as_a_time_said(
    emulator, app, lines, typed, said
) -> None:
    sam = await sam_with(emulator, *lines)
    logged = await say(emulator, sam, typed)
    assert said in logged.text
    assert "taken at" not in logged.text
    assert len(await services(app).store.history(sam.id)) == 1


async def test_taken_yesterday_at_a_time_is_logged_then(emulator, app) -> None:
    sam = await sam_with(emulator, "every day at 21:00")
    logged = await say(emulator, sam, "/taken yesterday at 9:30pm")
    assert "taken at Sun 29 Nov 21:30" in logged.text
    [dose] = await services(app).store.history(sam.id)
    assert dose.acted_at == START - timedelta(hours=10, minutes=30)
    again = await say(emulator, sam, "/taken yesterday at 21:00")
    assert "already logged as taken at Sun 29 Nov 21:30" in again.text
    assert "Nothing was saved." in again.text
    assert len(await services(app).store.history(sam.id)) == 1


async def test_history_shows_a_dose_given_early_when_it_was_given(emulator, app) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00 for Mum from tomorrow")
    logged = await say(emulator, sam, "/taken for Mum yesterday at 8pm")
    assert "That was the one due Tue 1 Dec 09:00" in logged.text
    history = (await say(emulator, sam, "/history")).text
    assert "Sun 29 Nov 20:00 for Mum (due Tue 1 Dec 09:00): taken" in history
    assert "Tue 1 Dec 09:00 for Mum: taken" not in history


async def test_several_people_and_no_name_asks_whose_it_was(emulator, app) -> None:
    sam = await sam_with(emulator, "every day at 09:00 for Mum", "every day at 10:00 for Dad")
    reply = await say(emulator, sam, "/taken")
    assert "/taken for Dad or /taken for Mum" in reply.text
    assert "Nothing was saved." in reply.text


async def test_taken_after_the_reminder_came_marks_it_and_undo_puts_it_back(
    emulator, app, clock
) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    await tick(app, clock, hours=1)
    await emulator.wait_for_messages(sam.id, count=1)  # the reminder, left unmarked
    clock.advance(hours=1)
    logged = await say(emulator, sam, "/taken")
    assert "the one due Mon 30 Nov 09:00" in logged.text
    [dose] = await services(app).store.history(sam.id)
    assert dose.status == "taken"
    await press(emulator, sam, logged, text="↩️ Undo")
    assert "Undone" in logged.text
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("sent", None)
    assert "no answer" in (await say(emulator, sam, "/history")).text


async def test_undo_of_a_taken_that_overrode_a_skip_says_skipped_again(
    emulator, app, clock
) -> None:
    """A /taken may answer a dose already skipped; undoing it puts the skip back, and the
    reminder says so instead of still saying who took it."""
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    await press(emulator, sam, reminder, text="⏭ Skip")
    assert "skipped by Sam" in reminder.text
    clock.advance(hours=1)
    logged = await say(emulator, sam, "/taken")
    assert await eventually(lambda: "taken by Sam" in reminder.text)
    await press(emulator, sam, logged, text="↩️ Undo")
    [dose] = await services(app).store.history(sam.id)
    assert dose.status == "skipped"
    assert await eventually(lambda: "taken" not in reminder.text)
    assert reminder.text == "💉 Injection reminder, due Mon 30 Nov 09:00: skipped."
    assert reminder.buttons == []


async def test_taken_closes_the_reminder_it_answers_with_when_it_was_given(
    emulator, app, clock
) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    assert "✅ Taken" in [label for row in reminder.buttons for label, _ in row]
    clock.advance(hours=1)
    logged = await say(emulator, sam, "/taken yesterday at 9pm")
    assert "the one due Mon 30 Nov 09:00" in logged.text
    assert await eventually(lambda: reminder.edits)
    assert reminder.text == (
        "💉 Injection reminder, due Mon 30 Nov 09:00: taken by Sam at Sun 29 Nov 21:00."
    )
    assert reminder.buttons == []


async def test_undo_of_a_dose_ahead_brings_the_reminder_back(emulator, app, clock) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    logged = await say(emulator, sam, "/taken")
    await press(emulator, sam, logged, text="↩️ Undo")
    assert await services(app).store.history(sam.id) == []
    mine = await reminder_for(app, sam.id, None)
    assert mine.next_due_at == START + timedelta(hours=1)
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(sam.id, count=1)
    assert "Injection reminder" in reminder.text


async def test_only_who_logged_it_may_undo_it(emulator, app) -> None:
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    logged = await say(emulator, tom, "/taken", chat=group)
    query = await emulator.press_button(ann, logged, text="↩️ Undo")
    answer = await emulator.wait_for_callback_answer(query)
    assert "Only the person who logged it" in answer["text"]
    assert len(await services(app).store.history(group.id)) == 1


async def test_a_12_weekly_jab_logged_a_day_late_answers_its_reminder(emulator, app, clock) -> None:
    sam = await sam_with(emulator, "every 12 weeks at 09:00")
    await tick(app, clock, hours=1)  # Monday's 09:00 reminder, left unmarked
    await emulator.wait_for_messages(sam.id, count=1)
    clock.advance(days=1)  # Tuesday 10:00: 25 hours on, but near for a 12-weekly jab
    logged = await say(emulator, sam, "/taken")
    assert "That was the one due Mon 30 Nov 09:00, so it's marked taken." in logged.text
    assert "Count from this dose" not in logged.text
    [dose] = await services(app).store.history(sam.id)
    assert (dose.status, dose.acted_by) == ("taken", sam.id)


async def test_far_from_the_due_time_it_offers_to_count_from_the_dose(emulator, app) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    # Wednesday 25 November: further than 3 days (the most "near" is) from Monday's 09:00.
    logged = await say(emulator, sam, "/taken 5 days ago")
    assert "taken on Wed 25 Nov (no time given, so the log shows 09:00" in logged.text
    assert "next reminder would be Wed 23 Dec 09:00" in logged.text
    await press(emulator, sam, logged, text="🔁 Count from this dose")
    [restarted] = await emulator.wait_for_messages(sam.id, count=1)
    assert "Next reminder: Wed 23 Dec 09:00" in restarted.text
    mine = await reminder_for(app, sam.id, None)
    assert mine.next_due_at == START + timedelta(days=23, hours=1)
    labels = [text for row in logged.buttons for text, _ in row]
    assert "↩️ Undo" in labels
    assert "🔁 Count from this dose" not in labels


async def test_no_restart_from_a_dose_older_than_one_already_logged(emulator, app) -> None:
    """Counting from a dose back-dated three weeks, under one logged this morning, would bring the
    next reminder a week after the latest injection."""
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    today = await say(emulator, sam, "/taken 2 hours ago")  # answers today's 09:00
    assert "marked taken" in today.text
    older = await say(emulator, sam, "/taken 3 weeks ago")
    assert "far from the reminder's due time" not in older.text
    labels = [text for row in older.buttons for text, _ in row]
    assert "↩️ Undo" in labels
    assert "🔁 Count from this dose" not in labels


async def test_a_second_dose_for_the_same_person_hours_apart_is_pointed_out(emulator, app) -> None:
    """Two injections 90 minutes apart were logged with nothing said (a QA pass): a /taken
    before the reminder existed, then one answering the reminder."""
    sam = await sam_with(emulator)
    first = await say(emulator, sam, "/taken")  # 08:00, no reminder yet
    assert "Another dose" not in first.text
    assert "Reminder set" in (await say(emulator, sam, "/remind every 4 weeks at 09:00")).text
    second = await say(emulator, sam, "/taken 1 hour ago")  # answers today's 09:00
    assert "Another dose is already logged at <b>" in second.html
    assert "Mon 30 Nov 08:00" in second.text
    assert "never give an extra dose" in second.text


async def test_doses_for_two_people_close_together_are_no_warning(emulator, app) -> None:
    sam = await sam_with(
        emulator, "every 4 weeks at 09:00 for Mum", "every 4 weeks at 09:00 for Dad"
    )
    assert "Another dose" not in (await say(emulator, sam, "/taken for Mum")).text
    assert "Another dose" not in (await say(emulator, sam, "/taken for Dad")).text


async def test_an_offer_to_count_from_a_dose_expires_once_a_later_one_is_logged(
    emulator, app
) -> None:
    sam = await sam_with(emulator, "every 4 weeks at 09:00")
    offered = await say(emulator, sam, "/taken 5 days ago")
    assert "next reminder would be Wed 23 Dec 09:00" in offered.text
    assert "marked taken" in (await say(emulator, sam, "/taken")).text  # today's 09:00
    before = await reminder_for(app, sam.id, None)
    query = await emulator.press_button(sam, offered, text="🔁 Count from this dose")
    answer = await emulator.wait_for_callback_answer(query)
    assert "A later dose is logged" in answer["text"]
    assert (await reminder_for(app, sam.id, None)).next_due_at == before.next_due_at


@pytest.mark.parametrize(
    "case",
    [
        # Set at 20:55, after today's 09:00; /taken at 20:57, 12 h 3 min before tomorrow's.
        ("every day at 9am", timedelta(hours=12, minutes=55), "Tue 1 Dec 09:00"),
        # Set at 08:00 from today: the confirmation suggests /taken for today's dose.
        ("every 12 weeks at 5am", timedelta(0), "Mon 22 Feb 05:00"),
    ],
)
async def test_no_restart_is_offered_when_the_next_reminder_would_stay(
    emulator, app, clock, case
) -> None:
    """Counting from a dose given on the day the series already counts from changes nothing:
    'The next reminder would be Tue 1 Dec 09:00' under 'Next reminder: Tue 1 Dec 09:00' asked a
    question whose answers were the same."""
    line, later, next_due = case
    clock.now += later
    sam = await sam_with(emulator, line)
    clock.advance(minutes=2)
    logged = await say(emulator, sam, "/taken")
    assert f"Next reminder: {next_due}." in logged.text
    assert "far from the reminder's due time" not in logged.text
    labels = [text for row in logged.buttons for text, _ in row]
    assert "↩️ Undo" in labels
    assert "🔁 Count from this dose" not in labels
    assert "Keep the schedule" not in labels


async def test_history_says_no_answer_and_whose_next_in_which_zone(emulator, app, clock) -> None:
    sam = await sam_with(
        emulator, "every 4 weeks at 09:00 for Mum", "every day at 09:00 America/New_York"
    )
    await tick(app, clock, hours=1)
    await emulator.wait_for_messages(sam.id, count=1)
    history = await say(emulator, sam, "/history")
    assert "(times in Europe/London)" in history.text
    assert "Mon 30 Nov 09:00 for Mum: no answer" in history.text
    assert "Next due for Mum: Mon 28 Dec 09:00." in history.text
    # No name: the rule tells it from Mum's.
    assert "Next due (every day at 09:00): Mon 30 Nov 09:00 (America/New_York)." in history.text
    assert "sent" not in history.text


async def test_history_keeps_the_last_dose_taken_in_sight(emulator, app, clock) -> None:
    """Ten unanswered reminders pushed the last injection out of /history (a QA pass)."""
    sam = await sam_with(emulator, "every day at 09:00")
    assert "Logged" in (await say(emulator, sam, "/taken")).text  # Mon 30 Nov 08:00
    await tick(app, clock, hours=1)  # today's 09:00 is that dose: nothing is sent
    for _ in range(11):
        await tick(app, clock, days=1)
        await emulator.wait_for_messages(sam.id, count=1)
    history = await say(emulator, sam, "/history")
    assert history.text.count("no answer") == 10
    assert "Older doses: /export sends the whole log." in history.text
    assert "Last taken: Mon 30 Nov 08:00" in history.text


async def test_help_lists_every_command_of_both_menus(emulator, app) -> None:
    help_text = (await say(emulator, emulator.add_user(), "/help")).text
    for command in {c.command for c in PRIVATE_COMMANDS + GROUP_COMMANDS} | {"cancel"}:
        assert f"/{command}" in help_text, command


@pytest.mark.parametrize("years_on", [0, 1, 5])
async def test_the_remind_examples_in_help_keep_working(renderer, years_on) -> None:
    examples = re.findall(r"<code>/remind ([^<]+)</code>", renderer.message("help"))
    assert examples
    today = START.date() + timedelta(days=365 * years_on + 17)
    for example in examples:
        assert isinstance(parse(example.replace("&amp;", "&"), today=today), Parsed), example
