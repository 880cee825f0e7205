"""What every handler needs, built once at start-up and kept in `application.bot_data`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.knowledge.faq import FAQ
from bot.knowledge.render import Renderer

KEY = "services"


@dataclass
class Services:
    faq: FAQ
    renderer: Renderer
    # Helpful yes/no votes per topic: (topic, helpful) -> count. Nothing about who voted.
    feedback: Counter[tuple[str, bool]] = field(default_factory=Counter)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data[KEY]
