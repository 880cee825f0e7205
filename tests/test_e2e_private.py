"""End to end, private chats: the real Application against the emulator over loopback HTTP."""

from __future__ import annotations

import pytest
from telegram import BotCommandScopeAllPrivateChats

from bot.telegram.handlers.buttons import EXPIRED
from tests.conftest import eventually

pytestmark = pytest.mark.asyncio
CLINICIAN = "doctor, nurse or pharmacist"


async def press(emulator, user, message, **which):
    """Press a button and wait until the bot has answered the query and edited the message."""
    edits = message.edits  # BotMessage objects are live: remember the count before
    query = await emulator.press_button(user, message, **which)
    answer = await emulator.wait_for_callback_answer(query)
    assert await eventually(lambda: message.edits > edits), "the bot did not edit the message"
    return answer


async def ask(emulator, user, text: str):
    await emulator.send_message(user, text)
    [reply] = await emulator.wait_for_messages(user.id, count=1)
    return reply


async def test_start_welcomes_with_buttons_and_menus_are_set(emulator, bot) -> None:
    user = emulator.add_user("Ada")
    reply = await ask(emulator, user, "/start")
    assert "Ada" in reply.text
    assert "not a doctor" in reply.text
    assert [row[0][1] for row in reply.buttons] == ["h:ask", "h:topics", "h:reminders"]
    commands = await bot.bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())
    menu = {c.command for c in commands}
    assert menu >= {"start", "help", "topics", "about", "privacy"}
    assert menu >= {"remind", "reminders", "taken", "history", "timezone"}


async def test_deep_link_opens_a_topic(emulator, bot, catalog) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "/start maintenance-dose")
    assert catalog.topics["maintenance-dose"].title in reply.text
    assert reply.text.rstrip().endswith(reply.text.rstrip().splitlines()[-1])
    assert CLINICIAN in reply.text


async def test_a_question_gets_its_answer_with_related_topics_and_feedback(
    emulator, bot, catalog
) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "how often do I need my b12 jab?")
    topic = catalog.topics["frequency"]
    assert reply.text.startswith(topic.title)
    assert CLINICIAN in reply.text.splitlines()[-1]
    data = [button[1] for row in reply.buttons for button in row]
    assert data == [*(f"t:{r}" for r in topic.related), "f:frequency:y", "f:frequency:n"]


async def test_an_emergency_gets_urgent_care_first_and_nothing_else(emulator, bot) -> None:
    user = emulator.add_user()
    reply = await ask(
        emulator, user, "what's the maintenance dose? also my lips and tongue are swelling"
    )
    assert reply.text.startswith("🚨")
    for number in ("999", "112", "911"):
        assert number in reply.text
    assert reply.buttons == []


@pytest.mark.parametrize(
    "text",
    [
        # no sign of the taxonomy is said plainly: the learned nets call it (0.89)
        "my husband had two of his heart pills instead of one",
        # the poisoning sign reads "all 3 of her tablets" as an overdose; the nets would not
        "nan took all 3 of her tablets this morning, when is her next jab due",
    ],
)
async def test_a_page_the_nets_doubt_leaves_a_way_on_below_it(emulator, bot, catalog, text) -> None:
    """The page stays whole; the topic it would otherwise have answered with opens as a new
    message."""
    user = emulator.add_user()
    page = await ask(emulator, user, text)
    assert page.text.startswith("🚨")
    assert "Did I misread you?" in page.text.split("911")[-1]
    data = [button[1] for row in page.buttons for button in row]
    assert data
    assert all(d.startswith("t:") for d in data)
    query = await emulator.press_button(user, page, index=0)
    await emulator.wait_for_callback_answer(query)
    [answer] = await emulator.wait_for_messages(user.id, count=1)
    assert answer.text.startswith(catalog.topics[data[0].removeprefix("t:")].title)
    assert page.edits == 0


async def test_an_alarming_sign_asked_about_gets_the_banner_then_the_answer(emulator, bot) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "can b12 injections cause chest pain?")
    first_line = reply.text.splitlines()[0]
    assert first_line.startswith("⚠️")
    assert all(number in first_line for number in ("999", "112", "911"))
    assert CLINICIAN in reply.text.splitlines()[-1]


async def test_clarify_and_fallback_carry_the_emergency_numbers(emulator, bot) -> None:
    user = emulator.add_user()
    # the last in another language: the bot cannot read it for an emergency, so the numbers
    for text in (
        "b12 injection",
        "what colour is a giraffe",
        "no puedo respirar, ayúdame por favor",
    ):
        reply = await ask(emulator, user, text)
        assert "999" in reply.text, text
        assert "911" in reply.text, text


async def test_clarify_then_pick_edits_the_message_into_the_answer(emulator, bot, catalog) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "b12 injection")
    assert "Did you mean" in reply.text
    picks = [(text, data) for row in reply.buttons for text, data in row if data.startswith("p:")]
    assert picks
    await press(emulator, user, reply, text=picks[0][0])
    assert reply.text.startswith(catalog.topics[picks[0][1][2:]].title)
    assert len(emulator.messages(user.id)) == 1  # edited in place, nothing new


async def test_fallback_shows_the_menu_which_opens_sections_and_topics(
    emulator, bot, catalog
) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "what's the weather in Paris tomorrow")
    assert "only help with questions about" in reply.text
    assert [row[0][1] for row in reply.buttons] == [f"m:{i}" for i in range(len(catalog.menu))]
    await press(emulator, user, reply, index=0)
    first_topic = catalog.menu[0].topics[0]
    assert reply.buttons[0][0][1] == f"t:{first_topic}"
    query = await emulator.press_button(user, reply, index=0)
    await emulator.wait_for_callback_answer(query)
    [answer] = await emulator.wait_for_messages(user.id, count=1)
    assert answer.text.startswith(catalog.topics[first_topic].title)


async def test_feedback_is_counted_per_topic_and_the_buttons_go(emulator, bot) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "how often do I need my b12 jab?")
    answer = await press(emulator, user, reply, text="👍 Helpful")
    assert "Thanks" in answer["text"]
    assert all(not data.startswith("f:") for row in reply.buttons for _, data in row)
    assert (await bot.bot_data["services"].store.feedback_counts())[("frequency", True)] == 1


@pytest.mark.parametrize(
    "forged", ["t:no-such-topic", "h:delete-all", "f:frequency:maybe", "m:99", "x" * 64]
)
async def test_forged_button_data_expires_politely_and_changes_nothing(
    emulator, bot, forged
) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, "how often do I need my b12 jab?")
    before = [(m.message_id, m.html, m.buttons) for m in emulator.messages(user.id)]
    query = await emulator.press_button(user, reply, data=forged)
    answer = await emulator.wait_for_callback_answer(query)
    assert answer["text"] == EXPIRED
    assert [(m.message_id, m.html, m.buttons) for m in emulator.messages(user.id)] == before


@pytest.mark.parametrize("kind", ["send_photo", "send_sticker", "send_voice", "send_document"])
async def test_non_text_messages_get_a_friendly_word(emulator, bot, kind) -> None:
    user = emulator.add_user()
    await getattr(emulator, kind)(user)
    [reply] = await emulator.wait_for_messages(user.id, count=1)
    assert "only read" in reply.text


async def test_edited_messages_and_unknown_commands_are_answered(emulator, bot) -> None:
    user = emulator.add_user()
    original = await emulator.send_message(user, "how often do I need my jab")
    await emulator.wait_for_messages(user.id, count=1)
    await emulator.edit_user_message(user, original, "how often do I need my b12 jab")
    [edited] = await emulator.wait_for_messages(user.id, count=1)
    assert "edited" in edited.text
    reply = await ask(emulator, user, "/frobnicate")
    assert "don't know that command" in reply.text


async def test_a_very_long_message_asks_for_a_short_question_but_triage_still_reads_it(
    emulator, bot
) -> None:
    user = emulator.add_user()
    story = "My mum has been on injections for years and the nurse visits. " * 40
    reply = await ask(emulator, user, story)
    assert "long message" in reply.text
    reply = await ask(emulator, user, story + " Now she has collapsed and won't wake up.")
    assert reply.text.startswith("🚨")


@pytest.mark.parametrize(
    ("command", "expect"),
    [("/help", "How to use me"), ("/about", "About"), ("/privacy", "/forget")],
)
async def test_information_commands(emulator, bot, command, expect) -> None:
    user = emulator.add_user()
    reply = await ask(emulator, user, command)
    assert expect in reply.text


async def test_home_buttons(emulator, bot, catalog) -> None:
    user = emulator.add_user()
    welcome = await ask(emulator, user, "/start")
    for index, expect in enumerate(
        ["your question", "Topics", catalog.topics["reminders-help"].title]
    ):
        query = await emulator.press_button(user, welcome, index=index)
        await emulator.wait_for_callback_answer(query)
        [reply] = await emulator.wait_for_messages(user.id, count=1)
        assert expect in reply.text
