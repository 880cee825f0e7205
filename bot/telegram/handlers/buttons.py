"""Inline button presses. Every query is answered; stale or forged data changes nothing."""

from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.telegram.handlers import reminders
from bot.telegram.keyboards import (
    Feedback,
    Home,
    Menu,
    OpenTopic,
    PickTopic,
    answer_keyboard,
    decode,
    menu_keyboard,
    unhelpful_keyboard,
)
from bot.telegram.replies import keyboard_for, send_topic
from bot.telegram.services import services

EXPIRED = "Sorry, this button has expired. Send /topics or type your question."


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    found = services(context)
    catalog = found.faq.catalog
    button = decode(query.data, catalog)
    message = query.message
    if button is None or message is None or not hasattr(message, "reply_html"):
        await query.answer(EXPIRED, show_alert=False)
        return
    match button:
        case PickTopic(topic):
            # The "did you mean" message becomes the answer: the choice is made, the list is done.
            await query.answer()
            reply = found.renderer.answer(catalog.topics[topic])
            await _edit(query, reply.html, keyboard_for(reply, catalog))
        case OpenTopic(topic):
            await query.answer()
            await send_topic(message, found.renderer, catalog, topic)
        case Feedback(topic, helpful):
            await found.store.count_feedback(topic, helpful)
            await query.answer("Thanks for telling me. 🙏")
            related = found.renderer.answer(catalog.topics[topic]).choices
            await _edit_markup(query, answer_keyboard(topic, related, with_feedback=False))
            if not helpful:  # the answer missed: offer a way on rather than a dead end
                await message.reply_html(
                    found.renderer.message("answer_unhelpful"),
                    reply_markup=unhelpful_keyboard(related),
                )
        case Menu(section):
            await query.answer()
            await _edit_markup(query, menu_keyboard(catalog, section))
        case Home("ask"):
            await query.answer()
            await message.reply_html(found.renderer.message("ask_prompt"))
        case Home("topics"):
            await query.answer()
            await message.reply_html(
                found.renderer.message("topics"), reply_markup=menu_keyboard(catalog, None)
            )
        case Home(_):
            await query.answer()
            await send_topic(message, found.renderer, catalog, "reminders-help")
        case _:
            await reminders.on_reminder_button(update, context, button)


async def _edit(query, html: str, markup) -> None:
    try:
        await query.edit_message_text(html, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():  # a double tap: the message already shows it
            raise


async def _edit_markup(query, markup) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
