"""Inline keyboards and their callback data, which is untrusted input.

Every button's data is one of a few small shapes, encoded compactly (Telegram allows 1-64 bytes)
and decoded against an allowlist: anything that is not exactly a shape we make, naming a topic or
section that exists, decodes to None and is treated as an expired button.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.knowledge.catalog import Catalog
from bot.knowledge.render import Choice


@dataclass(frozen=True, slots=True)
class OpenTopic:
    """Show a topic's answer as a new message (related topics, menu)."""

    topic: str


@dataclass(frozen=True, slots=True)
class PickTopic:
    """Replace a "did you mean" message with the chosen topic's answer."""

    topic: str


@dataclass(frozen=True, slots=True)
class Feedback:
    topic: str
    helpful: bool


@dataclass(frozen=True, slots=True)
class Menu:
    """The topic menu: the list of sections (section None) or one section's topics."""

    section: int | None


@dataclass(frozen=True, slots=True)
class Home:
    """A /start button: "ask", "topics" or "reminders"."""

    action: str


Button = OpenTopic | PickTopic | Feedback | Menu | Home
HOME_ACTIONS = ("ask", "topics", "reminders")


def encode(button: Button) -> str:
    """The callback data for a button; always within Telegram's byte limit."""
    match button:
        case OpenTopic(topic):
            data = f"t:{topic}"
        case PickTopic(topic):
            data = f"p:{topic}"
        case Feedback(topic, helpful):
            data = f"f:{topic}:{'y' if helpful else 'n'}"
        case Menu(section):
            data = f"m:{'' if section is None else section}"
        case Home(action):
            data = f"h:{action}"
    size = len(data.encode())
    if (
        not InlineKeyboardButtonLimit.MIN_CALLBACK_DATA
        <= size
        <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    ):
        raise ValueError(f"callback data of {size} bytes")
    return data


def decode(data: str | None, catalog: Catalog) -> Button | None:  # noqa: PLR0911 - one per shape
    """The button this data stands for, or None when it is stale, forged or malformed."""
    if not data or len(data.encode()) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
        return None
    kind, colon, rest = data.partition(":")
    if not colon:
        return None
    match kind:
        case "t" | "p" if rest in catalog.topics:
            return OpenTopic(rest) if kind == "t" else PickTopic(rest)
        case "f":
            topic, _, verdict = rest.rpartition(":")
            if topic in catalog.topics and verdict in {"y", "n"}:
                return Feedback(topic, verdict == "y")
        case "m" if rest == "":
            return Menu(None)
        case "m" if rest.isdecimal() and int(rest) < len(catalog.menu) and str(int(rest)) == rest:
            return Menu(int(rest))
        case "h" if rest in HOME_ACTIONS:
            return Home(rest)
    return None


def _markup(rows: Sequence[Sequence[tuple[str, Button]]]) -> InlineKeyboardMarkup | None:
    built = [
        [InlineKeyboardButton(text, callback_data=encode(b)) for text, b in row]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(built) if built else None


def answer_keyboard(
    topic: str, related: Sequence[Choice], *, with_feedback: bool = True
) -> InlineKeyboardMarkup | None:
    """Related topics, one per row, then the helpful yes/no pair."""
    rows: list[list[tuple[str, Button]]] = [[(f"➡️ {c.label}", OpenTopic(c.topic))] for c in related]
    if with_feedback:
        rows.append(
            [("👍 Helpful", Feedback(topic, True)), ("👎 Not helpful", Feedback(topic, False))]
        )
    return _markup(rows)


def clarify_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """The candidate topics, then a way out to the whole menu."""
    rows: list[list[tuple[str, Button]]] = [[(c.label, PickTopic(c.topic))] for c in choices]
    rows.append([("📚 Browse all topics", Menu(None))])
    return _markup(rows)


def menu_keyboard(catalog: Catalog, section: int | None) -> InlineKeyboardMarkup | None:
    """The sections, or one section's topics with a way back."""
    if section is None:
        return _markup([[(s.title, Menu(i))] for i, s in enumerate(catalog.menu)])
    rows: list[list[tuple[str, Button]]] = [
        [(catalog.topics[t].title, OpenTopic(t))] for t in catalog.menu[section].topics
    ]
    rows.append([("« All topics", Menu(None))])
    return _markup(rows)


def home_keyboard() -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [("❓ Ask a question", Home("ask"))],
            [("📚 Browse topics", Home("topics"))],
            [("⏰ Injection reminders", Home("reminders"))],
        ]
    )
