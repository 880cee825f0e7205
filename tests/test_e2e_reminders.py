"""End to end: reminders through the emulator with an injected clock (no real waiting)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import offline_settings
from bot.telegram.app import build_application, running
from bot.telegram.sender import local_time
from tests.conftest import eventually

pytestmark = pytest.mark.asyncio
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday, 08:00 in London


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def database(tmp_path) -> str:
    return str(tmp_path / "reminders.sqlite3")


@pytest.fixture
def start(emulator, faq, clock, database):
    """Start the bot on this test's database: once, or again for a restart."""
    settings = offline_settings(emulator.token, emulator.base_url, f"sqlite:///{database}")
    return lambda: running(build_application(settings, faq, clock=clock), polling=True)


@pytest.fixture
async def app(start):
    async with start() as application:
        yield application


def services(app):
    return app.bot_data["services"]


async def say(emulator, user, text: str, chat=None):
    await emulator.send_message(user, text, chat=chat)
    [reply] = await emulator.wait_for_messages(chat.id if chat else user.id, count=1)
    return reply


async def group_reminder(emulator, line: str):
    """A family group whose admin, Tom, sets a reminder with `line` and confirms sharing it."""
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    consent = await say(emulator, tom, f"/remind {line}", chat=group)
    query = await emulator.press_button(tom, consent, text="Yes, show it here")
    await emulator.wait_for_callback_answer(query)
    await emulator.wait_for_messages(group.id, count=1)
    return tom, group


async def tick(app, clock: Clock, **delta: float) -> None:
    clock.advance(**delta)
    await services(app).dispatcher.tick()


async def press(emulator, user, message, **which) -> dict:
    edits = message.edits
    query = await emulator.press_button(user, message, **which)
    answer = await emulator.wait_for_callback_answer(query)
    await eventually(lambda: message.edits > edits, timeout=2)
    return answer


async def test_set_by_one_line_then_it_arrives_and_taken_is_logged(emulator, app, clock) -> None:
    user = emulator.add_user("Sam")
    assert "Europe/London" in (await say(emulator, user, "/timezone London")).text
    saved = await say(emulator, user, "/remind every 4 weeks at 09:00")
    assert "Reminder set" in saved.text
    assert "Mon 30 Nov 09:00" in saved.text
    await tick(app, clock, minutes=59)
    assert emulator.messages(user.id)[-1].message_id == saved.message_id  # not yet due
    await tick(app, clock, minutes=1)
    [reminder] = await emulator.wait_for_messages(user.id, count=1)
    assert "Injection reminder" in reminder.text
    assert "09:00" in reminder.text
    await press(emulator, user, reminder, text="✅ Taken")
    assert "taken" in reminder.text
    assert "Sam" in reminder.text
    history = await services(app).store.history(user.id)
    assert [dose.status for dose in history] == ["taken"]
    assert history[0].acted_by == user.id


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("every 4 weeks at 5am from today", "Today's 05:00 has already passed, so the first"),
        ("every 4 weeks at 5am", "Today's 05:00 has already passed, so the first"),
        ("every 4 weeks at 9am", "The first reminder comes"),
    ],
)
async def test_a_start_today_after_its_time_says_why_the_first_is_weeks_away(
    emulator, app, line, said
) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")  # it is 08:00 there
    saved = await say(emulator, user, f"/remind {line}")
    assert said in saved.text
    assert ("has already passed" in saved.text) == ("5am" in line)


async def test_remind_asks_for_a_zone_first_then_finishes(emulator, app) -> None:
    user = emulator.add_user()
    ask = await say(emulator, user, "/remind every day at 21:15")
    assert "time zone" in ask.text
    query = await emulator.press_button(user, ask, index=0)  # the UK comes first
    await emulator.wait_for_callback_answer(query)
    [saved] = await emulator.wait_for_messages(user.id, count=1)
    assert "every day at 21:15" in saved.text


@pytest.mark.parametrize(
    "line",
    [
        "every 4 blorps at 09:00",
        "every 4 weeks at 25:00",
        "every 4 weeks at 09:00 from 2026-02-30",
        "every 4 weeks at 09:00 Mars/Base",
        "\x00\x01 🙂",
    ],
)
async def test_what_cannot_be_read_is_explained_and_nothing_saved(emulator, app, line) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    reply = await say(emulator, user, f"/remind {line}")
    assert "Nothing was saved" in reply.text
    assert await services(app).store.reminders(user.id) == []


# Issue 11's one-line grammar, through the bot: Monday 30 November 2026, 08:00 in London.
GRAMMAR = [
    # what follows /remind, the rule stored, the first reminder (its zone's clock), for, zone
    ("me every 12 weeks at 9", "12w@09:00", "Mon 30 Nov 09:00", None, "Europe/London"),
    ("every month on the 15th at 9", "1m@09:00", "Tue 15 Dec 09:00", None, "Europe/London"),
    ("every week on monday at 9", "1w@09:00", "Mon 30 Nov 09:00", None, "Europe/London"),
    (
        "every 2 weeks at 9:00 starting next monday",
        "2w@09:00",
        "Mon 7 Dec 09:00",
        None,
        "Europe/London",
    ),
    ("every 4 weeks at 9am from Thursday", "4w@09:00", "Thu 3 Dec 09:00", None, "Europe/London"),
    ("every day at 9am from next week", "1d@09:00", "Mon 7 Dec 09:00", None, "Europe/London"),
    ("every 3 mths at 9 in the morning", "3m@09:00", "Mon 30 Nov 09:00", None, "Europe/London"),
    ("every 4 weeks at 9am for Mum & Dad", "4w@09:00", "Mon 30 Nov 09:00", "Mum & Dad", None),
    ("every day at 9am New York", "1d@09:00", "Mon 30 Nov 09:00", None, "America/New_York"),
    ("every day at 9am from 12/01/2027", "1d@09:00", "Tue 12 Jan 09:00", None, "Europe/London"),
    ("3 times a week at 7pm", "wd135@19:00", "Mon 30 Nov 19:00", None, "Europe/London"),
]


@pytest.mark.parametrize("case", GRAMMAR, ids=[case[0] for case in GRAMMAR])
async def test_the_one_line_grammar_sets_what_was_said(emulator, app, case) -> None:
    line, rule, first, for_whom, zone = case
    user = emulator.add_user()
    await say(emulator, user, "/timezone London")
    saved = await say(emulator, user, f"/remind {line}")
    assert f"The first reminder comes {first}" in saved.text
    [row] = await services(app).store.reminders(user.id)
    assert (row.rule, row.for_whom) == (rule, for_whom)
    assert row.timezone == (zone or "Europe/London")
    assert local_time(row.next_due_at, row.timezone) == first


@pytest.mark.parametrize(
    ("line", "description"),
    [
        ("every month on the 15th at 9", "every month on the 15th at 09:00"),
        (
            "every 3 months at 9am from 31 Dec",
            "every 3 months on the 31st (the last day in shorter months) at 09:00",
        ),
        ("every week on monday at 9", "every week on Monday at 09:00"),
        ("every week at 9 from thursday", "every week on Thursday at 09:00"),
        ("every 4 weeks at 9am from thursday", "every 4 weeks at 09:00"),
    ],
)
async def test_the_day_a_series_keeps_is_said_where_it_is_described(
    emulator, app, line, description
) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone London")
    assert description in (await say(emulator, user, f"/remind {line}")).text
    assert f"1. {description}" in (await say(emulator, user, "/reminders")).text


async def test_a_date_that_reads_both_ways_is_asked_about_where_the_zone_does_not_say(
    emulator, app
) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone UTC")
    asked = await say(emulator, user, "/remind every day at 9am from 12/01/2027")
    assert "Is “12/01/2027” the 12 of January or the 1 of December?" in asked.text
    assert "Nothing was saved" in asked.text
    assert await services(app).store.reminders(user.id) == []


async def test_a_new_york_chat_reads_dates_month_first(emulator, app) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone New York")
    saved = await say(emulator, user, "/remind every day at 9am from 12/01/2027")
    [row] = await services(app).store.reminders(user.id)
    assert row.start_date == date(2027, 12, 1)
    assert "The first reminder comes Wed 1 Dec 2027 09:00" in saved.text  # a year away: said
    assert "Wed 1 Dec 2027 09:00" in (await say(emulator, user, "/reminders")).text


async def test_a_missing_part_is_a_sentence_of_its_own(emulator, app) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone London")
    reply = await say(emulator, user, "/remind at 9am")
    assert "I couldn't set that reminder. How often?" in reply.text


async def test_a_one_off_says_plainly_it_is_not_kept(emulator, app) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone London")
    reply = await say(emulator, user, "/remind tomorrow at 9am")
    assert "one-off" in reply.text
    assert "Nothing was saved" in reply.text
    assert await services(app).store.reminders(user.id) == []


async def test_snooze_delays_one_reminder(emulator, app, clock) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    await say(emulator, user, "/remind every week at 08:30")
    await tick(app, clock, minutes=30)
    [reminder] = await emulator.wait_for_messages(user.id, count=1)
    await press(emulator, user, reminder, text="⏰ 1 hour")
    assert "snoozed until" in reminder.text
    await tick(app, clock, minutes=59)
    await tick(app, clock, minutes=1)
    [again] = await emulator.wait_for_messages(user.id, count=1)
    assert "Injection reminder" in again.text


async def test_a_second_reminder_for_someone_just_marked_taken_says_so(
    emulator, app, clock
) -> None:
    """Mum's other reminder came half an hour after her dose was marked taken, with nothing to
    say so (a QA pass); Dad's reminder at the same time is no one's double dose."""
    user = emulator.add_user("Sam")
    await say(emulator, user, "/timezone Europe/London")
    for line in (
        "every 4 weeks at 09:00 for Mum",
        "every 12 weeks at 09:30 for mum",
        "every 4 weeks at 09:30 for Dad",
    ):
        assert "Reminder set" in (await say(emulator, user, f"/remind {line}")).text
    await tick(app, clock, hours=1)
    [first] = await emulator.wait_for_messages(user.id, count=1)
    assert "already logged as taken" not in first.text
    await press(emulator, user, first, text="✅ Taken")
    await tick(app, clock, minutes=30)
    later = await emulator.wait_for_messages(user.id, count=2)
    warned = {"Dad" in sent.text: "already logged as taken at" in sent.text for sent in later}
    assert warned == {False: True, True: False}


async def test_a_daily_reminder_offers_no_snooze_to_tomorrow(emulator, app, clock) -> None:
    """Tomorrow's own reminder is the next one: snoozed to it, two came at once (a QA pass)."""
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    await say(emulator, user, "/remind every day at 08:30")
    await say(emulator, user, "/remind every week at 08:30 for Mum")
    await tick(app, clock, minutes=30)
    labels = {
        "Mum" in sent.text: {text for row in sent.buttons for text, _ in row}
        for sent in await emulator.wait_for_messages(user.id, count=2)
    }
    assert "⏰ Tomorrow" not in labels[False]
    assert {"⏰ 1 hour", "⏰ 3 hours"} <= labels[False]
    assert "⏰ Tomorrow" in labels[True]


async def test_group_reminder_needs_its_creators_consent_and_only_they_or_admins_manage_it(
    emulator, app, clock
) -> None:
    mum, tom, ann = emulator.add_user("Mum"), emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Mum's care", members=[mum, tom, ann], admins=[ann])
    await say(emulator, ann, "/timezone Europe/London", chat=group)
    consent = await say(emulator, tom, "/remind every 3 months at 10:30 for Mum", chat=group)
    assert "everyone here" in consent.text
    query = await emulator.press_button(mum, consent, text="Yes, show it here")
    refused = await emulator.wait_for_callback_answer(query)
    assert "Only the person" in refused["text"]
    query = await emulator.press_button(tom, consent, text="Yes, show it here")
    await emulator.wait_for_callback_answer(query)
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "for Mum" in saved.text
    await tick(app, clock, hours=2, minutes=30)
    [reminder] = await emulator.wait_for_messages(group.id, count=1)
    await press(emulator, mum, reminder, text="✅ Taken")  # anyone may mark it
    assert "Mum" in reminder.text
    [listed] = (await say(emulator, mum, "/reminders", chat=group),)
    await press(emulator, mum, listed, index=0)  # anyone may open it
    query = await emulator.press_button(mum, listed, text="🗑 Delete")
    answer = await emulator.wait_for_callback_answer(query)
    assert "Only the person" in answer["text"]
    assert len(await services(app).store.reminders(group.id)) == 1
    await press(emulator, ann, listed, text="🗑 Delete")  # an admin may, once sure
    await press(emulator, ann, listed, text="🗑 Yes, delete it")
    assert await services(app).store.reminders(group.id) == []


async def test_each_consent_prompt_confirms_its_own_request(emulator, app, clock) -> None:
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[ann])
    await say(emulator, ann, "/timezone Europe/London", chat=group)
    toms = await say(emulator, tom, "/remind every 3 months at 10:30 for Mum", chat=group)
    anns = await say(emulator, ann, "/remind every day at 08:00 for Dad", chat=group)
    query = await emulator.press_button(tom, toms, text="Yes, show it here")
    assert not (await emulator.wait_for_callback_answer(query)).get("text")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "for Mum" in saved.text
    query = await emulator.press_button(ann, anns, text="Yes, show it here")
    assert not (await emulator.wait_for_callback_answer(query)).get("text")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "for Dad" in saved.text
    rows = await services(app).store.reminders(group.id)
    assert {(row.for_whom, row.creator_id) for row in rows} == {("Mum", tom.id), ("Dad", ann.id)}


async def test_a_consent_prompt_still_works_after_a_restart(emulator, start) -> None:
    """The request waits in the database, not in the process that asked."""
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    async with start():
        await say(emulator, tom, "/timezone Europe/London", chat=group)
        consent = await say(emulator, tom, "/remind every 3 months at 10:30 for Mum", chat=group)
    async with start() as app:
        query = await emulator.press_button(tom, consent, text="Yes, show it here")
        assert not (await emulator.wait_for_callback_answer(query)).get("text")
        [saved] = await emulator.wait_for_messages(group.id, count=1)
        assert "for Mum" in saved.text
        [row] = await services(app).store.reminders(group.id)
        assert (row.for_whom, row.creator_id, row.timezone) == ("Mum", tom.id, "Europe/London")


async def test_moving_reminders_to_a_new_zone_works_after_a_restart(emulator, start) -> None:
    """The zone rides on the button, so the question outlives the process that asked it."""
    sam = emulator.add_user("Sam")
    async with start():
        await say(emulator, sam, "/timezone London")
        await say(emulator, sam, "/remind every day at 09:00")
        asked = await say(emulator, sam, "/timezone New York")
    async with start() as app:
        await press(emulator, sam, asked, text="Move to America/New_York")
        assert "Moved 1 reminder" in asked.text
        [row] = await services(app).store.reminders(sam.id)
        assert row.timezone == "America/New_York"


async def test_a_remind_waiting_for_the_zone_is_saved_after_a_restart(emulator, start) -> None:
    """The line waits in the database: the zone picked after a restart still saves it."""
    sam = emulator.add_user("Sam")
    async with start():
        ask = await say(emulator, sam, "/remind every day at 21:15")
        assert "time zone" in ask.text
    async with start() as app:
        query = await emulator.press_button(sam, ask, index=0)  # the UK comes first
        await emulator.wait_for_callback_answer(query)
        [saved] = await emulator.wait_for_messages(sam.id, count=1)
        assert "every day at 21:15" in saved.text
        [row] = await services(app).store.reminders(sam.id)
        assert row.timezone == "Europe/London"


async def test_a_members_line_waiting_for_the_groups_zone_stays_theirs(emulator, app) -> None:
    """Only an admin may pick a group's zone; the line it was waiting for is still Ann's, so
    the consent prompt is hers to answer and the reminder is hers."""
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[tom])
    ask = await say(emulator, ann, "/remind every 3 months at 10:30 for Mum", chat=group)
    assert "time zone" in ask.text
    query = await emulator.press_button(tom, ask, index=0)  # the UK comes first
    await emulator.wait_for_callback_answer(query)
    [consent] = await emulator.wait_for_messages(group.id, count=1)
    assert "Mum" in consent.text
    refused = await emulator.press_button(tom, consent, text="Yes, show it here")
    assert "Only the person" in (await emulator.wait_for_callback_answer(refused))["text"]
    await press(emulator, ann, consent, text="Yes, show it here")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "Reminder set" in saved.text
    [row] = await services(app).store.reminders(group.id)
    assert (row.creator_id, row.for_whom, row.timezone) == (ann.id, "Mum", "Europe/London")


async def test_a_second_reminder_for_the_same_person_warns_of_a_double_dose(emulator, app) -> None:
    """Two schedules for Mum were taken silently; the second fired after the first was marked
    taken (a QA pass). Another person's reminder is no warning."""
    user = emulator.add_user("Sam")
    await say(emulator, user, "/timezone Europe/London")
    first = await say(emulator, user, "/remind every 4 weeks at 9am for Mum")
    assert "already a reminder" not in first.text
    dad = await say(emulator, user, "/remind every 4 weeks at 9am for Dad")
    assert "already a reminder" not in dad.text
    second = await say(emulator, user, "/remind every 12 weeks at 10am for mum")
    assert "Reminder set" in second.text
    assert "already a reminder here for mum: every 4 weeks at 09:00" in second.text
    assert "a dose may be given twice" in second.text


async def test_timezone_alone_says_the_zone_already_set(emulator, app) -> None:
    user = emulator.add_user()
    assert "First, which time zone" in (await say(emulator, user, "/timezone")).text
    await say(emulator, user, "/timezone Europe/London")
    current = await say(emulator, user, "/timezone")
    assert "Reminders here use Europe/London" in current.text
    assert current.buttons  # the picker, to change it


async def test_a_member_is_told_only_an_admin_sets_the_groups_zone(emulator, app) -> None:
    """It said "Only the person who set this reminder..." when no reminder was named."""
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    refused = await say(emulator, ann, "/timezone Australia/Sydney", chat=group)
    assert "Only a group admin can change this group's time zone" in refused.text
    assert (await services(app).store.chat(group.id)).timezone == "Europe/London"


async def test_a_second_prompt_for_the_same_line_is_refused_as_a_duplicate(
    emulator, app, clock
) -> None:
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    first = await say(emulator, tom, "/remind every 3 months at 10:30 for Mum", chat=group)
    second = await say(emulator, tom, "/remind every 3 months at 10:30 for mum", chat=group)
    await press(emulator, tom, first, text="Yes, show it here")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "Reminder set" in saved.text
    await press(emulator, tom, second, text="Yes, show it here")
    [refused] = await emulator.wait_for_messages(group.id, count=1)
    assert "already a reminder" in refused.text
    assert "Nothing was saved" in refused.text
    assert len(await services(app).store.reminders(group.id)) == 1


async def test_only_the_latest_ten_consent_prompts_are_kept(emulator, app, clock) -> None:
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    prompts = [
        await say(emulator, tom, f"/remind every day at {hour:02}:00", chat=group)
        for hour in range(8, 19)
    ]
    query = await emulator.press_button(tom, prompts[0], text="Yes, show it here")
    assert "no longer here" in (await emulator.wait_for_callback_answer(query))["text"]
    await press(emulator, tom, prompts[1], text="Yes, show it here")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "09:00" in saved.text
    assert len(await services(app).store.reminders(group.id)) == 1


async def test_unmarked_group_reminder_gets_one_discreet_follow_up(emulator, app, clock) -> None:
    _, group = await group_reminder(emulator, "every day at 09:00 for Dad")
    await tick(app, clock, hours=1)
    await emulator.wait_for_messages(group.id, count=1)
    await tick(app, clock, hours=1, minutes=59)
    await tick(app, clock, minutes=2)
    [followup] = await emulator.wait_for_messages(group.id, count=1)
    assert "not been marked as taken" in followup.text
    assert "B12" not in followup.text
    assert "09:00" not in followup.text
    await tick(app, clock, hours=1)
    assert emulator.messages(group.id)[-1].message_id == followup.message_id  # only once


async def test_forget_leaves_no_row_about_the_person(emulator, app, clock, database) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    await say(emulator, user, "/remind every 4 weeks at 09:00")
    await tick(app, clock, hours=1)
    reminder = (await emulator.wait_for_messages(user.id, count=1))[0]
    await press(emulator, user, reminder, text="✅ Taken")
    confirm = await say(emulator, user, "/forget")
    await press(emulator, user, confirm, text="Yes, delete")
    assert "deleted everything" in confirm.text
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            for row in db.execute(f"select * from {table}"):
                assert str(user.id) not in map(str, row), (table, row)


async def test_a_blocked_user_pauses_the_chat_and_nothing_is_sent(emulator, app, clock) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    await say(emulator, user, "/remind every day at 09:00")
    emulator.block(user)
    await eventually(lambda: False, timeout=0.3)  # the my_chat_member update reaches the bot
    await tick(app, clock, hours=1)
    chat = await services(app).store.chat(user.id)
    assert chat.paused
    assert emulator.violations == []


async def test_a_migrated_group_keeps_its_reminders(emulator, app, clock) -> None:
    _, group = await group_reminder(emulator, "every day at 09:00 for Dad")
    new_id = await emulator.migrate_group(group)
    await eventually(lambda: False, timeout=0.3)
    await tick(app, clock, hours=1)
    await tick(app, clock, seconds=1)  # a send that met the old id is retried at the new one
    [reminder] = await emulator.wait_for_messages(new_id, count=1)
    assert "Injection reminder" in reminder.text


async def test_taken_and_history(emulator, app, clock) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    await say(emulator, user, "/remind every 4 weeks at 09:00")
    await tick(app, clock, hours=1)
    await emulator.wait_for_messages(user.id, count=1)  # the reminder, left unmarked
    clock.advance(hours=2)
    logged = await say(emulator, user, "/taken")
    assert "Logged" in logged.text
    history = await say(emulator, user, "/history")
    assert "taken" in history.text
    assert "Next due: Mon 28 Dec 09:00" in history.text


async def test_coming_back_after_blocking_resumes_the_chat(emulator, app, clock) -> None:
    user = emulator.add_user()
    await say(emulator, user, "/timezone Europe/London")
    await say(emulator, user, "/remind every day at 09:00")
    emulator.block(user)
    assert await eventually(lambda: False, timeout=0.3) is False
    assert (await services(app).store.chat(user.id)).paused
    await emulator.send_message(user, "/start")  # writing to the bot unblocks it
    replies = await emulator.wait_for_messages(user.id, count=2)
    assert "Welcome back" in replies[-1].text
    assert not (await services(app).store.chat(user.id)).paused
    await tick(app, clock, hours=1)
    [reminder] = await emulator.wait_for_messages(user.id, count=1)
    assert "Injection reminder" in reminder.text


async def test_a_burst_of_reminders_stays_inside_telegrams_flood_limits(
    emulator, app, clock
) -> None:
    emulator.flood_limits = True
    people = [emulator.add_user(f"P{i}") for i in range(45)]
    for person in people:
        await say(emulator, person, "/timezone UTC")
        await say(emulator, person, "/remind every day at 08:30")
    await tick(app, clock, minutes=30)
    for person in people:
        [reminder] = await emulator.wait_for_messages(person.id, count=1, timeout=10)
        assert "Injection reminder" in reminder.text
    sends = sum(1 for method, _ in emulator.requests if method.lower() == "sendmessage")
    assert emulator.flood_responses * 100 <= sends  # the bar: under 1% answered 429


async def test_the_follow_up_delay_is_set_per_reminder(emulator, app) -> None:
    _, group = await group_reminder(
        emulator, "every day at 09:00 for Dad follow up after 30 minutes"
    )
    [reminder] = await services(app).store.reminders(group.id)
    assert reminder.followup_minutes == 30


async def test_a_slow_telegram_gets_each_reminder_once(emulator, app, clock) -> None:
    """Issue 10, fault 2: with answers slower than 5 s each reminder arrived 4 times per attempt."""
    user = emulator.add_user("Sam", started=True)
    store = services(app).store
    await store.ensure_chat(user.id, "private")
    await store.add_reminder(
        user.id,
        creator_id=user.id,
        rule="1d@09:00",
        timezone="UTC",
        start_date=START.date(),
        next_due_at=START + timedelta(minutes=1),
    )
    emulator.delay = 6.0  # slower than python-telegram-bot's default 5 s read timeout
    await tick(app, clock, minutes=1)
    emulator.delay = 0.0
    await tick(app, clock, seconds=31)  # when a "try again in 30 s" would come round
    reminders = [m for m in emulator.messages(user.id) if "Injection reminder" in m.text]
    assert len(reminders) == 1


async def _due_in_an_hour(app, user) -> None:
    store = services(app).store
    await store.ensure_chat(user.id, "private")
    await store.add_reminder(
        user.id,
        creator_id=user.id,
        rule="1d@09:00",
        timezone="UTC",
        start_date=START.date(),
        next_due_at=START + timedelta(hours=1),
    )


def _reminders(emulator, chat_id: int) -> list:
    return [m for m in emulator.messages(chat_id) if "Injection reminder" in m.text]


async def test_one_chat_not_found_does_not_stop_reminders(emulator, app, clock) -> None:
    """Issue 10, fault 5: one '400 chat not found' paused the chat for good."""
    user = emulator.add_user("Sam", started=True)
    await _due_in_an_hour(app, user)
    emulator.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    await tick(app, clock, hours=1)
    assert not (await services(app).store.chat(user.id)).paused
    await tick(app, clock, minutes=10)
    assert len(_reminders(emulator, user.id)) == 1


async def test_a_lost_unblock_update_does_not_pause_a_chat_forever(emulator, app, clock) -> None:
    """Issue 10, fault 5: a missed unblock update paused a chat for good."""
    user = emulator.add_user("Sam", started=True)
    await _due_in_an_hour(app, user)
    emulator.block(user)
    assert await eventually(lambda: False, timeout=0.3) is False  # the bot hears of the block
    assert (await services(app).store.chat(user.id)).paused
    emulator.unblock(user, update_lost=True)
    await tick(app, clock, hours=1)
    assert _reminders(emulator, user.id) == []  # nobody has told the bot yet
    await tick(app, clock, hours=6)  # a paused chat is checked again
    assert not (await services(app).store.chat(user.id)).paused
    [late] = _reminders(emulator, user.id)
    assert "late" in late.text.lower()


async def test_reminders_in_a_paused_chat_say_so_and_how_to_resume(emulator, app, clock) -> None:
    """Issue 10, fault 5: /reminders showed "Next: ..." in a chat whose reminders were paused."""
    user = emulator.add_user("Sam", started=True)
    await _due_in_an_hour(app, user)
    await services(app).store.pause_chat(user.id)
    await emulator.send_message(user, "/reminders")
    notice, line = await emulator.wait_for_messages(user.id, count=2)
    assert "paused" in notice.text.lower()
    assert "paused" in line.text
    assert "next" not in line.text.lower()
    await press(emulator, user, notice, text="▶️ Resume reminders here")
    assert not (await services(app).store.chat(user.id)).paused
    await tick(app, clock, hours=1)
    assert len(_reminders(emulator, user.id)) == 1


async def test_a_group_where_the_bot_may_not_post_is_paused_and_its_creator_told_once(
    emulator, app, clock, caplog
) -> None:
    """Issue 10, fault 8: a permanent 400 was retried every 30 s for 12 h with a traceback."""
    tom, group = await group_reminder(emulator, "every day at 09:00 for Dad")
    await say(emulator, tom, "/start")  # Tom can be written to in private
    emulator.fail_next(
        "sendMessage",
        status=400,
        description="Bad Request: not enough rights to send text messages to the chat",
    )
    await tick(app, clock, hours=1)
    assert (await services(app).store.chat(group.id)).paused
    [told] = await emulator.wait_for_messages(tom.id, count=1)
    assert "Care" in told.text
    sends = len(emulator.requests)
    await tick(app, clock, seconds=31)
    await tick(app, clock, minutes=30)
    assert [m for m, p in emulator.requests[sends:] if m == "sendMessage"] == []
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("bot.")]


async def test_a_restricted_group_stays_paused_until_the_bot_may_post_again(
    emulator, app, clock
) -> None:
    """Issue 10, faults 5 and 8: the 6-hourly re-check must not resume a group that still
    restricts the bot (each resume meant a refused send and its creator told again)."""
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom], supergroup=True)
    await say(emulator, tom, "/start")  # Tom can be written to in private
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    await _shared(emulator, tom, group, "every day at 09:00 for Dad")
    emulator.restrict_bot(group, by=tom)
    await tick(app, clock, hours=1)
    store = services(app).store
    assert (await store.chat(group.id)).paused
    [told] = await emulator.wait_for_messages(tom.id, count=1)
    assert "Care" in told.text
    refused = len(emulator.requests)
    await tick(app, clock, hours=6)  # re-checked: "typing..." is refused too
    assert (await store.chat(group.id)).paused
    asked = [(m, p.get("chat_id")) for m, p in emulator.requests[refused:] if m != "getUpdates"]
    assert asked == [("sendChatAction", group.id)]  # no resume, so no send to be refused
    emulator.unrestrict_bot(group, by=tom)
    await tick(app, clock, hours=6)
    assert not (await store.chat(group.id)).paused
    assert len(_reminders(emulator, group.id)) == 1  # the day's dose, late but within 12 hours
    assert len(emulator.messages(tom.id)) == 2  # /start's reply and the one notice, no more


async def _shared(emulator, who, group, line: str) -> None:
    """`who` sets a reminder in `group` and confirms showing it there."""
    consent = await say(emulator, who, f"/remind {line}", chat=group)
    await press(emulator, who, consent, text="Yes, show it here")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "Reminder set" in saved.text


async def test_a_member_who_forgets_in_a_group_deletes_only_their_own(emulator, app, clock) -> None:
    """Issue 10, fault 3: a member who had set one reminder could /forget the whole group."""
    mum, tom, ann = emulator.add_user("Mum"), emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Mum's care", members=[mum, tom, ann], admins=[ann])
    await say(emulator, ann, "/timezone Europe/London", chat=group)
    await _shared(emulator, ann, group, "every day at 09:00 for Mum")
    await _shared(emulator, tom, group, "every day at 09:00 for Dad")
    await tick(app, clock, hours=1)
    for_mum, for_dad = await emulator.wait_for_messages(group.id, count=2)
    await press(emulator, tom, for_mum if "Mum" in for_mum.text else for_dad, text="✅ Taken")
    await press(emulator, mum, for_dad if "Dad" in for_dad.text else for_mum, text="✅ Taken")
    confirm = await say(emulator, tom, "/forget", chat=group)
    assert "you set" in confirm.text
    # the doses Tom marked leave the group's log: the others are told, lest one is given twice
    assert "someone may give one twice" in confirm.text
    query = await emulator.press_button(mum, confirm, text="Yes, delete")
    assert "Only" in (await emulator.wait_for_callback_answer(query))["text"]
    await press(emulator, tom, confirm, text="Yes, delete")
    store = services(app).store
    assert [r.creator_id for r in await store.reminders(group.id)] == [ann.id]
    log = await store.history(group.id)
    assert [(d.status, d.acted_by) for d in log] == []  # Tom's reminder's dose, Tom's press
    assert await store.chat(group.id) is not None


async def test_a_members_forget_still_confirms_after_a_restart(emulator, start) -> None:
    """The button names who asked; nothing waits in memory."""
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[ann])
    async with start():
        await say(emulator, ann, "/timezone Europe/London", chat=group)
        await _shared(emulator, tom, group, "every day at 09:00 for Dad")
        confirm = await say(emulator, tom, "/forget", chat=group)
    async with start() as app:
        query = await emulator.press_button(ann, confirm, text="Yes, delete")
        assert "Only" in (await emulator.wait_for_callback_answer(query))["text"]
        await press(emulator, tom, confirm, text="Yes, delete")
        assert "deleted" in confirm.text.lower()
        assert await services(app).store.reminders(group.id) == []


async def test_only_admins_forget_a_whole_group_anonymous_ones_too(emulator, app) -> None:
    tom, ann = emulator.add_user("Tom"), emulator.add_user("Ann")
    group = emulator.add_group("Care", members=[tom, ann], admins=[ann])
    await say(emulator, ann, "/timezone Europe/London", chat=group)
    await _shared(emulator, ann, group, "every day at 09:00 for Mum")
    await emulator.send_anonymous_admin_message(group, "/forget")
    [confirm] = await emulator.wait_for_messages(group.id, count=1)
    assert "this group" in confirm.text
    query = await emulator.press_button(tom, confirm, text="Yes, delete")
    assert "Only" in (await emulator.wait_for_callback_answer(query))["text"]
    assert await services(app).store.chat(group.id) is not None
    await press(emulator, ann, confirm, text="Yes, delete")
    assert await services(app).store.chat(group.id) is None


async def test_an_anonymous_admin_can_confirm_a_group_reminder_they_started(emulator, app) -> None:
    """Issue 10: the confirm button refused the admin who had asked anonymously."""
    ann = emulator.add_user("Ann")
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[ann, tom], admins=[ann])
    await say(emulator, ann, "/timezone Europe/London", chat=group)
    await emulator.send_anonymous_admin_message(group, "/remind every day at 09:00 for Mum")
    [consent] = await emulator.wait_for_messages(group.id, count=1)
    query = await emulator.press_button(tom, consent, text="Yes, show it here")
    assert "Only" in (await emulator.wait_for_callback_answer(query))["text"]
    await press(emulator, ann, consent, text="Yes, show it here")
    [saved] = await emulator.wait_for_messages(group.id, count=1)
    assert "Reminder set" in saved.text


async def test_a_chat_may_hold_fifty_active_reminders(emulator, app) -> None:
    """Issue 10: a per-chat cap on active reminders, with a clear message."""
    user = emulator.add_user("Sam")
    await say(emulator, user, "/timezone Europe/London")
    store = services(app).store
    for _ in range(50):
        await store.add_reminder(
            user.id,
            creator_id=user.id,
            rule="1d@09:00",
            timezone="Europe/London",
            start_date=START.date(),
            next_due_at=START + timedelta(hours=1),
        )
    refused = await say(emulator, user, "/remind every day at 10:00")
    assert "50" in refused.text
    assert len(await store.reminders(user.id)) == 50


@pytest.mark.parametrize(
    "data", ["d:99999999999999999999:t", "d:2147483648:k", "r:9223372036854775808:d"]
)
async def test_a_forged_button_naming_an_impossible_id_has_expired(emulator, app, data) -> None:
    """Issue 10: an id beyond the database's integers raised instead of "expired"."""
    user = emulator.add_user()
    shown = await say(emulator, user, "/timezone Europe/London")
    query = await emulator.press_button(user, shown, data=data)
    answer = await emulator.wait_for_callback_answer(query)
    assert "no longer here" in answer["text"]
