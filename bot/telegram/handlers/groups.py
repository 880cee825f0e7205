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
    found = services(context)
    logger.info("bot %s a %s chat", "joined" if now else "left", chat.type)
    if not now:
        # Blocked, or removed from the group: stop sending until we are back.
        await found.store.pause_chat(chat.id)
        return
    paused = await found.store.chat(chat.id)
    if chat.type in {chat.GROUP, chat.SUPERGROUP}:
        await context.bot.send_message(chat.id, found.renderer.message("group_welcome"))
    if paused is not None and paused.paused:
        await found.store.resume_chat(chat.id)
        await context.bot.send_message(chat.id, found.renderer.message("welcome_back"))


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its reminders follow it to the new chat id."""
    message = update.effective_message
    if message.migrate_to_chat_id:
        await services(context).store.migrate_chat(message.chat.id, message.migrate_to_chat_id)
