"""The bot's own membership: added to a group, removed, blocked or unblocked by a user."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ContextTypes

from bot.telegram.services import services

logger = logging.getLogger(__name__)
_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


async def my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet a group that adds the bot; note (without names) when a chat leaves or returns."""
    change = update.my_chat_member
    was, now = change.old_chat_member.status in _PRESENT, change.new_chat_member.status in _PRESENT
    if was == now:
        return
    chat = change.chat
    logger.info("bot %s a %s chat", "joined" if now else "left", chat.type)
    if now and chat.type in {chat.GROUP, chat.SUPERGROUP}:
        await context.bot.send_message(chat.id, services(context).renderer.message("group_welcome"))
