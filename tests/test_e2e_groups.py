"""End to end, family and carer groups: privacy mode, /ask, mentions, replies, anonymous admins."""

from __future__ import annotations

import asyncio

import pytest
from telegram import BotCommandScopeAllGroupChats

pytestmark = pytest.mark.asyncio


@pytest.fixture
def family(emulator):
    mum, son, daughter = (
        emulator.add_user("Mum"),
        emulator.add_user("Tom"),
        emulator.add_user("Ann"),
    )
    group = emulator.add_group("Mum's care", members=[mum, son, daughter], admins=[daughter])
    return group, son, daughter


async def _quiet(emulator, chat_id: int, seconds: float = 0.4) -> None:
    """Give the bot time to (wrongly) answer, then check that it did not."""
    await asyncio.sleep(seconds)
    assert emulator.messages(chat_id) == []


async def test_group_commands_menu_is_set(emulator, bot) -> None:
    commands = await bot.bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
    menu = {c.command for c in commands}
    assert menu >= {"ask", "topics", "help"}
    assert menu >= {"remind", "reminders", "taken", "history", "timezone"}


async def test_help_in_a_group_says_what_works_there(emulator, bot, family) -> None:
    group, son, _ = family
    await emulator.send_message(son, "/help", chat=group)
    [reply] = await emulator.wait_for_messages(group.id, count=1)
    assert "How to use me in this group" in reply.text
    assert f"mentions me (@{emulator.bot_username})" in reply.text
    assert "a reply to one of my messages" in reply.text
    menu = await bot.bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
    for command in menu:
        assert f"/{command.command}" in reply.text, command.command
    # Not the private help: no "type a question", and no command missing from the group menu.
    assert "in your own words" not in reply.text
    assert "/start" not in reply.text
    assert "/about" not in reply.text


async def test_being_added_to_a_group_greets_it(emulator, bot) -> None:
    member = emulator.add_user("Bea")
    group = emulator.add_group("Carers", members=[member], admins=[member])
    await emulator.remove_bot_from_group(group, by=member)
    await emulator.add_bot_to_group(group, by=member)
    [hello] = await emulator.wait_for_messages(group.id, count=1)
    assert "/ask" in hello.text


async def test_ask_answers_and_quotes_the_asker(emulator, bot, family, catalog) -> None:
    group, son, _ = family
    question = await emulator.send_message(son, "/ask how often is mum's b12 jab", chat=group)
    [reply] = await emulator.wait_for_messages(group.id, count=1)
    assert reply.text.startswith(catalog.topics["frequency"].title)
    assert reply.reply_to_message_id == question["message_id"]


async def test_ask_without_a_question_shows_how(emulator, bot, family) -> None:
    group, son, _ = family
    await emulator.send_message(son, "/ask", chat=group)
    [reply] = await emulator.wait_for_messages(group.id, count=1)
    assert "/ask how often" in reply.text


async def test_mentions_and_replies_to_the_bot_are_answered(emulator, bot, family, catalog) -> None:
    group, son, daughter = family
    await emulator.send_message(
        son, f"@{emulator.bot_username} mum's jab is late, what now?", chat=group
    )
    [first] = await emulator.wait_for_messages(group.id, count=1)
    assert first.text.startswith(catalog.topics["missed-dose"].title)
    await emulator.send_message(
        daughter, "and what are the side effects of the injection?", chat=group, reply_to=first
    )
    [second] = await emulator.wait_for_messages(group.id, count=1)
    assert second.text.startswith(catalog.topics["side-effects"].title)


async def test_ordinary_chatter_is_ignored_in_privacy_mode_and_without_it(
    emulator, bot, family
) -> None:
    group, son, _ = family
    await emulator.send_message(son, "what time is dinner? mum's jab went fine btw", chat=group)
    await emulator.send_message(son, "/ask@some_other_bot hello", chat=group)
    await _quiet(emulator, group.id)
    open_group = emulator.add_group("No privacy", members=[son], admins=[son], privacy_mode=False)
    await emulator.send_message(son, "how often is the b12 injection lol", chat=open_group)
    await emulator.send_photo(son, chat=open_group)
    await _quiet(emulator, open_group.id)


async def test_an_anonymous_admin_can_ask(emulator, bot, family, catalog) -> None:
    group, _, _ = family
    await emulator.send_anonymous_admin_message(
        group, "/ask what is the maintenance dose of b12 injections"
    )
    [reply] = await emulator.wait_for_messages(group.id, count=1)
    assert reply.text.startswith(catalog.topics["maintenance-dose"].title)


async def test_unknown_command_for_this_bot_is_answered_in_a_group(emulator, bot, family) -> None:
    group, son, _ = family
    await emulator.send_message(son, f"/frobnicate@{emulator.bot_username}", chat=group)
    [reply] = await emulator.wait_for_messages(group.id, count=1)
    assert "don't know that command" in reply.text


async def test_a_photo_in_reply_to_the_bot_gets_the_text_only_note(emulator, bot, family) -> None:
    group, son, _ = family
    await emulator.send_message(son, "/ask how often is the injection", chat=group)
    [answer] = await emulator.wait_for_messages(group.id, count=1)
    await emulator.send_photo(son, chat=group, reply_to=answer)
    [reply] = await emulator.wait_for_messages(group.id, count=1)
    assert "only read" in reply.text
