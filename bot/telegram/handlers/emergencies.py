"""An emergency gets urgent-care guidance wherever it is typed, before any other handler reads it.

Questions were triaged, but the words after a command and the answers to the guided /remind's
steps went straight to their parsers: "my face is swelling up after the jab" typed where the
guide asked for a time got "I couldn't read the time", "/taken i took the whole box" got the
usage, and "/remind every 4 weeks for i want to kill myself" saved a reminder for that "person"
(a QA pass found them). This handler runs first (application group -1) on every message the
bot would act on; what is no emergency goes on, unchanged, to the handler it was meant for.
"""

from __future__ import annotations

import logging

from telegram import Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.knowledge.faq import UnsureUrgent
from bot.knowledge.render import Kind
from bot.knowledge.triage import Level, Urgent
from bot.telegram.audience import addressed_to_bot, mentions_bot
from bot.telegram.replies import send
from bot.telegram.services import services

logger = logging.getLogger(__name__)


def typed_words(message: Message, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The words a person typed for the bot: after a command, its arguments; in groups, only
    what is addressed to the bot (a reply to it or a mention), as the bot answers nothing else."""
    text = message.text or ""
    if text.startswith("/") and MessageEntity.BOT_COMMAND in {e.type for e in message.entities}:
        command, _, words = text.partition(" ")
        _, at, addressee = command.partition("@")
        meant_for_us = not at or addressee.lower() == (context.bot.username or "").lower()
        return words if meant_for_us else ""
    if addressed_to_bot(update, context) or mentions_bot(message, context.bot.username):
        return text
    return ""


async def page_first(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The emergency page, and nothing else, for an emergency typed anywhere."""
    message = update.effective_message
    text = typed_words(message, update, context)
    found = services(context)
    if not text.strip() or found.faq.triage.assess(text).level is not Level.EMERGENCY:
        return
    # FAQ.decide has the last word: the nets may not page all small talk ("took it"). A page
    # they doubt waits for the handler the words were meant for: a question still gets it, with
    # the answer below, but a time or a name is no question ("/taken 1 hour ago" read as one).
    decision = found.faq.decide(text)
    if not isinstance(decision, Urgent) or isinstance(decision, UnsureUrgent):
        return
    await send(message, found.renderer.reply(decision), found.faq.catalog)
    logger.info("question answered: %s", Kind.URGENT.value)
    raise ApplicationHandlerStop
