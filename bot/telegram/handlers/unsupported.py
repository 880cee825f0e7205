"""Everything that is not a question we can read: a friendly word, never silence."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.audience import addressed_to_bot
from bot.telegram.services import services


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, which: str) -> None:
    await update.effective_message.reply_html(services(context).renderer.message(which))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, voice notes, files, locations... (in groups, only in reply to the bot)."""
    if addressed_to_bot(update, context):
        await _say(update, context, "not_text")


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, "edited")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command we do not have; in groups only when it names this bot (/cmd@this_bot)."""
    message = update.effective_message
    command = (message.text or "").split(maxsplit=1)[0]
    if message.chat.type == message.chat.PRIVATE or command.lower().endswith(
        f"@{context.bot.username}".lower()
    ):
        await _say(update, context, "unknown_command")
