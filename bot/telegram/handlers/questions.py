"""Questions: free text in private chats; in groups /ask, mentions of the bot and replies to it.

Triage runs first inside FAQ.decide, so an emergency is answered with urgent-care guidance whatever
else the message asks. Message text is never logged or stored.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.knowledge.triage import Urgent
from bot.telegram.audience import addressed_to_bot, mentions_bot
from bot.telegram.handlers import guided
from bot.telegram.replies import send
from bot.telegram.services import services

# Longer than any real question; a story this long is better asked again in short. Triage still
# reads it all first, so an emergency inside it is never missed.
MAX_QUESTION_CHARS = 1500
logger = logging.getLogger(__name__)


async def answer(message: Message, text: str, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Decide and reply: urgent care, an answer, a "did you mean", or a kind no with the menu."""
    found = services(context)
    decision = found.faq.decide(text)
    if len(text) > MAX_QUESTION_CHARS and not isinstance(decision, Urgent):
        await message.reply_html(found.renderer.message("long_message", limit=MAX_QUESTION_CHARS))
        return
    reply = found.renderer.reply(decision)
    await send(message, reply, found.faq.catalog)
    # The outcome, never the words: enough to see the bot working without storing health data.
    logger.info("question answered: %s", reply.kind.value)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question, unless it answers the guided /remind's question ("9am", "every 6 weeks")."""
    message = update.effective_message
    if await guided.typed(update, context):
        return
    await answer(message, message.text, context)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>, mainly for groups."""
    message = update.effective_message
    question = " ".join(context.args or ())
    if not question.strip():
        await message.reply_html(services(context).renderer.message("ask_usage"))
        return
    await answer(message, question, context)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message: answered only when it mentions the bot or replies to it."""
    message = update.effective_message
    me = context.bot
    replying_to_bot = addressed_to_bot(update, context)
    mentioned = mentions_bot(message, me.username)
    if not (replying_to_bot or mentioned):
        return  # ordinary group chatter is none of our business
    if replying_to_bot and await guided.typed(update, context):
        return  # the name a guided /remind asked for
    question = message.text.replace(f"@{me.username}", " ") if mentioned else message.text
    await answer(message, question, context)
