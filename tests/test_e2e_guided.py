"""End to end, on SQLite and PostgreSQL: the guided /remind takes buttons or typed answers, stops
with /cancel or Cancel, survives a restart, and says when the first reminder comes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import offline_settings
from bot.telegram.app import build_application, running
from tests.conftest import eventually
from tests.test_e2e_reminders import START, Clock, press, say, services

pytest_plugins = ["tests.db_fixtures"]
pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> Clock:
    return Clock(START)  # Monday 30 Nov 2026, 08:00 in London


def make_app(emulator, faq, clock, database_url):
    return build_application(
        offline_settings(emulator.token, emulator.base_url, database_url), faq, clock=clock
    )


@pytest.fixture
async def app(emulator, faq, clock, database_url):
    async with running(make_app(emulator, faq, clock, database_url), polling=True) as application:
        yield application


async def choose(emulator, user, message, text: str, chat=None):
    """Press a choice; the next question (or the result) is a new message."""
    query = await emulator.press_button(user, message, text=text)
    await emulator.wait_for_callback_answer(query)
    [following] = await emulator.wait_for_messages(chat.id if chat else user.id, count=1)
    return following


async def sam(emulator):
    user = emulator.add_user("Sam")
    await say(emulator, user, "/timezone Europe/London")
    return user


async def asked_the_time(emulator, often: str):
    """Sam, who started the guided /remind and chose how `often`: the guide asks the time."""
    user = await sam(emulator)
    question = await say(emulator, user, "/remind")
    await choose(emulator, user, question, often)
    return user


async def whose_question(emulator, answer: str):
    """A family group whose admin Tom answered the guide's first question with `answer`: Tom,
    the group, and the guide's next message, asking whose reminder it is."""
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    often = await say(emulator, tom, "/remind", chat=group)
    await emulator.send_message(tom, answer, chat=group, reply_to=often)
    [ask] = await emulator.wait_for_messages(group.id, count=1)
    return tom, group, ask


async def test_buttons_all_the_way_say_when_the_first_reminder_comes(emulator, app) -> None:
    user = await sam(emulator)
    often = await say(emulator, user, "/remind")
    assert "How often" in often.text
    labels = [text for row in often.buttons for text, _ in row]
    assert {"every other day", "every 12 weeks", "✖️ Cancel"} <= set(labels)
    at = await choose(emulator, user, often, "every 12 weeks")
    start = await choose(emulator, user, at, "09:00")
    assert {"Today", "Tomorrow", "In 1 week", "In 2 weeks", "In 4 weeks"} <= {
        text for row in start.buttons for text, _ in row
    }
    saved = await choose(emulator, user, start, "In 2 weeks")
    assert "every 12 weeks at 09:00" in saved.text
    assert "The first reminder comes Mon 14 Dec 09:00" in saved.text


async def test_three_times_a_week_is_monday_wednesday_and_friday(emulator, app) -> None:
    user = await sam(emulator)
    often = await say(emulator, user, "/remind")
    at = await choose(emulator, user, often, "3 times a week")
    assert "3 times a week. At what time?" in at.text
    start = await choose(emulator, user, at, "09:00")
    saved = await choose(emulator, user, start, "Tomorrow")  # Tue 1 Dec: Wednesday comes first
    assert "every Monday, Wednesday and Friday at 09:00" in saved.text
    assert "The first reminder comes Wed 2 Dec 09:00" in saved.text
    [reminder] = await services(app).store.reminders(user.id)
    assert reminder.rule == "wd135@09:00"


async def test_typed_weekdays_are_named_with_capitals(emulator, app) -> None:
    user = await sam(emulator)
    await say(emulator, user, "/remind")
    at = await say(emulator, user, "every tue and thu")
    assert "Every Tuesday and Thursday. At what time?" in at.text


async def test_today_is_not_offered_once_its_time_has_passed(emulator, app) -> None:
    user = await sam(emulator)
    often = await say(emulator, user, "/remind")
    at = await choose(emulator, user, often, "every day")
    start = await choose(emulator, user, at, "08:00")  # it is 08:00 already
    assert "Today" not in {text for row in start.buttons for text, _ in row}


async def test_today_typed_after_its_time_says_why_the_first_reminder_is_weeks_away(
    emulator, app
) -> None:
    user = await asked_the_time(emulator, "every 12 weeks")
    await say(emulator, user, "05:00")  # it is 08:00 already
    saved = await say(emulator, user, "today")
    assert "Today's 05:00 has already passed, so the first reminder comes Mon 22 Feb 05:00" in (
        saved.text
    )
    assert "if today's dose is done, log it with /taken" in saved.text


async def test_typed_answers_are_read_not_sent_to_the_faq(emulator, app) -> None:
    user = await sam(emulator)
    await say(emulator, user, "/remind")
    at = await say(emulator, user, "every 6 weeks")
    assert "Every 6 weeks. At what time?" in at.text
    wrong = await say(emulator, user, "25:00")
    assert "not a time of day" in wrong.text
    assert "/cancel" in wrong.text
    start = await say(emulator, user, "10:30")
    assert "at 10:30" in start.text
    saved = await say(emulator, user, "in 3 weeks")
    assert "every 6 weeks at 10:30" in saved.text
    assert "The first reminder comes Mon 21 Dec 10:30" in saved.text
    [reminder] = await services(app).store.reminders(user.id)
    assert reminder.rule == "6w@10:30"
    question = await say(emulator, user, "9am")  # no longer guided: an ordinary message again
    assert "Reminder" not in question.text


async def test_a_time_typed_for_how_often_is_kept_and_how_often_asked_plainly(
    emulator, app
) -> None:
    user = await sam(emulator)
    await say(emulator, user, "/remind")
    again = await say(emulator, user, "9am")
    assert "First say how often, like every 4 weeks" in again.text
    assert "at 09:00" in again.text
    assert "twice" not in again.text
    assert "every 12 weeks" in {text for row in again.buttons for text, _ in row}
    start = await say(emulator, user, "every 4 weeks")  # the time is not asked again
    assert "Every 4 weeks at 09:00. When is the next injection due?" in start.text
    saved = await say(emulator, user, "tomorrow")
    assert "every 4 weeks at 09:00" in saved.text
    assert "The first reminder comes Tue 1 Dec 09:00" in saved.text


async def test_how_often_with_a_time_skips_the_time_step(emulator, app) -> None:
    user = await sam(emulator)
    await say(emulator, user, "/remind")
    start = await say(emulator, user, "every 4 weeks at 9am")
    assert "Every 4 weeks at 09:00. When is the next injection due?" in start.text
    saved = await say(emulator, user, "in 2 weeks")
    assert "The first reminder comes Mon 14 Dec 09:00" in saved.text
    [reminder] = await services(app).store.reminders(user.id)
    assert reminder.rule == "4w@09:00"


async def test_a_whole_line_typed_for_how_often_sets_the_reminder(emulator, app) -> None:
    user = await sam(emulator)
    await say(emulator, user, "/remind")
    saved = await say(emulator, user, "every 12 weeks at 10:30 from next monday")
    assert "every 12 weeks at 10:30" in saved.text
    assert "The first reminder comes Mon 7 Dec 10:30" in saved.text
    assert await services(app).store.guide(user.id, user.id) is None


async def test_who_it_is_for_typed_too_early_is_explained_and_kept_waiting(emulator, app) -> None:
    user = await sam(emulator)
    await say(emulator, user, "/remind")
    reply = await say(emulator, user, "every 4 weeks for Mum")
    assert "/remind every 4 weeks at 9am for Mum" in reply.text
    assert (await services(app).store.guide(user.id, user.id)).step == "f"


async def test_something_else_keeps_what_was_chosen(emulator, app) -> None:
    user = await sam(emulator)
    often = await say(emulator, user, "/remind")
    at = await choose(emulator, user, often, "every other day")
    prompt = await choose(emulator, user, at, "Something else… (type it)")
    assert "Type the time" in prompt.text
    start = await say(emulator, user, "7:45pm")
    assert "Every other day at 19:45" in start.text
    saved = await say(emulator, user, "12 December")
    assert "every 2 days at 19:45" in saved.text
    assert "Sat 12 Dec 19:45" in saved.text


@pytest.mark.parametrize("how", ["/cancel", "button"])
async def test_cancel_ends_it_and_saves_nothing(emulator, app, how) -> None:
    user = await sam(emulator)
    often = await say(emulator, user, "/remind")
    await choose(emulator, user, often, "every week")
    if how == "/cancel":
        reply = await say(emulator, user, "/cancel")
        assert "Cancelled. Nothing was saved." in reply.text
    else:
        [at] = emulator.messages(user.id)[-1:]
        await press(emulator, user, at, text="✖️ Cancel")
        await eventually(lambda: "Cancelled. Nothing was saved." in at.text, timeout=2)
    assert await services(app).store.guide(user.id, user.id) is None
    assert await services(app).store.reminders(user.id) == []


async def test_the_guide_survives_a_restart(emulator, faq, clock, database_url) -> None:
    user = emulator.add_user("Sam")
    async with running(make_app(emulator, faq, clock, database_url), polling=True):
        await say(emulator, user, "/timezone Europe/London")
        often = await say(emulator, user, "/remind")
        await choose(emulator, user, often, "every 4 weeks")
    async with running(make_app(emulator, faq, clock, database_url), polling=True) as app:
        start = await say(emulator, user, "9am")
        assert "Every 4 weeks at 09:00" in start.text
        saved = await say(emulator, user, "tomorrow")
        assert "The first reminder comes Tue 1 Dec 09:00" in saved.text
        assert len(await services(app).store.reminders(user.id)) == 1


async def test_in_a_group_a_typed_reply_names_who_it_is_for(emulator, app) -> None:
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await say(emulator, tom, "/timezone Europe/London", chat=group)
    often = await say(emulator, tom, "/remind", chat=group)
    at = await choose(emulator, tom, often, "every 3 months", chat=group)
    await emulator.send_message(tom, "12:00", chat=group, reply_to=at)
    [start] = await emulator.wait_for_messages(group.id, count=1)
    ask = await choose(emulator, tom, start, "Tomorrow", chat=group)
    assert "Tom, who is this reminder for" in ask.text
    # The reply box opens for Tom: a button press has no message of his for it to reply to.
    mentioned = [e["user"]["id"] for e in ask.payload["entities"] if e["type"] == "text_mention"]
    assert mentioned == [tom.id]
    await emulator.send_message(tom, "Grandad", chat=group, reply_to=ask)
    [consent] = await emulator.wait_for_messages(group.id, count=1)
    assert "Grandad" in consent.text


@pytest.mark.parametrize(
    "answers",
    [
        ["every month", "09:00", "type: on the 31st"],  # buttons, then the day typed as the start
        ["type: every month on the 31st at 9am"],  # all of it in one answer
        ["type: monthly on the 31st", "09:00"],  # the day said with how often, kept for a step
        ["type: on the 31st", "every month", "09:00"],  # the day said before how often
    ],
)
async def test_monthly_on_the_31st_said_in_april_starts_in_april_as_the_one_line_does(
    emulator, app, clock, answers
) -> None:
    """Guided or in one line, 'on the 31st' said on 5 April starts on 30 April and keeps the 31st:
    the guide used to keep only a date, the first 31st (31 May), and April's injection was lost."""
    clock.now = datetime(2027, 4, 5, 10, tzinfo=UTC)  # Monday 5 April, 11:00 in London
    ann = emulator.add_user("Ann")
    await say(emulator, ann, "/timezone Europe/London")
    one_line = await say(emulator, ann, "/remind every month at 09:00 on the 31st")
    user = await sam(emulator)
    shown = await say(emulator, user, "/remind")
    for answer in answers:
        typed = answer.removeprefix("type: ")
        if typed != answer:
            shown = await say(emulator, user, typed)
        else:
            shown = await choose(emulator, user, shown, answer)
    described = "every month on the 31st (the last day in shorter months) at 09:00"
    assert described in shown.text
    assert "The first reminder comes Fri 30 Apr 09:00" in shown.text
    assert shown.text == one_line.text
    [guided] = await services(app).store.reminders(user.id)
    [said] = await services(app).store.reminders(ann.id)
    assert (guided.rule, guided.start_date) == (said.rule, said.start_date)
    assert guided.rule == "1md31@09:00"


async def test_in_a_group_the_day_of_the_month_is_kept_until_it_is_known_whose(
    emulator, app, clock
) -> None:
    clock.now = datetime(2027, 2, 5, 10, tzinfo=UTC)  # Friday 5 February
    tom, group, ask = await whose_question(emulator, "every 3 months on the 30th at 9am")
    await emulator.send_message(tom, "Grandad", chat=group, reply_to=ask)
    [consent] = await emulator.wait_for_messages(group.id, count=1)
    assert "every 3 months on the 30th (the last day in February) at 09:00" in consent.text
    assert "Grandad" in consent.text
    saved = await choose(emulator, tom, consent, "Yes, show it here", chat=group)
    assert "The first reminder comes Sun 28 Feb 09:00" in saved.text
    [reminder] = await services(app).store.reminders(group.id)
    assert (reminder.rule, reminder.for_whom) == ("3md30@09:00", "Grandad")


async def test_an_emergency_typed_as_a_guided_answer_is_paged_and_the_step_still_waits(
    emulator, app
) -> None:
    """The guide's parser used to read it as a time: "I couldn't read the time in ..."."""
    user = await asked_the_time(emulator, "every 4 weeks")
    page = await say(emulator, user, "my face is swelling up after the jab and i cant breathe")
    assert page.text.startswith("🚨")
    assert "999" in page.text
    guide = await services(app).store.guide(user.id, user.id)
    assert guide is not None
    assert guide.step == "t"  # still asking for the time
    start = await say(emulator, user, "9am")
    assert "Every 4 weeks at 09:00" in start.text


@pytest.mark.parametrize(
    ("command", "advice"),
    [
        ("/remind every 4 weeks at 9am for i want to kill myself", "ending your life"),
        ("/taken i took the whole box of tablets", "Keep the packet"),
        ("/timezone help my dad collapsed and isnt breathing", "cannot be woken"),
    ],
)
async def test_an_emergency_after_a_command_is_paged_and_nothing_is_saved(
    emulator, app, command: str, advice: str
) -> None:
    user = await sam(emulator)
    page = await say(emulator, user, command)
    assert page.text.startswith("🚨")
    assert advice in page.text
    store = services(app).store
    assert await store.reminders(user.id) == []
    history = await say(emulator, user, "/history")
    assert "Nothing logged yet" in history.text
    assert "(times in Europe/London)" in history.text  # the zone is as it was


async def test_in_a_group_an_emergency_typed_as_whose_reminder_is_paged(emulator, app) -> None:
    tom, group, ask = await whose_question(emulator, "every 3 months at 9am from tomorrow")
    assert "who is this reminder for" in ask.text
    await emulator.send_message(tom, "mum stopped breathing", chat=group, reply_to=ask)
    [page] = await emulator.wait_for_messages(group.id, count=1)
    assert page.text.startswith("🚨")
    assert await services(app).store.reminders(group.id) == []


async def test_words_the_nets_alone_doubt_are_left_to_the_command(emulator, app) -> None:
    """As a question, "10 minutes ago" gets a page the nets doubt, with a way on; after /taken
    it is a time, and only a page no one doubts may stop a command."""
    user = await sam(emulator)
    logged = await say(emulator, user, "/taken 10 minutes ago")
    assert logged.text.startswith("✅ Logged")
