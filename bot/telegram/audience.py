"""Whom a group message is meant for: the bot answers only what is addressed to it."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes


def addressed_to_bot(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True in private chats, and in groups for replies to the bot's own messages."""
    message = update.effective_message
    if message.chat.type == message.chat.PRIVATE:
        return True
    replied = message.reply_to_message
    return (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == context.bot.id
    )


def mentions_bot(message: Message, username: str | None) -> bool:
    """True when the message names the bot with an @mention."""
    mention = f"@{username}".lower()
    return any(
        entity.type == MessageEntity.MENTION and text.lower() == mention
        for entity, text in message.parse_entities([MessageEntity.MENTION]).items()
    )
