"""Turn a rendered knowledge Reply into a Telegram message with the right keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message

from bot.knowledge.catalog import Catalog
from bot.knowledge.render import Kind, Renderer, Reply
from bot.telegram.keyboards import (
    answer_keyboard,
    clarify_keyboard,
    menu_keyboard,
    way_on_keyboard,
)


def keyboard_for(reply: Reply, catalog: Catalog) -> InlineKeyboardMarkup | None:
    """Answers get related topics and feedback; clarify its candidates; fallback the menu or,
    when the question is ours but not covered, the closest topics; small talk nothing; an
    emergency page the topics it would otherwise have answered with, where it has them."""
    match reply.kind:
        case Kind.ANSWER if reply.topic is not None:
            return answer_keyboard(reply.topic, reply.choices)
        case Kind.CLARIFY:
            return clarify_keyboard(reply.choices)
        case Kind.FALLBACK if reply.show_menu:
            return menu_keyboard(catalog, None)
        case Kind.FALLBACK if reply.choices:  # "not covered": the closest real topics
            return clarify_keyboard(reply.choices)
        case Kind.URGENT if reply.choices:
            return way_on_keyboard(reply.choices)
    return None


async def send(message: Message, reply: Reply, catalog: Catalog) -> Message:
    """Reply to a person's message; in groups the reply quotes the asker."""
    return await message.reply_html(
        reply.html,
        reply_markup=keyboard_for(reply, catalog),
        do_quote=message.chat.type != message.chat.PRIVATE,
    )


async def send_topic(message: Message, renderer: Renderer, catalog: Catalog, topic: str) -> Message:
    """Reply with one topic's answer."""
    return await send(message, renderer.answer(catalog.topics[topic]), catalog)
