"""/start (with topic and carer-invite deep links), /help, /about and /topics."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.handlers import carers
from bot.telegram.keyboards import home_keyboard, menu_keyboard
from bot.telegram.replies import send_topic
from bot.telegram.services import services


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome, or open what a deep link names: a topic (t.me/bot?start=<topic-id>) or a carer
    invite (start=carer_<token>)."""
    found = services(context)
    message = update.effective_message
    topic = context.args[0] if context.args else None
    if topic is not None and topic.startswith(carers.START_PREFIX):
        await carers.open_invite(update, context, topic.removeprefix(carers.START_PREFIX))
        return
    if topic in found.faq.catalog.topics:
        await send_topic(message, found.renderer, found.faq.catalog, topic)
        return
    user = update.effective_user
    name = user.first_name if user and not user.is_bot else None
    await message.reply_html(
        found.renderer.message("start", name=name), reply_markup=home_keyboard()
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: every command, grouped; in a group, what works there and how to reach the bot."""
    chat = update.effective_chat
    await update.effective_message.reply_html(
        services(context).renderer.message(
            "help", group=chat.type != chat.PRIVATE, bot_username=context.bot.username
        )
    )


async def about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    await send_topic(update.effective_message, found.renderer, found.faq.catalog, "about-bot")


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    await update.effective_message.reply_html(
        found.renderer.message("topics"), reply_markup=menu_keyboard(found.faq.catalog, None)
    )
