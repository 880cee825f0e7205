"""Buttons under a /taken confirmation: Undo, and whether to restart the schedule from the dose.

Their own prefixes (PATTERN), registered before the general handler like care_keyboards.py. Undo
carries what it must put back (how the dose was logged, and the status an occurrence it marked
had), so taking a /taken back needs nothing held in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.reminders.taken_log import RESTORABLE, How

PATTERN: Final = re.compile(r"^[uj]:")
_HOW: Final[dict[str, How]] = {"m": "marked", "a": "ahead", "n": "alone"}
_CODE: Final = {how: code for code, how in _HOW.items()}
_DATA = re.compile(r"^(?P<kind>[uj]):(?P<id>[1-9][0-9]{0,18}):(?P<rest>[a-z]{1,8})$")


@dataclass(frozen=True, slots=True)
class UndoTaken:
    dose_id: int
    how: How
    before: str | None  # the status an occurrence had before this /taken marked it


@dataclass(frozen=True, slots=True)
class RestartFrom:
    """Restart the reminder's schedule from the day this dose was given (yes), or leave it."""

    dose_id: int
    yes: bool


DoseButton = UndoTaken | RestartFrom


def encode(button: DoseButton) -> str:
    match button:
        case UndoTaken(dose_id, how, before):
            return f"u:{dose_id}:{_CODE[how]}{before or ''}"
        case RestartFrom(dose_id, yes):
            return f"j:{dose_id}:{'y' if yes else 'n'}"


def decode(data: str | None) -> DoseButton | None:
    """The button, or None for anything that is not exactly a shape made here."""
    found = _DATA.match(data or "")
    if found is None:
        return None
    dose_id, rest = int(found["id"]), found["rest"]
    if found["kind"] == "j":
        return RestartFrom(dose_id, rest == "y") if rest in {"y", "n"} else None
    how, before = _HOW.get(rest[0]), rest[1:] or None
    if how is None or (before is not None and (how != "marked" or before not in RESTORABLE)):
        return None
    return UndoTaken(dose_id, how, before)


def taken_keyboard(
    undo: UndoTaken, *, offer_restart: bool, below: InlineKeyboardMarkup | None = None
) -> InlineKeyboardMarkup:
    """Undo (and, far from the due time, "restart from this dose?"), then any other buttons."""
    rows = [[InlineKeyboardButton("↩️ Undo", callback_data=encode(undo))]]
    if offer_restart:
        rows.insert(
            0,
            [
                InlineKeyboardButton(
                    "🔁 Count from this dose", callback_data=encode(RestartFrom(undo.dose_id, True))
                ),
                InlineKeyboardButton(
                    "Keep the schedule", callback_data=encode(RestartFrom(undo.dose_id, False))
                ),
            ],
        )
    return InlineKeyboardMarkup([*rows, *(below.inline_keyboard if below else ())])
