"""Whom a group message is meant for: the bot answers only what is addressed to it."""

from __future__ import annotations

from telegram import Update
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
