"""What every handler needs, built once at start-up and kept in `application.bot_data`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from telegram.ext import ContextTypes

from bot.knowledge.faq import FAQ
from bot.knowledge.render import Renderer
from bot.reminders.dispatcher import Dispatcher
from bot.reminders.store import Store

KEY = "services"


@dataclass
class Services:
    faq: FAQ
    renderer: Renderer
    store: Store | None = None  # opened in post_init, when the event loop runs
    dispatcher: Dispatcher | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data[KEY]
