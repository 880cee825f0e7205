"""The guided /remind's buttons: how often, what time, from when, something else, cancel.

Their own prefix (PATTERN), registered before the general handler. Each choice stands for words
of the /remind grammar, so a typed answer and a pressed one end up the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

PATTERN: Final = re.compile(r"^n:")
FREQUENCIES: Final = {
    "1d": "every day",
    "2d": "every other day",
    "3x": "3 times a week",  # Monday, Wednesday and Friday: the confirmation names the days
    "1w": "every week",
    "2w": "every 2 weeks",
    "4w": "every 4 weeks",
    "1m": "every month",
    "3m": "every 3 months",
    "12w": "every 12 weeks",
}
TIMES: Final = {"0800": "08:00", "0900": "09:00", "1200": "12:00", "1800": "18:00", "2100": "21:00"}
STARTS: Final = {
    "0": "Today",
    "1": "Tomorrow",
    "7": "In 1 week",
    "14": "In 2 weeks",
    "28": "In 4 weeks",
}
_CHOICES: Final = {"f": FREQUENCIES, "t": TIMES, "s": STARTS}


@dataclass(frozen=True, slots=True)
class GuidedChoice:
    """A step's answer ("f", "t" or "s" and its code), or "o" (type it) / "x" (cancel)."""

    step: str
    value: str = ""


def encode(button: GuidedChoice) -> str:
    return f"n:{button.step}:{button.value}"


def decode(data: str | None) -> GuidedChoice | None:
    kind, _, rest = (data or "").partition(":")
    step, _, value = rest.partition(":")
    if kind != "n":
        return None
    if step in {"o", "x"} and value == "":
        return GuidedChoice(step)
    return GuidedChoice(step, value) if value in _CHOICES.get(step, {}) else None


def guided_keyboard(step: str, *, today: bool = True) -> InlineKeyboardMarkup:
    """One step's choices, then "Something else…" (type it) and Cancel. `today` False leaves
    "Today" out of the start step when today's time has already passed."""
    choices = [
        (label, GuidedChoice(step, value))
        for value, label in _CHOICES[step].items()
        if today or (step, value) != ("s", "0")
    ]
    width = 2 if step == "f" else 3
    rows = [choices[i : i + width] for i in range(0, len(choices), width)]
    rows.append([("Something else… (type it)", GuidedChoice("o")), ("✖️ Cancel", GuidedChoice("x"))])
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=encode(b)) for text, b in row] for row in rows]
    )


def cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("✖️ Cancel", callback_data=encode(GuidedChoice("x")))]]
    )
