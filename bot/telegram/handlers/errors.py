"""The last line of defence: log the failure (no message text) and tell the person."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.telegram.services import services

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    kind = type(error).__name__
    if isinstance(error, NetworkError):
        # Polling retries these itself; a reply would most likely fail the same way.
        logger.warning("network trouble talking to Telegram: %s", kind)
        return
    logger.error("handler failed: %s", kind, exc_info=error)
    if (
        not isinstance(update, Update)
        or update.effective_chat is None
        or isinstance(error, Forbidden)
    ):
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id, services(context).renderer.message("error")
        )
    except TelegramError:
        logger.warning("could not tell the person about the failure")
