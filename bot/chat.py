"""`b12bot chat`: the real bot, offline, in a terminal.

Starts the Bot API emulator on loopback, runs the production Application against it with long
polling, and plays a private chat: each line typed is a message; `#N` presses button N of the
bot's latest message that has buttons. Works the same with piped input, so a conversation can be
scripted (`printf 'dose?\\n#1\\n' | b12bot chat`).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import TextIO

from bot.config import offline_settings
from bot.emulator import BotMessage, Emulator
from bot.knowledge.telegram_html import to_plain_text
from bot.telegram.app import build_application, running

QUIET = 0.3  # seconds without new bot output before we show the prompt again
PATIENCE = 10.0  # seconds to wait for a first reply


async def converse(stdin: TextIO, stdout: TextIO) -> None:
    """Run the conversation until end of input or /quit."""
    # A throw-away database: reminders set in a demo chat should not outlive it.
    with tempfile.TemporaryDirectory(prefix="b12bot-chat-") as folder:
        await _converse(stdin, stdout, f"sqlite:///{Path(folder) / 'chat.sqlite3'}")


async def _converse(stdin: TextIO, stdout: TextIO, database_url: str) -> None:
    async with Emulator() as emulator:
        application = build_application(
            offline_settings(emulator.token, emulator.base_url, database_url)
        )
        async with running(application, polling=True):
            await _talk(emulator, stdin, stdout)


async def _talk(emulator: Emulator, stdin: TextIO, stdout: TextIO) -> None:
    user = emulator.add_user("You")
    interactive = stdin.isatty()
    stdout.write("b12bot chat: type a question, #N to press button N, /quit to leave.\n\n")
    await _say(emulator, user, "/start", stdout)
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.strip()
        if text in {"/quit", "/exit"}:
            break
        if not text:
            continue
        if not interactive:
            stdout.write(f"you> {text}\n")
        await _say(emulator, user, text, stdout)


async def _say(emulator: Emulator, user, text: str, stdout: TextIO) -> None:
    before = _snapshot(emulator, user.id)
    if text.startswith("#") and text[1:].isdigit():
        latest = next(
            (m for m in reversed(emulator.messages(user.id)) if m.buttons and not m.deleted), None
        )
        flat = [button for row in latest.buttons for button in row] if latest else []
        number = int(text[1:])
        if not 1 <= number <= len(flat):
            stdout.write(f"(there is no button {number})\n")
            return
        query = await emulator.press_button(user, latest, index=number - 1)
        answer = await emulator.wait_for_callback_answer(query, timeout=PATIENCE)
        if answer.get("text"):
            stdout.write(f"(bot: {answer['text']})\n")
    else:
        await emulator.send_message(user, text)
    for message in await _changes(emulator, user.id, before):
        only_buttons = before.get(message.message_id, ("",))[0] == message.html
        stdout.write(_show(message, only_buttons=only_buttons))
    stdout.flush()


def _snapshot(emulator: Emulator, chat_id: int) -> dict[int, tuple[str, object]]:
    return {m.message_id: (m.html, m.buttons) for m in emulator.messages(chat_id)}


async def _changes(
    emulator: Emulator, chat_id: int, before: dict[int, tuple[str, object]]
) -> list[BotMessage]:
    """Bot messages that are new or changed since `before`, once the bot has gone quiet."""
    started = last_change = time.monotonic()
    changed: list[BotMessage] = []
    while True:
        now = time.monotonic()
        current = [
            m for m in emulator.messages(chat_id) if before.get(m.message_id) != (m.html, m.buttons)
        ]
        if len(current) != len(changed) or [m.html for m in current] != [m.html for m in changed]:
            changed, last_change = current, now
        if (changed and now - last_change >= QUIET) or now - started >= PATIENCE:
            return changed
        await asyncio.sleep(0.02)


def _show(message: BotMessage, *, only_buttons: bool = False) -> str:
    body = (
        "(buttons updated)"
        if only_buttons
        else to_plain_text(message.html)
        if message.html
        else message.text
    )
    lines = [f"bot> {body}"]
    document = message.payload.get("document")
    if document:  # what /export sends: name and size (the bytes stay with the emulator)
        lines.append(f"  📎 {document['file_name']} ({document['file_size']:,} bytes)")
    flat = [button for row in message.buttons for button in row]
    lines += [f"  [{i}] {text}" for i, (text, _) in enumerate(flat, 1)]
    return "\n".join(lines) + "\n\n"
