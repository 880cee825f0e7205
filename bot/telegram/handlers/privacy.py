"""/privacy: what is stored and how to delete it (Telegram's developer terms require the command)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.replies import send_topic
from bot.telegram.services import services


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    await send_topic(update.effective_message, found.renderer, found.faq.catalog, "privacy")
