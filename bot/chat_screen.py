"""What `b12bot chat` prints: each bot message once (again only when it changes), numbered when
it has buttons or asks for a reply, labelled with whose chat it arrived in, once the bot has
finished replying."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from bot.chat_cast import Cast
from bot.emulator import BotMessage, Emulator, User
from bot.knowledge.telegram_html import to_plain_text

QUIET = 0.3  # seconds without new bot output before we show the prompt again
PATIENCE = 10.0  # seconds to wait for a first reply
BUSY_PATIENCE = 60.0  # seconds to wait at most for a reply the bot is still working on

_MENTION = re.compile(r'<a href="tg://user\?id=\d+">(.*?)</a>')  # shown as the name alone


@dataclass
class Screen:
    """What has been printed, so only what is new or changed is printed again.

    Every message with buttons, or that asks for a reply, gets a number the first time it is
    shown, for `#M.N` and `>M`.
    """

    out: TextIO
    cast: Cast
    interactive: bool
    emulator: Emulator
    bot_busy: Callable[[], bool]
    seen: dict[tuple[int, int], tuple[str, object]] = field(default_factory=dict)
    numbered: list[BotMessage] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def changes(self) -> list[BotMessage]:
        return [
            m
            for chat_id in self.cast.chats()
            for m in self.emulator.messages(chat_id)
            if self.seen.get((m.chat_id, m.message_id)) != (m.html, m.buttons)
        ]

    def show(self, messages: list[BotMessage]) -> None:
        for message in messages:
            key = (message.chat_id, message.message_id)
            only_buttons = self.seen.get(key, ("",))[0] == message.html
            self.seen[key] = (message.html, message.buttons)
            numbered = [(m.chat_id, m.message_id) for m in self.numbered]
            wanted = message.buttons or asks_reply(self.emulator, message)
            if wanted and key not in numbered:
                self.numbered.append(message)
                numbered.append(key)
            number = numbered.index(key) + 1 if key in numbered else None
            self.out.write(_render(message, self.cast.label(message.chat_id), number, only_buttons))
        self.out.flush()

    def prompt(self) -> None:
        if self.interactive:
            self.out.write(f"{self.cast.prompt()}> ")
            self.out.flush()

    async def settled(self) -> list[BotMessage]:
        """Bot messages that are new or changed, once the bot has gone quiet and finished handling
        what it was sent (or PATIENCE ran out with no reply, or BUSY_PATIENCE with one unfinished)."""
        started = last_change = time.monotonic()
        changed: list[BotMessage] = []
        while True:
            now = time.monotonic()
            current = self.changes()
            if _versions(current) != _versions(changed):
                changed, last_change = current, now
            idle = now - last_change >= QUIET and not self.bot_busy()
            if (idle and (changed or now - started >= PATIENCE)) or now - started >= BUSY_PATIENCE:
                return changed
            await asyncio.sleep(0.02)


def _versions(messages: list[BotMessage]) -> list[tuple[int, str]]:
    return [(m.message_id, m.html) for m in messages]


def asks_reply(emulator: Emulator, message: BotMessage, person: User | None = None) -> bool:
    """Whether the bot sent `message` with a ForceReply for `person` (any one, when None).

    A Telegram Message never carries a ForceReply, so the emulator's BotMessage does not
    either: what the bot asked for is in the request that sent it. A selective one is for the
    people the message mentions and the sender of the message it replies to, as on Telegram.
    """
    sent = next(
        (
            params
            for method, params in reversed(emulator.requests)
            if method == "sendMessage"
            and params.get("chat_id") == message.chat_id
            and params.get("text") == message.html
        ),
        {},
    )
    markup = sent.get("reply_markup")
    if not (isinstance(markup, dict) and markup.get("force_reply")):
        return False
    if person is None or not markup.get("selective"):
        return True
    mentioned = {
        entity["user"]["id"]
        for entity in message.payload.get("entities", [])
        if entity.get("type") == "text_mention"
    }
    quoted = (message.payload.get("reply_to_message") or {}).get("from", {}).get("id")
    return person.id in mentioned | {quoted}


def _render(message: BotMessage, label: str, number: int | None, only_buttons: bool) -> str:
    body = (
        "(buttons updated)"
        if only_buttons
        else to_plain_text(_MENTION.sub(r"\1", message.html))
        if message.html
        else message.text
    )
    lines = [f"{label}{f' #{number}' if number else ''}> {body}"]
    document = message.payload.get("document")
    if document:  # what /export sends: name and size (the bytes stay with the emulator)
        lines.append(f"  📎 {document['file_name']} ({document['file_size']:,} bytes)")
    flat = [button for row in message.buttons for button in row]
    lines += [f"  [{i}] {text}" for i, (text, _) in enumerate(flat, 1)]
    return "\n".join(lines) + "\n\n"
