"""`b12bot chat`: the real bot, offline, in a terminal.

Starts the Bot API emulator on loopback, runs the production Application against it with long
polling, and plays a private chat (or, with `--group`, a family group of three). Each line typed
is a message; `#N` presses button N of the latest message with buttons and `#M.N` button N of
message M (the number shown beside every message that has buttons or asks for a reply). A line
after a message that asks for a reply (Telegram's ForceReply: "Who is this reminder for? Reply
to this message") is sent as that reply, as a Telegram app would; `>M text` replies to message
M, and `> text` to the bot's latest message. What the bot sends while you are idle, such as a
reminder firing, is printed when it arrives. Piped input works the same, so a conversation can
be scripted (`printf 'dose?\\n#1\\n' | b12bot chat`).

A few lines are the chat's own, not messages: `/as Ann` speaks as someone else in their own
private chat with the bot (`/as me` is you again; chat_cast.py), `/open` opens the latest t.me
link the bot sent, such as a carer invite, as whoever speaks, and `/wait 2h` moves the bot's
clock on (chat_time.py), so a reminder and its follow-up come without waiting hours for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from telegram.ext import Application

from bot.chat_cast import gather_cast
from bot.chat_screen import PATIENCE, Screen, asks_reply
from bot.chat_time import LONGEST_WAIT, ChatClock, pass_time, wait_span
from bot.config import offline_settings
from bot.emulator import BotMessage, Emulator, User
from bot.telegram.app import build_application, running
from bot.telegram.services import KEY, Services

IDLE_LOOK = 0.25  # seconds between looks for messages the bot sends on its own (reminders)

_PRESS = re.compile(r"#(?:(\d+)\.)?(\d+)")
_REPLY = re.compile(r">(\d+)?\s*(.*)", re.DOTALL)
_LINK = re.compile(r"https://t\.me/(\w+)\?start=([\w-]{1,64})")  # a deep link to a bot

_WAIT_HELP = "/wait 2h (or 30m, 1d) moves the bot's clock on; /wait alone, to the next thing due."
_PRIVATE_HELP = (
    "b12bot chat: type a question; #N presses button N of the latest message with buttons,\n"
    "#M.N button N of message #M. /as Ann speaks as Ann, in her own private chat with the bot\n"
    "(/as me: you again). /open opens the latest t.me link the bot sent (a carer invite) as\n"
    "whoever speaks; '/start carer_...' typed does the same.\n"
    f"{_WAIT_HELP}\n/quit or Ctrl-C leaves."
)
_GROUP_HELP = (
    "b12bot chat --group: the family group 'Family' with you, Ann (a member) and Sam (an admin).\n"
    "Type to speak as yourself; '@ann: text' or '@sam: text' speaks as them ('@admin:' is Sam).\n"
    "#N presses button N of the latest message with buttons, #M.N button N of message M;\n"
    "'@ann: #1' presses as Ann. In a group the bot reads commands (/ask question, /remind ...),\n"
    "@mentions and replies to it, as on Telegram: '>M text' replies to message #M, '> text' to\n"
    "the bot's latest message, and a line after a message that asks for a reply is sent as one.\n"
    f"{_WAIT_HELP}\n/quit or Ctrl-C leaves."
)


async def converse(stdin: TextIO, stdout: TextIO, *, group: bool = False) -> None:
    """Run the conversation until end of input, /quit or Ctrl-C."""
    # A throw-away database: reminders set in a demo chat should not outlive it.
    with tempfile.TemporaryDirectory(prefix="b12bot-chat-") as folder:
        database_url = f"sqlite:///{Path(folder) / 'chat.sqlite3'}"
        clock = ChatClock()  # the chat's own, for /wait; `b12bot run` keeps the real one
        async with Emulator() as emulator:
            application = build_application(
                offline_settings(emulator.token, emulator.base_url, database_url), clock=clock
            )
            async with running(application, polling=True):
                await _talk(emulator, _Bot(application, clock), stdin, stdout, group=group)


@dataclass(frozen=True)
class _Bot:
    """The running bot, as the chat uses it: /wait moves its clock and ticks its dispatcher, and
    the screen waits for what it is still working on."""

    application: Application
    clock: ChatClock

    @property
    def services(self) -> Services:
        return self.application.bot_data[KEY]

    def busy(self) -> bool:
        """Whether it is still handling updates: its replies in a group can wait seconds each for
        Telegram's per-group limit (20 a minute), far longer than a pause between messages."""
        processing = self.application.update_processor.current_concurrent_updates
        return processing > 0 or not self.application.update_queue.empty()


async def _talk(
    emulator: Emulator, bot: _Bot, stdin: TextIO, stdout: TextIO, *, group: bool
) -> None:
    cast = await gather_cast(emulator, group=group)
    screen = Screen(stdout, cast, stdin.isatty(), emulator, bot.busy)
    stdout.write((_GROUP_HELP if group else _PRIVATE_HELP) + "\n\n")
    if group:  # the bot's greeting to the group
        async with screen.lock:
            screen.show(await screen.settled())
    else:
        await _act(emulator, screen, cast.you, "/start")
    lines = _lines(stdin)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
        loop.add_signal_handler(signal.SIGINT, stop.set)
    watcher = asyncio.create_task(_watch(emulator, screen))
    try:
        while True:
            screen.prompt()
            line = await _next_line(lines, stop)
            if line is None:
                break
            text = line.strip()
            if text in {"/quit", "/exit"}:
                break
            if not text:
                continue
            if not screen.interactive:
                stdout.write(f"{cast.prompt()}> {text}\n")
            await _line(emulator, screen, bot, text)
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        if stop.is_set():
            stdout.write("\n")


async def _line(emulator: Emulator, screen: Screen, bot: _Bot, text: str) -> None:
    """One line typed: the chat's own command, or what someone says or presses."""
    command, _, words = text.partition(" ")
    if command == "/wait":
        await _wait(screen, bot, words.strip())
        return
    if command == "/as":
        screen.out.write(screen.cast.speak_as(emulator, words.strip()) + "\n")
        return
    if command == "/open":
        await _open(emulator, screen, words.strip())
        return
    speaker, said = screen.cast.speaker(text)
    if speaker is None:
        nobody = text.partition(":")[0]
        screen.out.write(f"(nobody called {nobody}: try {screen.cast.names()})\n")
        return
    await _act(emulator, screen, speaker, said)


async def _open(emulator: Emulator, screen: Screen, link: str) -> None:
    """/open [link]: whoever speaks opens a t.me link to the bot (the latest one it sent, unless
    given), so Telegram sends /start with the link's code from them, as its apps do."""
    cast = screen.cast
    if cast.group is not None:
        screen.out.write(
            "(a link opens a private chat: /open is for b12bot chat without --group)\n"
        )
        return
    found = _LINK.fullmatch(link) if link else _latest_link(emulator)
    if found is None:
        screen.out.write("(no link to open: /open opens the latest t.me link the bot sent)\n")
        return
    if found.group(1) != emulator.bot_username:
        screen.out.write(f"(that link opens @{found.group(1)}, not this bot)\n")
        return
    them = cast.speaking.first_name
    screen.out.write(f"({them} opens the link: Telegram sends /start and its code)\n")
    await _act(emulator, screen, cast.speaking, f"/start {found.group(2)}")


def _latest_link(emulator: Emulator) -> re.Match[str] | None:
    """The deep link in the latest message the bot sent or edited with one in it."""
    texts = (
        str(params.get("text", ""))
        for method, params in reversed(emulator.requests)
        if method in {"sendMessage", "editMessageText"}
    )
    return next((found for text in texts if (found := _LINK.search(text))), None)


async def _wait(screen: Screen, bot: _Bot, words: str) -> None:
    """/wait [how long]: move the bot's clock on, showing what arrived at each moment on the way,
    in the time zone of the chat the conversation is about."""
    span = wait_span(words) if words else None
    if words and span is None:
        weeks = LONGEST_WAIT.days // 7
        screen.out.write(f"(how long? {_WAIT_HELP} At most {weeks} weeks at a time.)\n")
        return
    store, dispatcher = bot.services.store, bot.services.dispatcher
    chat = await store.chat(screen.cast.home())
    zone = chat.timezone if chat is not None and chat.timezone else "UTC"

    def when(moment: datetime) -> str:
        local = moment.astimezone(ZoneInfo(zone))
        return f"{local:%a} {local.day} {local:%b, %H:%M} {zone}"

    async with screen.lock:
        screen.show(screen.changes())  # anything that came before the clock moved
        moved = False
        async for moment in pass_time(bot.clock, store, dispatcher, span):
            moved = True
            screen.out.write(f"(⏩ {when(moment)})\n")
            screen.show(screen.changes())
        if span is not None:
            screen.out.write(f"(it is now {when(bot.clock())})\n")
        elif not moved:
            screen.out.write("(nothing is due, so the clock stays where it is)\n")


def _lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Lines of input, read by a daemon thread: a blocked read must never keep the process alive
    after Ctrl-C (a thread of the loop's executor would be waited for)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="b12bot-chat-input", daemon=True).start()
    return queue


async def _next_line(lines: asyncio.Queue[str | None], stop: asyncio.Event) -> str | None:
    """The next line, or None at end of input or on Ctrl-C."""
    reading = asyncio.ensure_future(lines.get())
    stopping = asyncio.ensure_future(stop.wait())
    done, pending = await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return reading.result() if reading in done and not stop.is_set() else None


async def _watch(emulator: Emulator, screen: Screen) -> None:
    """Print what the bot sends on its own while nobody types (a reminder firing, a follow-up)."""
    while True:
        await asyncio.sleep(IDLE_LOOK)
        async with screen.lock:
            if not screen.changes():
                continue
            messages = await screen.settled()
            if screen.interactive:
                screen.out.write("\n")
            screen.show(messages)
            screen.prompt()


async def _act(emulator: Emulator, screen: Screen, speaker: User, text: str) -> None:
    """`speaker` writes `text` in their chat (as a reply: `>M text`, `> text`, or after a
    message that asks for one), or presses a button (`#N`, `#M.N`)."""
    async with screen.lock:
        screen.show(screen.changes())  # anything that came since the last look
        press = _PRESS.fullmatch(text)
        if press:
            if not await _press(emulator, screen, speaker, press):
                return
        else:
            replying = _replying(screen, speaker, text)
            if replying is None:
                return
            target, text = replying
            await emulator.send_message(speaker, text, chat=screen.cast.group, reply_to=target)
        messages = await screen.settled()
        if not messages and screen.cast.group and not press and not text.startswith("/"):
            screen.out.write(
                "(no reply: in a group the bot reads commands, @mentions and replies to it)\n\n"
            )
        screen.show(messages)


def _replying(screen: Screen, speaker: User, text: str) -> tuple[BotMessage | None, str] | None:
    """The bot message `text` replies to (None: none) and the words to send; None (after
    saying why) when `>M` names no message here.

    `>M text` replies to message #M and `> text` to the bot's latest message here. Otherwise a
    line replies to the bot's latest message when that one asked this person for a reply, as a
    Telegram app opens the reply by itself: a guided step in a group waits for exactly that.
    """
    chat_id = screen.cast.group.id if screen.cast.group else speaker.id
    here = [m for m in screen.emulator.messages(chat_id) if not m.deleted]
    latest = here[-1] if here else None
    reply = _REPLY.fullmatch(text)
    if reply is None:
        asked = latest is not None and asks_reply(screen.emulator, latest, speaker)
        return (latest if asked else None), text
    number, said = reply.group(1), reply.group(2).strip()
    if not said:
        screen.out.write("(type what to say after it: '>3 Mum' or '> Mum')\n")
        return None
    if number is None:
        return latest, said
    index = int(number)
    target = screen.numbered[index - 1] if 1 <= index <= len(screen.numbered) else None
    if target is None or target.deleted or target.chat_id != chat_id:
        screen.out.write(f"(there is no message #{index} here to reply to)\n")
        return None
    return target, said


async def _press(emulator: Emulator, screen: Screen, speaker: User, press: re.Match[str]) -> bool:
    """Press the button; False (after saying why) when there is no such button."""
    message_number, button_number = press.group(1), int(press.group(2))
    visible = {speaker.id} | ({screen.cast.group.id} if screen.cast.group else set())
    if message_number is None:
        message = next(
            (
                m
                for m in reversed(screen.numbered)
                if m.chat_id in visible and not m.deleted and m.buttons
            ),
            None,
        )
    else:
        index = int(message_number)
        message = screen.numbered[index - 1] if 1 <= index <= len(screen.numbered) else None
        if message is None or message.deleted or message.chat_id not in visible:
            screen.out.write(f"(there is no message #{index} with buttons here)\n")
            return False
    flat = [button for row in message.buttons for button in row] if message else []
    if not 1 <= button_number <= len(flat):
        screen.out.write(f"(there is no button {button_number})\n")
        return False
    query = await emulator.press_button(speaker, message, index=button_number - 1)
    answer = await emulator.wait_for_callback_answer(query, timeout=PATIENCE)
    if answer.get("text"):
        screen.out.write(f"(bot: {answer['text']})\n")
    return True
