"""Buttons of the carer link, supplies, injection sites and /export, and their callback data.

Callback data is untrusted input. Each shape here starts with a letter keyboards.py leaves free
(PATTERN) and decodes only when it is exactly a shape we make; ids are checked against the
database, and against who pressed, by the handlers. A carer's "I agree" carries the invite's
token, never its id, so a guessed number cannot accept someone else's invite.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.reminders.carers import is_token
from bot.reminders.rows import ReminderRow
from bot.reminders.rules import Rule
from bot.reminders.supplies import MAX_ALERT_AT, MAX_SUPPLIES
from bot.telegram.keyboards import _is_id

PATTERN: Final = re.compile(r"^[kwlvsax]:")  # the prefixes of every shape below


@dataclass(frozen=True, slots=True)
class CarerAnswer:
    """The invited carer's yes or no; `token` is the invite's, from the link they opened."""

    token: str
    yes: bool


@dataclass(frozen=True, slots=True)
class AlertAction:
    """On a carer's alert: remind the patient again ("again") or mark the dose done ("done")."""

    dose_id: int
    action: str


@dataclass(frozen=True, slots=True)
class Unlink:
    """Remove a carer link, from either side."""

    link_id: int


@dataclass(frozen=True, slots=True)
class CancelInvites:
    """Cancel the patient's invite links that are still waiting."""


@dataclass(frozen=True, slots=True)
class SetSupplies:
    """For one reminder: "show", a count ("5"), an alert level ("a2") or "off"."""

    reminder_id: int
    value: str


@dataclass(frozen=True, slots=True)
class PickSite:
    """Where a taken dose went; site None is "skip"."""

    dose_id: int
    site: str | None


@dataclass(frozen=True, slots=True)
class ExportOne:
    """Export one reminder's record (a group with several)."""

    reminder_id: int


CareButton = CarerAnswer | AlertAction | Unlink | CancelInvites | SetSupplies | PickSite | ExportOne
ALERT_ACTIONS: Final = {"a": "again", "d": "done"}
SITE_CODES: Final = {
    "la": "left arm",
    "ra": "right arm",
    "lt": "left thigh",
    "rt": "right thigh",
    "lb": "left buttock",
    "rb": "right buttock",
    "no": None,
}
SUPPLY_CHOICES: Final = (1, 2, 3, 4, 5, 6, 8, 10, 12)


def _supply_value(value: str) -> bool:
    if value in {"show", "off"}:
        return True
    number = value.removeprefix("a")
    if not (number.isdecimal() and number.isascii() and str(int(number)) == number):
        return False
    return int(number) <= (MAX_ALERT_AT if value.startswith("a") else MAX_SUPPLIES)


def encode(button: CareButton) -> str:
    match button:
        case CarerAnswer(token, yes):
            data = f"k:{'y' if yes else 'n'}:{token}"
        case AlertAction(dose_id, action):
            data = f"w:{dose_id}:{next(k for k, v in ALERT_ACTIONS.items() if v == action)}"
        case Unlink(link_id):
            data = f"l:{link_id}"
        case CancelInvites():
            data = "v:all"
        case SetSupplies(reminder_id, value):
            data = f"s:{reminder_id}:{value}"
        case PickSite(dose_id, site):
            data = f"a:{dose_id}:{next(k for k, v in SITE_CODES.items() if v == site)}"
        case ExportOne(reminder_id):
            data = f"x:{reminder_id}"
    if not 1 <= len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
        raise ValueError(f"callback data of {len(data.encode())} bytes")
    return data


def decode(data: str | None) -> CareButton | None:  # noqa: PLR0911 - one per shape
    """The button this data stands for, or None when it is not exactly a shape we make."""
    if not data or len(data.encode()) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
        return None
    kind, _, rest = data.partition(":")
    first, _, second = rest.partition(":")
    match kind:
        case "k" if first in {"y", "n"} and is_token(second):
            return CarerAnswer(second, first == "y")
        case "w" if _is_id(first) and second in ALERT_ACTIONS:
            return AlertAction(int(first), ALERT_ACTIONS[second])
        case "l" if _is_id(rest):
            return Unlink(int(rest))
        case "v" if rest == "all":
            return CancelInvites()
        case "s" if _is_id(first) and _supply_value(second):
            return SetSupplies(int(first), second)
        case "a" if _is_id(first) and second in SITE_CODES:
            return PickSite(int(first), SITE_CODES[second])
        case "x" if _is_id(rest):
            return ExportOne(int(rest))
    return None


def _markup(rows: Sequence[Sequence[tuple[str, CareButton]]]) -> InlineKeyboardMarkup | None:
    built = [
        [InlineKeyboardButton(text, callback_data=encode(button)) for text, button in row]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup(built) if built else None


def offer_keyboard(token: str) -> InlineKeyboardMarkup | None:
    return _markup(
        [[("✅ I agree", CarerAnswer(token, True)), ("No thanks", CarerAnswer(token, False))]]
    )


def cancel_invites_keyboard() -> InlineKeyboardMarkup | None:
    return _markup([[("❌ Cancel waiting links", CancelInvites())]])


def alert_keyboard(dose_id: int, name: str, *, nudged: bool = False) -> InlineKeyboardMarkup | None:
    """A carer's alert: remind the patient (once), or mark it done."""
    again = [] if nudged else [(f"🔔 Remind {name[:20]} again", AlertAction(dose_id, "again"))]
    return _markup([again, [("✅ It's done", AlertAction(dose_id, "done"))]])


def carers_keyboard(
    carers: Sequence[tuple[int, str]], followed: Sequence[tuple[int, str]], *, pending: bool
) -> InlineKeyboardMarkup | None:
    """(link id, name) pairs: remove a carer, or stop the alerts about someone."""
    rows: list[list[tuple[str, CareButton]]] = [
        [(f"Remove {name}", Unlink(i))] for i, name in carers
    ]
    rows += [[(f"Stop alerts about {name}", Unlink(i))] for i, name in followed]
    if pending:
        rows.append([("❌ Cancel waiting links", CancelInvites())])
    return _markup(rows)


def site_keyboard(dose_id: int) -> InlineKeyboardMarkup | None:
    """The six sites, two to a row (left, right), then "skip"."""
    sites = [(name.capitalize(), PickSite(dose_id, name)) for name in SITE_CODES.values() if name]
    rows = [sites[i : i + 2] for i in range(0, len(sites), 2)]
    rows.append([("Skip", PickSite(dose_id, None))])
    return _markup(rows)


def without_sites(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The same buttons once the site is said: any others (such as /taken's Undo) stay."""
    rows = [
        [b for b in row if not isinstance(decode(b.callback_data), PickSite)]
        for row in (markup.inline_keyboard if markup else ())
    ]
    kept = [row for row in rows if row]
    return InlineKeyboardMarkup(kept) if kept else None


def supplies_keyboard(reminder_id: int, *, counting: bool) -> InlineKeyboardMarkup | None:
    """How many ampoules are left, in a few taps; and a way to stop counting."""
    numbers = [(str(n), SetSupplies(reminder_id, str(n))) for n in SUPPLY_CHOICES]
    rows = [numbers[:5], numbers[5:]]
    if counting:
        rows.append([("Stop counting", SetSupplies(reminder_id, "off"))])
    return _markup(rows)


def _label(reminder: ReminderRow) -> str:
    label = Rule.from_text(reminder.rule).describe(reminder.start_date)
    return f"{reminder.for_whom}: {label}" if reminder.for_whom else label


def export_pick_keyboard(reminders: Sequence[ReminderRow]) -> InlineKeyboardMarkup | None:
    """One reminder per row, to export its record."""
    return _markup([[(_label(r), ExportOne(r.id))] for r in reminders])


def supplies_pick_keyboard(
    reminders: Sequence[ReminderRow], value: str
) -> InlineKeyboardMarkup | None:
    """One reminder per row, to apply a supplies value ("5", "a2", "off", "show") to."""
    return _markup([[(_label(r), SetSupplies(r.id, value))] for r in reminders])
