"""The Telegram emulator answers like Telegram: real HTTP over loopback, python-telegram-bot as
the client, Telegram's shapes and error texts, and every breach recorded as a violation."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.emulator import BotMessage, Emulator, MessagesTimeout, User, Violation
from tests.emulator_fixtures import ManualClock, emulator_bot, loopback_request

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Yes", callback_data="yes")],
        [InlineKeyboardButton("NHS page", url="https://www.nhs.uk/")],
    ]
)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator that records violations without failing: these tests break rules on purpose."""
    async with Emulator() as running:
        yield running


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[Bot]:
    """python-telegram-bot's own Bot, initialised (getMe) against the emulator."""
    async with emulator_bot(emu) as bot:
        yield bot


async def started(emu: Emulator, name: str = "Alice") -> User:
    """A user who has written to the bot, so the bot may write back."""
    user = emu.add_user(name)
    await emu.send_message(user, "/start")
    return user


async def raw_call(
    emu: Emulator, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """Call the Bot API with a JSON body, as clients other than python-telegram-bot do."""
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{emu.base_url}{token or emu.token}/{method}", json=params)
    body = response.json()
    assert body["ok"] is (response.status_code == 200)
    if not body["ok"]:
        assert body["error_code"] == response.status_code
    return response.status_code, body


@pytest.fixture
def future_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to RetryAfter.retry_after as a timedelta, as PTB will have it (no deprecation)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def descriptions(emu: Emulator) -> list[str]:
    return [violation.description for violation in emu.violations]


# --- the bot, tokens, methods -------------------------------------------------------------


async def test_get_me_has_telegrams_shape(emu: Emulator, client: Bot) -> None:
    me = await client.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "b12_test_bot")
    assert me.can_join_groups is True
    assert me.can_read_all_group_messages is False
    status, body = await raw_call(emu, "getMe")
    assert status == 200
    assert set(body["result"]) >= {"id", "is_bot", "first_name", "username", "can_join_groups"}


async def test_wrong_token_unknown_method_and_method_case(emu: Emulator) -> None:
    assert await raw_call(emu, "getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (await raw_call(emu, "getMe", token="not-a-token"))[0] == 404
    assert await raw_call(emu, "sendPigeon") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (await raw_call(emu, "getme"))[0] == 200  # Bot API methods are case-insensitive
    wrong = Bot(
        "123456:WRONG",
        base_url=emu.base_url,
        request=loopback_request(),
        get_updates_request=loopback_request(),
    )
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()
    assert descriptions(emu) == ["Unauthorized", "Not Found", "Not Found", "Unauthorized"]


async def test_requests_are_recorded_typed_and_without_the_token(
    emu: Emulator, client: Bot
) -> None:
    alice = await started(emu)
    await client.send_message(alice.id, "hello", disable_notification=True)
    method, params = emu.requests[-1]
    assert method == "sendMessage"
    assert params == {"chat_id": alice.id, "text": "hello", "disable_notification": True}
    assert emu.token not in repr(emu.requests)


# --- sending messages ---------------------------------------------------------------------


async def test_html_and_keyboard_round_trip_into_ptb_message(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    markup = '<b>Dose</b> 👋 <i>1 mg</i> &amp; <a href="https://www.nhs.uk/">NHS</a>'
    sent = await client.send_message(
        alice.id, markup, parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    assert sent.text == "Dose 👋 1 mg & NHS"
    assert sent.from_user.username == "b12_test_bot"
    assert sent.chat.id == alice.id
    # UTF-16 offsets: the emoji counts twice.
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 4),
        ("italic", 8, 4),
        ("text_link", 15, 3),
    ]
    assert sent.entities[2].url == "https://www.nhs.uk/"
    assert sent.reply_markup == KEYBOARD
    [seen] = emu.messages(alice.id)
    assert seen == BotMessage(
        message_id=sent.message_id,
        chat_id=alice.id,
        text=sent.text,
        html=markup,
        buttons=[[("Yes", "yes")], [("NHS page", "https://www.nhs.uk/")]],
        reply_to_message_id=None,
        payload=seen.payload,
    )
    assert emu.violations == []


async def test_message_ids_increase_per_chat(emu: Emulator, client: Bot) -> None:
    alice, bob = await started(emu, "Alice"), await started(emu, "Bob")
    first = await client.send_message(alice.id, "one")
    second = await client.send_message(alice.id, "two")
    other = await client.send_message(bob.id, "one")
    assert (first.message_id, second.message_id, other.message_id) == (2, 3, 2)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            "<s>a</s><u>b</u><code>c</code>",
            [("strikethrough", 0, 1), ("underline", 1, 1), ("code", 2, 1)],
        ),
        ('<pre><code class="language-python">x = 1</code></pre>', [("pre", 0, 5)]),
        ("<blockquote>quote</blockquote>", [("blockquote", 0, 5)]),
        ("<blockquote expandable>long</blockquote>", [("expandable_blockquote", 0, 4)]),
        ("<b>bold <i>both</i></b>", [("bold", 0, 9), ("italic", 5, 4)]),
        ("  <b>trimmed</b>  \n", [("bold", 0, 7)]),
        ("see https://www.nhs.uk and /help", [("url", 4, 18), ("bot_command", 27, 5)]),
    ],
)
async def test_html_entities(
    emu: Emulator, client: Bot, markup: str, expected: list[tuple[str, int, int]]
) -> None:
    alice = await started(emu)
    sent = await client.send_message(alice.id, markup, parse_mode=ParseMode.HTML)
    assert [(e.type, e.offset, e.length) for e in sent.entities] == expected
    if "language-python" in markup:
        assert sent.entities[0].language == "python"


async def test_spoilers_custom_emoji_and_user_mentions(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    markup = (
        '<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        f'<a href="tg://user?id={alice.id}">Alice</a>'
    )
    sent = await client.send_message(alice.id, markup, parse_mode=ParseMode.HTML)
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("spoiler", 0, 1),
        ("spoiler", 1, 1),
        ("custom_emoji", 2, 2),
        ("text_mention", 4, 5),
    ]
    assert sent.entities[2].custom_emoji_id == "5368324170671202286"
    assert sent.entities[3].user.id == alice.id


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Bad Request: message text is empty"),
        ("<b></b>", "Bad Request: message text is empty"),
        ("  \n ", "Bad Request: text must be non-empty"),
        ("x" * 4097, "Bad Request: message is too long"),
        ("💉" * 2049, "Bad Request: message is too long"),  # 2049 characters, 4098 UTF-16 units
        ("<p>paragraph</p>", 'Bad Request: can\'t parse entities: Unsupported start tag "p"'),
        ("<b>unclosed", 'Bad Request: can\'t parse entities: Unclosed tag "b"'),
        ("fish & chips", 'Bad Request: can\'t parse entities: Unescaped "&" in text'),
    ],
)
async def test_text_rules(emu: Emulator, client: Bot, text: str, error: str) -> None:
    alice = await started(emu)
    with pytest.raises(BadRequest) as raised:
        await client.send_message(alice.id, text, parse_mode=ParseMode.HTML)
    assert raised.value.message.lower() == error.removeprefix("Bad Request: ").lower()
    assert [(v.method, v.description) for v in emu.violations] == [("sendMessage", error)]
    assert "text=<" in emu.violations[0].payload  # its length, never the words


async def test_the_longest_message_is_accepted(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    sent = await client.send_message(alice.id, "💉" * 2048)
    assert len(sent.text) == 2048
    assert emu.violations == []


async def test_reply_parameters(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    question = await emu.send_message(alice, "how often?")
    sent = await client.send_message(
        alice.id, "every 3 months", reply_parameters=ReplyParameters(question["message_id"])
    )
    assert sent.reply_to_message.text == "how often?"
    assert emu.messages(alice.id)[0].reply_to_message_id == question["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await client.send_message(alice.id, "x", reply_parameters=ReplyParameters(999))
    lenient = ReplyParameters(999, allow_sending_without_reply=True)
    assert (
        await client.send_message(alice.id, "x", reply_parameters=lenient)
    ).reply_to_message is None


async def test_chat_not_found(emu: Emulator, client: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await client.send_message(987654321, "hello")
    with pytest.raises(BadRequest, match=r"(?i)^chat not found$"):
        await client.send_message("@somebody", "hello")
    assert descriptions(emu) == ["Bad Request: chat not found"] * 2


async def test_the_bot_cannot_write_first(emu: Emulator, client: Bot) -> None:
    carol = emu.add_user("Carol")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await client.send_message(carol.id, "hello")
    await emu.send_message(carol, "hi")
    await client.send_message(carol.id, "hello")
    assert emu.violations == []


# --- inline keyboards ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("button", "error"),
    [
        ({"text": "x", "callback_data": "é" * 33}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"text": "x", "callback_data": ""},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "x", "callback_data": "a", "url": "https://example.org/"},
            "Bad Request: can't parse inline keyboard button: "
            "exactly one of the optional fields must be used",
        ),
        ({"text": "", "callback_data": "a"}, "Bad Request: BUTTON_TEXT_INVALID"),
        (
            {"callback_data": "a"},
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\"",
        ),
        (
            {"text": "x", "url": "ftp://example.org"},
            "Bad Request: inline keyboard button URL 'ftp://example.org' is invalid: "
            "Unsupported URL protocol",
        ),
    ],
)
async def test_keyboard_rules(emu: Emulator, button: dict[str, str], error: str) -> None:
    alice = await started(emu)
    markup = {"inline_keyboard": [[button]]}
    status, body = await raw_call(
        emu, "sendMessage", chat_id=alice.id, text="t", reply_markup=markup
    )
    assert (status, body["description"]) == (400, error)
    assert descriptions(emu) == [error]
    assert emu.messages(alice.id) == []


async def test_callback_data_is_limited_to_64_bytes(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32)]])
    await client.send_message(alice.id, "t", reply_markup=fits)
    assert emu.violations == []
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="é" * 32 + "x")]])
    with pytest.raises(BadRequest, match=r"(?i)^button_data_invalid$"):
        await client.send_message(alice.id, "t", reply_markup=too_long)
    [violation] = emu.violations
    assert violation.payload.endswith("(row 1, button 1: callback_data is 65 bytes)")


# --- editing and deleting -----------------------------------------------------------------


async def test_edits_not_modified_and_keyboard_removal(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    sent = await client.send_message(
        alice.id, "<b>Due</b>", parse_mode=ParseMode.HTML, reply_markup=KEYBOARD
    )
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await client.edit_message_text(
            "<b>Due</b>",
            alice.id,
            sent.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=KEYBOARD,
        )
    edited = await client.edit_message_text("Done", alice.id, sent.message_id)
    assert edited.text == "Done"
    assert edited.reply_markup is None  # an edit that does not repeat the keyboard drops it
    assert edited.edit_date is not None
    [seen] = emu.messages(alice.id)
    assert (seen.text, seen.html, seen.buttons, seen.edits) == ("Done", "Done", [], 1)
    again = await client.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=KEYBOARD)
    assert again.reply_markup == KEYBOARD
    assert seen.buttons[0] == [("Yes", "yes")]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await client.edit_message_text("x", alice.id, 999)
    assert descriptions(emu) == [
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message",
        "Bad Request: message to edit not found",
    ]


async def test_the_bot_cannot_edit_user_messages(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await client.edit_message_text("hijacked", alice.id, 1)


async def test_delete_message(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    sent = await client.send_message(alice.id, "oops")
    assert await client.delete_message(alice.id, sent.message_id) is True
    assert emu.messages(alice.id)[0].deleted is True
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await client.delete_message(alice.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await client.edit_message_text("back", alice.id, sent.message_id)


# --- callback queries ---------------------------------------------------------------------


async def test_press_button_and_answer(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    sent = await client.send_message(alice.id, "Taken?", reply_markup=KEYBOARD)
    [message] = await emu.wait_for_messages(alice.id)
    query_id = await emu.press_button(alice, message, text="Yes")
    updates = await client.get_updates()
    query = updates[-1].callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "yes", alice.id)
    assert query.message.message_id == sent.message_id
    assert query.chat_instance
    assert await query.answer("Noted", show_alert=True) is True
    answer = await emu.wait_for_callback_answer(query_id, timeout=1)
    assert answer == {"callback_query_id": query_id, "text": "Noted", "show_alert": True}
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await client.answer_callback_query(query_id)  # an answer is given once
    assert emu.unanswered_callback_queries() == []


async def test_forged_callback_data_and_wrong_buttons(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    await client.send_message(alice.id, "Taken?", reply_markup=KEYBOARD)
    [message] = await emu.wait_for_messages(alice.id)
    await emu.press_button(alice, message, data="admin:delete_everything")
    assert (await client.get_updates())[-1].callback_query.data == "admin:delete_everything"
    assert (await emu.press_button(alice, message, index=0)).isdigit()
    with pytest.raises(ValueError, match="opens a link"):
        await emu.press_button(alice, message, index=1)
    with pytest.raises(ValueError, match="no button labelled"):
        await emu.press_button(alice, message, text="Maybe")
    bob = await started(emu, "Bob")
    with pytest.raises(ValueError, match="own private chat"):
        await emu.press_button(bob, message, index=0)


async def test_callback_query_rules() -> None:
    clock = ManualClock()
    async with Emulator(clock=clock) as emu, emulator_bot(emu) as client:
        alice = await started(emu)
        await client.send_message(alice.id, "Taken?", reply_markup=KEYBOARD)
        [message] = await emu.wait_for_messages(alice.id)
        late = await emu.press_button(alice, message, index=0)
        ignored = await emu.press_button(alice, message, index=0)
        with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
            await client.answer_callback_query(late, text="x" * 201)
        clock.advance(16)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await client.answer_callback_query(late)
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await client.answer_callback_query("12345")
        assert emu.unanswered_callback_queries() == [late, ignored]
        assert emu.unanswered_callback_queries() == [late, ignored]  # recorded once each
        assert descriptions(emu) == [
            "Bad Request: MESSAGE_TOO_LONG",
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
            "Bad Request: query is too old and response timeout expired or query ID is invalid",
            "callback query was never answered",
            "callback query was never answered",
        ]


# --- getUpdates ---------------------------------------------------------------------------


async def test_updates_are_delivered_at_least_once(emu: Emulator, client: Bot) -> None:
    alice = emu.add_user("Alice")
    await emu.send_message(alice, "one")
    await emu.send_message(alice, "two")
    first = await client.get_updates()
    assert [u.message.text for u in first] == ["one", "two"]
    assert [u.update_id for u in await client.get_updates()] == [u.update_id for u in first]
    assert len(await client.get_updates(offset=first[0].update_id + 1)) == 1
    assert len(await client.get_updates(limit=1)) == 1
    assert await client.get_updates(offset=first[-1].update_id + 1) == ()
    await emu.send_message(alice, "three")
    await emu.send_message(alice, "four")
    assert [u.message.text for u in await client.get_updates(offset=-1)] == ["four"]
    await emu.send_message(alice, "five")
    assert await client.delete_webhook(drop_pending_updates=True) is True
    assert await client.get_updates() == ()


async def test_long_poll_returns_when_an_update_arrives(emu: Emulator, client: Bot) -> None:
    alice = emu.add_user("Alice")
    loop = asyncio.get_running_loop()
    started_at = loop.time()
    poll = asyncio.create_task(client.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await emu.send_message(alice, "hello")
    [update] = await asyncio.wait_for(poll, 1)
    assert update.message.text == "hello"
    assert loop.time() - started_at < 1


async def test_long_poll_times_out_empty(emu: Emulator, client: Bot) -> None:
    assert await client.get_updates(timeout=0.1) == ()


async def test_a_second_bot_instance_terminates_the_first_poll(emu: Emulator, client: Bot) -> None:
    first = asyncio.create_task(client.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    async with emulator_bot(emu) as second_instance:
        assert await second_instance.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first
    assert descriptions(emu) == [
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    ]


async def test_allowed_updates_persist_and_apply_to_new_updates(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    await client.send_message(alice.id, "Taken?", reply_markup=KEYBOARD)
    [message] = await emu.wait_for_messages(alice.id)
    before = await client.get_updates(allowed_updates=["callback_query"])
    assert [u.message.text for u in before] == ["/start"]  # created before the filter
    await emu.send_message(alice, "filtered out")
    await emu.press_button(alice, message, index=0)
    updates = await client.get_updates(offset=before[-1].update_id + 1)  # no allowed_updates: kept
    assert [u.effective_message.text for u in updates] == ["Taken?"]
    assert updates[0].callback_query is not None
    await client.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[])
    await emu.send_message(alice, "back to default")
    assert [u.message.text for u in await client.get_updates()] == ["back to default"]


# --- privacy mode in groups ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delivered"),
    [
        ("/help", True),
        ("/help@b12_test_bot", True),
        ("/help@B12_Test_Bot extra words", True),
        ("/help@other_bot", False),
        ("hello everyone", False),
        ("hi @b12_test_bot, how often?", True),
        ("hi @other_bot", False),
        ("see /help", False),
    ],
)
async def test_privacy_mode_in_groups(
    emu: Emulator, client: Bot, text: str, delivered: bool
) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_group("Family", members=[alice])
    message = await emu.send_message(alice, text, chat=group)
    updates = await client.get_updates()
    assert [u.message.message_id for u in updates] == ([message["message_id"]] if delivered else [])


async def test_privacy_mode_replies_and_privacy_off(emu: Emulator, client: Bot) -> None:
    alice, bob = emu.add_user("Alice"), emu.add_user("Bob")
    group = emu.add_group("Family", members=[alice, bob], admins=[alice])
    open_group = emu.add_group("Carers", members=[alice], privacy_mode=False)
    from_bot = await client.send_message(group.id, "Reminder: jab today")
    chatter = await emu.send_message(bob, "ok", chat=group)
    await emu.send_message(alice, "thanks", chat=group, reply_to=chatter)
    reply = await emu.send_message(alice, "done", chat=group, reply_to=from_bot.to_dict())
    await emu.send_message(alice, "anything", chat=open_group)
    photo = await emu.send_photo(alice, chat=group, caption="for @b12_test_bot")
    await emu.send_sticker(bob, chat=group)
    texts = [u.message.text or u.message.caption for u in await client.get_updates()]
    assert texts == ["done", "anything", "for @b12_test_bot"]
    assert reply["reply_to_message"]["message_id"] == from_bot.message_id
    assert photo["caption_entities"] == [{"type": "mention", "offset": 4, "length": 13}]


async def test_user_message_shapes(emu: Emulator, client: Bot) -> None:
    alice = emu.add_user("Alice", username="alice_b12", language_code="de")
    group = emu.add_group("Family", members=[alice])
    command = await emu.send_message(alice, "/remind@b12_test_bot 09:00", chat=group)
    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 20}]
    assert command["chat"] == {"id": group.id, "title": "Family", "type": "group"}
    assert command["from"] == {
        "id": alice.id,
        "is_bot": False,
        "first_name": "Alice",
        "username": "alice_b12",
        "language_code": "de",
    }
    await emu.send_voice(alice)
    await emu.send_document(alice, file_name="letter.pdf", caption="from the GP")
    await emu.send_photo(alice)
    updates = await client.get_updates()
    assert updates[0].message.text == "/remind@b12_test_bot 09:00"
    assert updates[1].message.voice.mime_type == "audio/ogg"
    assert updates[2].message.document.file_name == "letter.pdf"
    assert updates[2].message.document.mime_type == "application/pdf"
    assert [p.width for p in updates[3].message.photo] == [90, 320, 1280]


async def test_anonymous_admin_and_edited_messages(emu: Emulator, client: Bot) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_group("Family", members=[alice], admins=[alice], supergroup=True)
    await emu.send_anonymous_admin_message(group, "/settings")
    message = await emu.send_message(alice, "/remind 9:00")
    await emu.edit_user_message(alice, message, "/remind 10:00")
    anonymous, _, edited = await client.get_updates()
    assert anonymous.message.from_user.id == 1087968824
    assert anonymous.message.from_user.username == "GroupAnonymousBot"
    assert anonymous.message.sender_chat.id == group.id
    assert group.id < -1_000_000_000_000
    assert edited.edited_message.text == "/remind 10:00"
    assert edited.edited_message.message_id == message["message_id"]


# --- groups, members, commands ------------------------------------------------------------


async def test_chat_members_and_administrators(emu: Emulator, client: Bot) -> None:
    alice, bob, carol = (emu.add_user(name) for name in ("Alice", "Bob", "Carol"))
    group = emu.add_group("Family", members=[bob], admins=[alice, carol])
    assert group.creator == alice
    statuses = [
        (await client.get_chat_member(group.id, user.id)).status for user in (alice, carol, bob)
    ]
    assert statuses == ["creator", "administrator", "member"]
    stranger = emu.add_user("Dan")
    assert (await client.get_chat_member(group.id, stranger.id)).status == "left"
    assert (await client.get_chat_member(group.id, 123456)).status == "member"
    admins = await client.get_chat_administrators(group.id)
    assert [(a.user.id, a.status) for a in admins] == [
        (alice.id, "creator"),
        (carol.id, "administrator"),
    ]
    assert admins[1].can_delete_messages is True
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await client.get_chat_administrators(alice.id)
    chat = await client.get_chat(group.id)
    assert (chat.id, chat.title, chat.type) == (group.id, "Family", "group")
    assert (await client.get_chat(alice.id)).first_name == "Alice"


async def test_commands_are_kept_per_scope_and_language(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    private = [BotCommand("start", "Start"), BotCommand("remind", "Set a reminder")]
    groups = [BotCommand("help", "Help")]
    assert await client.set_my_commands(private) is True
    await client.set_my_commands(groups, scope=BotCommandScopeAllGroupChats())
    await client.set_my_commands(groups, scope=BotCommandScopeChat(alice.id), language_code="de")
    assert [c.command for c in await client.get_my_commands()] == ["start", "remind"]
    assert [c.command for c in await client.get_my_commands(BotCommandScopeAllGroupChats())] == [
        "help"
    ]
    assert await client.get_my_commands(BotCommandScopeChat(alice.id)) == ()
    assert emu.commands({"type": "chat", "chat_id": alice.id}, "de") == [
        {"command": "help", "description": "Help"}
    ]
    await client.delete_my_commands()
    assert await client.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await client.set_my_commands([BotCommand("Remind-Me", "x")])
    with pytest.raises(BadRequest, match=r"(?i)command description must be non-empty"):
        await client.set_my_commands([BotCommand("remind", "")])
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await client.set_my_commands(groups, scope=BotCommandScopeChat(-42))


async def test_chat_action(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    assert await client.send_chat_action(alice.id, "typing") is True
    status, body = await raw_call(emu, "sendChatAction", chat_id=alice.id, action="dancing")
    assert (status, body["description"]) == (400, "Bad Request: wrong parameter action in request")


async def test_documents_and_photos(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    sent = await client.send_document(
        alice.id,
        b"%PDF-1.4 plan",
        filename="plan.pdf",
        caption="<b>Your</b> plan",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document.file_name == "plan.pdf"
    assert sent.document.mime_type == "application/pdf"
    assert sent.document.file_size == 13
    assert sent.caption == "Your plan"
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities] == [("bold", 0, 4)]
    again = await client.send_document(alice.id, sent.document.file_id)
    assert again.document.file_unique_id == sent.document.file_unique_id
    photo = await client.send_photo(alice.id, b"\x89PNG fake")
    assert [p.width for p in photo.photo] == [90, 320, 1280]
    assert (await client.send_photo(alice.id, photo.photo[-1].file_id)).photo == photo.photo
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await client.send_document(alice.id, "not-a-file-id")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await client.send_document(alice.id, b"x", filename="x.txt", caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await client.edit_message_text("x", alice.id, sent.message_id)
    status, body = await raw_call(emu, "sendPhoto", chat_id=alice.id)
    assert (status, body["description"]) == (400, "Bad Request: there is no photo in the request")
    assert [m.text for m in emu.messages(alice.id)][:1] == ["Your plan"]


# --- faults -------------------------------------------------------------------------------


async def test_blocked_user(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    emu.block(alice)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await client.send_message(alice.id, "Reminder")
    emu.unblock(alice)
    await client.send_message(alice.id, "Reminder")
    changes = [u.my_chat_member for u in await client.get_updates() if u.my_chat_member]
    assert [(c.old_chat_member.status, c.new_chat_member.status) for c in changes] == [
        ("member", "kicked"),
        ("kicked", "member"),
    ]
    assert changes[0].chat.id == alice.id
    assert changes[0].from_user.id == alice.id
    assert emu.violations == []


async def test_writing_to_a_blocked_bot_unblocks_it(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    emu.block(alice)
    await emu.send_message(alice, "/start")
    await client.send_message(alice.id, "Welcome back")


async def test_migrated_group(emu: Emulator, client: Bot) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_group("Family", members=[alice], admins=[alice])
    old_id = group.id
    new_id = await emu.migrate_group(group)
    assert str(new_id).startswith("-100")
    assert group.id == new_id
    with pytest.raises(ChatMigrated) as raised:
        await client.send_message(old_id, "Reminder")
    assert raised.value.new_chat_id == new_id
    await client.send_message(new_id, "Reminder")
    old, new = (u.message for u in await client.get_updates())
    assert (old.chat.id, old.migrate_to_chat_id) == (old_id, new_id)
    assert (new.chat.id, new.chat.type, new.migrate_from_chat_id) == (new_id, "supergroup", old_id)
    assert emu.violations == []


async def test_kicked_removed_and_added_again(emu: Emulator, client: Bot) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_group("Family", members=[alice], admins=[alice])
    emu.kick_bot(group)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the group chat"):
        await client.send_message(group.id, "Reminder")
    await emu.add_bot_to_group(group, by=alice)
    await client.send_message(group.id, "Hello again")
    await emu.remove_bot_from_group(group, by=alice)
    with pytest.raises(Forbidden, match=r"(?i)bot is not a member of the group chat"):
        await client.send_message(group.id, "Reminder")
    updates = await client.get_updates()
    changes = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in updates
        if u.my_chat_member
    ]
    assert changes == [("member", "kicked"), ("kicked", "member"), ("member", "left")]
    service = [u.message for u in updates if u.message]
    assert service[0].new_chat_members[0].id == 123456
    assert service[1].left_chat_member.id == 123456


async def test_a_restricted_bot_reads_the_supergroup_but_may_not_post_or_type(
    emu: Emulator, client: Bot
) -> None:
    alice = emu.add_user("Alice")
    group = emu.add_group("Family", members=[alice], admins=[alice], supergroup=True)
    emu.restrict_bot(group)
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to send text messages"):
        await client.send_message(group.id, "Reminder")
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to send text messages"):
        await client.send_chat_action(group.id, ChatAction.TYPING)
    member = await client.get_chat_member(group.id, client.id)
    assert (member.status, member.is_member, member.can_send_messages) == (
        "restricted",
        True,
        False,
    )
    await emu.send_message(alice, "/start", chat=group)
    emu.unrestrict_bot(group)
    await client.send_chat_action(group.id, ChatAction.TYPING)
    await client.send_message(group.id, "Reminder")
    updates = await client.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/start"]  # read while restricted
    changes = [
        (u.my_chat_member.old_chat_member.status, u.my_chat_member.new_chat_member.status)
        for u in updates
        if u.my_chat_member
    ]
    assert changes == [("member", "restricted"), ("restricted", "member")]
    assert emu.violations == []


@pytest.mark.usefixtures("future_retry_after")
async def test_fail_next(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    emu.fail_next("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await client.send_message(alice.id, "Reminder")
    await client.send_message(alice.id, "Reminder")
    emu.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await client.send_message(alice.id, "Reminder")
    assert seconds(raised.value.retry_after) == 7
    assert len(emu.messages(alice.id)) == 1
    assert emu.violations == []


async def test_slow_replies_time_out_after_the_message_was_sent(emu: Emulator) -> None:
    alice = await started(emu)
    async with emulator_bot(emu, read_timeout=0.1) as slow:
        emu.delay = 0.5
        with pytest.raises(TimedOut):
            await slow.send_message(alice.id, "Reminder")
    assert [m.text for m in emu.messages(alice.id)] == ["Reminder"]


# --- flood limits -------------------------------------------------------------------------


@pytest.mark.usefixtures("future_retry_after")
async def test_flood_limits_in_a_private_chat_clear_after_the_scaled_window() -> None:
    async with (
        Emulator(flood_limits=True, time_scale=0.1) as emu,
        emulator_bot(emu) as client,
    ):
        alice = await started(emu)
        for _ in range(3):  # a short burst is allowed
            await client.send_message(alice.id, "ok")
        with pytest.raises(RetryAfter) as raised:
            await client.send_message(alice.id, "too fast")
        assert seconds(raised.value.retry_after) == 1
        assert emu.flood_responses == 1
        await asyncio.sleep(0.11)  # retry_after 1 s, scaled by 0.1
        await client.send_message(alice.id, "ok again")
        assert emu.violations == []


@pytest.mark.usefixtures("future_retry_after")
async def test_flood_limits_for_groups_and_overall() -> None:
    clock = ManualClock()
    async with (
        Emulator(flood_limits=True, clock=clock) as emu,
        emulator_bot(emu) as client,
    ):
        alice = emu.add_user("Alice")
        group = emu.add_group("Family", members=[alice])
        for _ in range(20):
            await client.send_message(group.id, "ok")
        with pytest.raises(RetryAfter) as raised:
            await client.send_message(group.id, "too many")
        assert seconds(raised.value.retry_after) == 60
        clock.advance(59)
        with pytest.raises(RetryAfter) as raised:
            await client.send_message(group.id, "still too early")
        assert seconds(raised.value.retry_after) == 1
        clock.advance(1)
        await client.send_message(group.id, "ok")
        users = [await started(emu, f"User {n}") for n in range(12)]
        clock.advance(1)
        for user in users[:10]:  # three messages each: 30 in one second
            for _ in range(3):
                await client.send_message(user.id, "broadcast")
        with pytest.raises(RetryAfter):
            await client.send_message(users[10].id, "the 31st")
        emu.flood_limits = False
        await client.send_message(users[-1].id, "limits off")
        assert emu.flood_responses == 3


# --- webhooks -----------------------------------------------------------------------------


@pytest.fixture
async def receiver() -> AsyncIterator[
    tuple[str, list[tuple[dict[str, Any], str | None]], list[int]]
]:
    """A tiny webhook endpoint that records what it gets and answers with scripted statuses."""
    received: list[tuple[dict[str, Any], str | None]] = []
    statuses: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received, statuses
    await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retries(
    receiver: tuple[str, list[tuple[dict[str, Any], str | None]], list[int]],
) -> None:
    url, received, statuses = receiver
    async with Emulator(time_scale=0.01) as emu, emulator_bot(emu) as client:
        alice = emu.add_user("Alice")
        statuses.append(500)
        assert await client.set_webhook(url, secret_token="s3cret_-", allowed_updates=["message"])
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await client.get_updates()
        await emu.send_message(alice, "hello")
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.01)
        assert [update["message"]["text"] for update, _ in received] == ["hello", "hello"]
        assert {secret for _, secret in received} == {"s3cret_-"}
        assert [d.status for d in emu.webhook_deliveries] == [500, 200]
        info = await client.get_webhook_info()
        assert (info.url, info.pending_update_count) == (url, 0)
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        assert info.allowed_updates == ("message",)
        with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
            await client.set_webhook(url, secret_token="no spaces")
        assert await client.delete_webhook() is True
        assert await client.get_updates() == ()
        assert (await client.get_webhook_info()).url == ""


# --- scenario helpers ---------------------------------------------------------------------


async def test_wait_for_messages_keeps_a_cursor(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    waiting = asyncio.create_task(emu.wait_for_messages(alice.id, count=2, timeout=2))
    await client.send_message(alice.id, "one")
    await client.send_message(alice.id, "two")
    await client.send_message(alice.id, "three")
    assert [m.text for m in await waiting] == ["one", "two"]
    assert [m.text for m in await emu.wait_for_messages(alice.id)] == ["three"]
    with pytest.raises(MessagesTimeout) as raised:
        await emu.wait_for_messages(alice.id, timeout=0.05)
    assert raised.value.received == []
    await client.send_message(alice.id, "four")
    assert [m.text for m in emu.messages(alice.id)] == ["one", "two", "three", "four"]
    with pytest.raises(TimeoutError):
        await emu.wait_for_messages(alice.id, timeout=0.05)  # messages() counted as a read


async def test_queue_update_injects_raw_updates(emu: Emulator, client: Bot) -> None:
    reaction = {
        "chat": {"id": 42, "type": "private", "first_name": "Eve"},
        "message_id": 7,
        "date": 1_700_000_000,
        "old_reaction": [],
        "new_reaction": [{"type": "emoji", "emoji": "👍"}],
    }
    queued = emu.queue_update({"update_id": 1, "message_reaction": reaction})
    [update] = await client.get_updates()  # delivered although allowed_updates excludes it
    assert isinstance(update, Update)
    assert update.update_id == queued["update_id"] != 1
    assert update.message_reaction.new_reaction[0].emoji == "👍"


async def test_violations_are_small_dataclasses(emu: Emulator, client: Bot) -> None:
    alice = await started(emu)
    with pytest.raises(BadRequest):
        await client.send_message(alice.id, "<p>secret health text</p>", parse_mode=ParseMode.HTML)
    [violation] = emu.violations
    assert isinstance(violation, Violation)
    assert violation.method == "sendMessage"
    assert "secret health text" not in violation.payload
    assert f"chat_id={alice.id}" in violation.payload


# --- the real Application, end to end -----------------------------------------------------


async def test_a_ptb_application_runs_against_the_emulator(emu: Emulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text("Did you have your jab?", reply_markup=KEYBOARD)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Noted")
        await update.callback_query.edit_message_text("Logged: taken")

    app = (
        Application.builder()
        .token(emu.token)
        .base_url(emu.base_url)
        .request(loopback_request())
        .get_updates_request(loopback_request())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    alice = emu.add_user("Alice")
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await emu.send_message(alice, "/start")
        [question] = await emu.wait_for_messages(alice.id)
        assert question.buttons[0] == [("Yes", "yes")]
        query_id = await emu.press_button(alice, question, index=0)
        assert (await emu.wait_for_callback_answer(query_id))["text"] == "Noted"
        for _ in range(100):
            if question.edits:
                break
            await asyncio.sleep(0.01)
        await app.updater.stop()
        await app.stop()
    assert (question.text, question.buttons, question.edits) == ("Logged: taken", [], 1)
    assert emu.unanswered_callback_queries() == []
    assert emu.violations == []
