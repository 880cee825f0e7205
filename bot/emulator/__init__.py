"""A faithful local Telegram Bot API server, driven in-process by tests and `b12bot chat`.

Telegram cannot be reached from the build machines, so the bot's production code talks to this
server through python-telegram-bot's ``base_url`` instead. It answers the Bot API methods the bot
uses with Telegram's JSON shapes and error texts, enforces Telegram's limits, injects faults on
demand (blocked users, a bot restricted in a group, migrated groups, 5xx, slow replies, flood
waits) and plays the users' side of a conversation (write, reply, press buttons, add or remove
the bot).

Every breach of Telegram's rules is answered as Telegram would answer it and is also recorded in
``Emulator.violations``, so a test can assert that the bot never made one.
"""

from bot.emulator.server import (
    BotMessage,
    Emulator,
    Group,
    MessagesTimeout,
    UploadedFile,
    User,
    Violation,
    WebhookDelivery,
)

__all__ = [
    "BotMessage",
    "Emulator",
    "Group",
    "MessagesTimeout",
    "UploadedFile",
    "User",
    "Violation",
    "WebhookDelivery",
]
