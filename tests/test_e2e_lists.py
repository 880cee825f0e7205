"""End to end, on SQLite and PostgreSQL: time zones as people type them (offsets, 'EST'),
moving reminders when the zone changes, /reminders as one list, deleting with a confirmation,
and a duplicate reminder refused (issue 11), the whole schedule compared."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.knowledge.telegram_html import visible_text
from tests.test_e2e_reminders import START, Clock, press, say, services

pytest_plugins = ["tests.db_fixtures", "tests.e2e_app_fixtures"]
pytestmark = pytest.mark.asyncio


@pytest.fixture
def clock() -> Clock:
    return Clock(START)  # Monday 30 Nov 2026, 08:00 in London


def labels(message) -> list[str]:
    return [text for row in message.buttons for text, _ in row]


@pytest.mark.parametrize(
    ("typed", "shown", "zone"),
    [
        ("UTC+5:30", "UTC+05:30", "Asia/Kolkata"),
        ("+05:30", "UTC+05:30", "Asia/Kolkata"),
        ("UTC-4", "UTC-04:00", "Etc/GMT+4"),
        ("GMT", "UTC+00:00", "UTC"),
    ],
)
async def test_a_fixed_offset_is_accepted_with_a_daylight_saving_note(
    emulator, app, typed, shown, zone
) -> None:
    sam = emulator.add_user("Sam")
    reply = await say(emulator, sam, f"/timezone {typed}")
    assert f"Time zone set to {shown}" in reply.text
    assert "doesn't follow daylight saving" in reply.text
    # A half-hour offset is kept as a place that never changes its clocks, and says which.
    assert ("I keep it as Asia/Kolkata" in reply.text) == (zone == "Asia/Kolkata")
    assert (await services(app).store.chat(sam.id)).timezone == zone
    saved = await say(emulator, sam, "/remind every day at 09:00")
    assert "Reminder set" in saved.text


async def test_a_fixed_offset_places_reminders_at_that_offset(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone UTC-4")
    saved = await say(emulator, sam, "/remind every day at 09:00")
    [row] = await services(app).store.reminders(sam.id)
    assert row.next_due_at == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    # Shown as the offset the person typed, never as tzdata's inverted Etc/GMT+4.
    assert "(UTC-04:00)" in saved.text
    for command in ("/taken", "/history"):
        shown = (await say(emulator, sam, command)).text
        assert "UTC-04:00" in shown
        assert "Etc/" not in shown


@pytest.mark.parametrize(("typed", "first"), [("EST", "US Eastern"), ("ist", "India")])
async def test_an_abbreviation_is_explained_and_its_places_offered_first(
    emulator, app, typed, first
) -> None:
    sam = emulator.add_user("Sam")
    reply = await say(emulator, sam, f"/timezone {typed}")
    assert "daylight saving" in reply.text
    assert labels(reply)[0].startswith(first)
    assert await services(app).store.chat(sam.id) is None  # nothing set until a place is picked
    query = await emulator.press_button(sam, reply, index=0)
    await emulator.wait_for_callback_answer(query)
    [done] = await emulator.wait_for_messages(sam.id, count=1)
    assert "Time zone set" in done.text
    assert (await services(app).store.chat(sam.id)).timezone != "UTC"


async def test_an_offset_no_zone_keeps_all_year_says_so(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    reply = await say(emulator, sam, "/timezone UTC-3:30")
    assert "No time zone stays at UTC-03:30 all year" in reply.text
    assert "UK (London)" in labels(reply)
    assert await services(app).store.chat(sam.id) is None


async def test_an_unreadable_zone_says_why_and_shows_the_picker(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    reply = await say(emulator, sam, "/timezone Narnia")
    assert "I don't know the time zone" in reply.text
    assert "UK (London)" in labels(reply)


async def test_changing_the_zone_asks_to_move_reminders_at_the_same_local_time(
    emulator, app
) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    await say(emulator, sam, "/remind every day at 09:00")
    await say(emulator, sam, "/remind every 4 weeks at 10:00 for Mum")
    asked = await say(emulator, sam, "/timezone New York")
    assert "2 reminders in another time zone" in asked.text
    assert labels(asked) == ["Move to America/New_York", "Leave them"]
    await press(emulator, sam, asked, text="Move to America/New_York")
    assert "Moved 2 reminders" in asked.text
    rows = await services(app).store.reminders(sam.id)
    assert {row.timezone for row in rows} == {"America/New_York"}
    # 09:00 and 10:00 on a New York clock, on the day each was next due in London.
    assert [row.next_due_at for row in rows] == [
        datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
    ]


async def test_changing_the_zone_can_leave_reminders_where_they_are(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    await say(emulator, sam, "/remind every day at 09:00")
    [before] = await services(app).store.reminders(sam.id)
    asked = await say(emulator, sam, "/timezone UTC+5:30")
    assert "1 reminder in another time zone" in asked.text
    assert labels(asked) == ["Move to UTC+05:30", "Leave it"]
    await press(emulator, sam, asked, text="Leave it")
    assert "stays in its own time zone" in asked.text
    assert await services(app).store.reminders(sam.id) == [before]
    assert (await services(app).store.chat(sam.id)).timezone == "Asia/Kolkata"


async def test_the_same_zone_again_asks_nothing(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    await say(emulator, sam, "/remind every day at 09:00")
    again = await say(emulator, sam, "/timezone Europe/London")
    assert "another time zone" not in again.text
    assert not again.buttons


async def test_reminders_is_one_message_with_a_button_to_open_each(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    for line in ["every day at 09:00", "every 4 weeks at 10:00 for Mum", "every week at 8 for Dad"]:
        await say(emulator, sam, f"/remind {line}")
    await say(emulator, sam, "/timezone New York")  # the question left unanswered: they stay
    await say(emulator, sam, "/remind every day at 21:00 for Dad")
    listed = await say(emulator, sam, "/reminders")
    assert len(emulator.messages(sam.id)) == 7  # 2 zones, 4 saved, 1 list
    rows = [line for line in listed.text.splitlines() if line[:2] in {"1.", "2.", "3.", "4."}]
    assert len(rows) == 4
    assert "for Mum" in rows[1]
    assert "(Europe/London)" in rows[0]  # not the chat's zone any more: it says which
    assert "(" not in rows[3]  # the chat's own zone goes without saying
    assert labels(listed) == [
        "1. every day at 09:00",
        "2. Mum: every 4 weeks at 10:00",
        "3. Dad: every week on Monday at 08:00",
        "4. Dad: every day at 21:00",
    ]
    await press(emulator, sam, listed, index=1)
    assert "for Mum" in listed.text
    assert "Next:" in listed.text
    await press(emulator, sam, listed, text="⏸ Pause")
    assert "Paused." in listed.text
    await press(emulator, sam, listed, text="« All reminders")
    assert "2. every 4 weeks at 10:00 for Mum: paused" in listed.text
    assert [row.active for row in await services(app).store.reminders(sam.id)] == [
        True,
        False,
        True,
        True,
    ]


async def test_delete_asks_first_and_keep_changes_nothing(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    await say(emulator, sam, "/remind every 4 weeks at 10:00 for Mum")
    listed = await say(emulator, sam, "/reminders")
    await press(emulator, sam, listed, index=0)
    await press(emulator, sam, listed, text="🗑 Delete")
    assert "can't be undone" in listed.text
    assert len(await services(app).store.reminders(sam.id)) == 1  # asking deletes nothing
    await press(emulator, sam, listed, text="Keep it")
    assert "Next:" in listed.text
    await press(emulator, sam, listed, text="🗑 Delete")
    await press(emulator, sam, listed, text="🗑 Yes, delete it")
    assert "Deleted the reminder every 4 weeks at 10:00 for Mum" in listed.text
    assert await services(app).store.reminders(sam.id) == []
    await press(emulator, sam, listed, text="« All reminders")
    assert "No reminders here yet" in listed.text


async def test_the_same_reminder_for_the_same_person_is_refused_plainly(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    await say(emulator, sam, "/remind every 4 weeks at 10:00 for Mum")
    again = await say(emulator, sam, "/remind every 4 weeks at 10am for mum")
    assert "already a reminder every 4 weeks at 10:00 for Mum" in again.text
    assert "Nothing was saved" in again.text
    assert "next Mon 30 Nov 10:00" in again.text
    dad = await say(emulator, sam, "/remind every 4 weeks at 10:00 for Dad")  # someone else: fine
    assert "Reminder set" in dad.text
    mine = await say(emulator, sam, "/remind every 4 weeks at 10:00")  # and for Sam: fine
    assert "Reminder set" in mine.text
    assert len(await services(app).store.reminders(sam.id)) == 3


async def test_monthly_reminders_on_different_days_at_one_time_are_both_kept(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    await say(emulator, sam, "/timezone London")
    first = await say(emulator, sam, "/remind every month at 09:00 from 1 December")
    fifteenth = await say(emulator, sam, "/remind every month at 09:00 from 15 December")
    assert "Reminder set: every month on the 1st at 09:00" in first.text
    assert "Reminder set: every month on the 15th at 09:00" in fifteenth.text
    again = await say(emulator, sam, "/remind every month at 9am from 15 January")
    assert "already a reminder every month on the 15th at 09:00" in again.text
    assert "Nothing was saved" in again.text
    assert len(await services(app).store.reminders(sam.id)) == 2


async def test_a_duplicate_in_a_group_is_refused_before_asking_consent(emulator, app) -> None:
    tom = emulator.add_user("Tom")
    group = emulator.add_group("Care", members=[tom], admins=[tom])
    await say(emulator, tom, "/timezone London", chat=group)
    consent = await say(emulator, tom, "/remind every day at 9 for Mum", chat=group)
    await press(emulator, tom, consent, text="Yes, show it here")
    await emulator.wait_for_messages(group.id, count=1)
    again = await say(emulator, tom, "/remind every day at 09:00 for Mum", chat=group)
    assert "already a reminder" in again.text
    assert not again.buttons
    assert len(await services(app).store.reminders(group.id)) == 1


async def test_not_helpful_offers_other_words_and_the_related_topics(emulator, app, faq) -> None:
    sam = emulator.add_user("Sam")
    answer = await say(emulator, sam, "how often do I need my b12 jab?")
    related = faq.catalog.topics["frequency"].related
    await emulator.press_button(sam, answer, text="👎 Not helpful")
    [offer] = await emulator.wait_for_messages(sam.id, count=1)
    assert "other words" in offer.text
    assert [data for row in offer.buttons for _, data in row] == [
        "h:ask",
        *(f"t:{topic}" for topic in related),
        "m:",
    ]
    assert (await services(app).store.feedback_counts())[("frequency", False)] == 1
    query = await emulator.press_button(sam, offer, text="✍️ Ask in other words")
    await emulator.wait_for_callback_answer(query)
    [prompt] = await emulator.wait_for_messages(sam.id, count=1)
    assert "your own words" in prompt.text
    query = await emulator.press_button(sam, offer, index=1)
    await emulator.wait_for_callback_answer(query)
    [opened] = await emulator.wait_for_messages(sam.id, count=1)
    assert opened.text.startswith(faq.catalog.topics[related[0]].title)


async def test_helpful_offers_nothing_more(emulator, app) -> None:
    sam = emulator.add_user("Sam")
    answer = await say(emulator, sam, "how often do I need my b12 jab?")
    await press(emulator, sam, answer, text="👍 Helpful")
    # The next message is the reply to /help, not an offer that came after the 👍.
    assert "How to use me" in (await say(emulator, sam, "/help")).text


@pytest.mark.parametrize(
    ("typed", "carries"),
    [
        ("/about", False),
        ("/privacy", False),
        ("how do reminders work here?", False),
        ("how often do I need my b12 jab?", True),
        ("what's the weather in leeds", True),  # the fallback: it may have been a medical question
    ],
)
async def test_the_clinician_line_only_where_it_means_something(
    emulator, app, renderer, typed, carries
) -> None:
    sam = emulator.add_user("Sam")
    reply = await say(emulator, sam, typed)
    line = visible_text(renderer.clinician_line)
    assert reply.text.rstrip().endswith(line) == carries
