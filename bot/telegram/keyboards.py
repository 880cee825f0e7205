"""Inline keyboards and their callback data, which is untrusted input.

Every button's data is one of a few small shapes, encoded compactly (Telegram allows 1-64 bytes)
and decoded against an allowlist: anything that is not exactly a shape we make, naming a topic or
section that exists, decodes to None and is treated as an expired button.

The prefixes k, w, l, v, s, a and x belong to care_keyboards.py (carer links, supplies, injection
sites, /export), u and j to dose_keyboards.py and n to guided_keyboards.py, whose handlers are
tried first: do not reuse them here (a test holds it).

A question the bot asks keeps its answer's context on the button or in the database, not in
memory, so a restart between the question and the tap loses nothing: the zone to move reminders
to, the member whose part a /forget deletes, the id of a group's waiting reminder. (One thing
still waits in chat_data: a /remind line that named no zone, until the zone is picked.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit

from bot.knowledge.catalog import Catalog
from bot.knowledge.render import Choice
from bot.reminders.offsets import PICKABLE_ZONES
from bot.reminders.rows import ReminderRow
from bot.reminders.rules import COMMON_ZONES, Rule, tomorrow_comes_first


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


@dataclass(frozen=True, slots=True)
class DoseAction:
    """Taken, skipped or snoozed, pressed on a reminder message (by anyone in the chat)."""

    dose_id: int
    action: str  # one of DOSE_ACTIONS


@dataclass(frozen=True, slots=True)
class Manage:
    """Open a reminder from the /reminders list, go back to it, pause, resume or delete one
    (the last three: its creator or a group admin only; delete asks first)."""

    reminder_id: int
    op: str  # one of MANAGE_OPS


@dataclass(frozen=True, slots=True)
class PickZone:
    zone: str


@dataclass(frozen=True, slots=True)
class Confirm:
    """Yes or no to a question the bot asked: forget everything, or resume a paused chat's
    reminders."""

    what: str  # one of CONFIRMATIONS
    yes: bool


@dataclass(frozen=True, slots=True)
class MoveZone:
    """Move the chat's reminders that are in another zone to this one (the zone just set), or
    leave them. The zone rides on the button, so nothing waits in memory and an old prompt moves
    them to the zone it names."""

    zone: str
    yes: bool


@dataclass(frozen=True, slots=True)
class ForgetMine:
    """A group member's yes or no to deleting their own part of the group's data. It names who
    asked, so only they can confirm it, with nothing held in memory (a restart keeps it working);
    a forged id lets nobody confirm for anyone else."""

    user_id: int
    yes: bool


@dataclass(frozen=True, slots=True)
class Share:
    """Yes or no to showing a reminder to a group: the request waiting in the database."""

    request_id: int
    yes: bool


Button = (
    OpenTopic
    | PickTopic
    | Feedback
    | Menu
    | Home
    | DoseAction
    | Manage
    | PickZone
    | Confirm
    | MoveZone
    | ForgetMine
    | Share
)
HOME_ACTIONS = ("ask", "topics", "reminders")
DOSE_ACTIONS = {"t": "taken", "k": "skipped", "1h": "1h", "3h": "3h", "tm": "tomorrow"}
MANAGE_OPS = {"p": "pause", "r": "resume", "d": "delete"}
MANAGE_OPS = MANAGE_OPS | {"o": "open", "l": "list", "dy": "delete_yes"}
CONFIRMATIONS = ("forget", "resume")


def encode(button: Button) -> str:  # noqa: PLR0912 - one branch per shape, as in decode
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
        case DoseAction(dose_id, action):
            data = f"d:{dose_id}:{_key(DOSE_ACTIONS, action)}"
        case Manage(reminder_id, op):
            data = f"r:{reminder_id}:{_key(MANAGE_OPS, op)}"
        case PickZone(zone):
            data = f"z:{zone}"
        case Confirm(what, yes):
            data = f"c:{what}:{'y' if yes else 'n'}"
        case MoveZone(zone, yes):
            data = f"e:{'y' if yes else 'n'}:{zone}"
        case ForgetMine(user_id, yes):
            data = f"o:{user_id}:{'y' if yes else 'n'}"
        case Share(request_id, yes):
            data = f"g:{request_id}:{'y' if yes else 'n'}"
    size = len(data.encode())
    if (
        not InlineKeyboardButtonLimit.MIN_CALLBACK_DATA
        <= size
        <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    ):
        raise ValueError(f"callback data of {size} bytes")
    return data


def decode(data: str | None, catalog: Catalog) -> Button | None:  # noqa: PLR0911, PLR0912 - one per shape
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
        case "d" | "r":
            number, _, code = rest.partition(":")
            actions = DOSE_ACTIONS if kind == "d" else MANAGE_OPS
            if _is_id(number) and code in actions:
                made = DoseAction if kind == "d" else Manage
                return made(int(number), actions[code])
        case "z" if rest in PICKABLE_ZONES:
            return PickZone(rest)
        case "c":
            what, _, verdict = rest.partition(":")
            if what in CONFIRMATIONS and verdict in {"y", "n"}:
                return Confirm(what, verdict == "y")
        case "e":
            verdict, _, zone = rest.partition(":")
            if verdict in {"y", "n"} and zone in _zones():
                return MoveZone(zone, verdict == "y")
        case "g" | "o":
            number, _, verdict = rest.partition(":")
            if _is_id(number) and verdict in {"y", "n"}:
                return (Share if kind == "g" else ForgetMine)(int(number), verdict == "y")
    return None


@cache
def _zones() -> frozenset[str]:
    """Every zone a move button may carry: any the system's time zone database knows."""
    return frozenset(available_timezones())


def _key(table: dict[str, str], value: str) -> str:
    return next(key for key, named in table.items() if named == value)


def _is_id(text: str) -> bool:
    """A database id as we write it: decimal digits, no sign, no leading zero."""
    return text.isdecimal() and text.isascii() and str(int(text)) == text and int(text) > 0


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
    rows = _opened(related)
    if with_feedback:
        rows.append(
            [("👍 Helpful", Feedback(topic, True)), ("👎 Not helpful", Feedback(topic, False))]
        )
    return _markup(rows)


def unhelpful_keyboard(related: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """After a 👎: ask again in other words, the answer's related topics, or the whole menu."""
    rows: list[list[tuple[str, Button]]] = [[("✍️ Ask in other words", Home("ask"))]]
    rows += _opened(related)
    rows.append([("📚 Browse all topics", Menu(None))])
    return _markup(rows)


def way_on_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """Under an emergency page only the learned nets called, the topics the message would
    otherwise have been answered with: each opens as a new message, so the page stays above it."""
    return _markup(_opened(choices))


def _opened(choices: Sequence[Choice]) -> list[list[tuple[str, Button]]]:
    """One row per topic, each opening it as a new message."""
    return [[(f"➡️ {c.label}", OpenTopic(c.topic))] for c in choices]


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


def dose_keyboard(
    dose_id: int, reminder: ReminderRow, due: datetime
) -> InlineKeyboardMarkup | None:
    """The buttons on a reminder message for the occurrence `due`; "Tomorrow" only where the
    series' next reminder is later than that."""
    snoozes = [("⏰ 1 hour", DoseAction(dose_id, "1h")), ("⏰ 3 hours", DoseAction(dose_id, "3h"))]
    rule = Rule.from_text(reminder.rule)
    if tomorrow_comes_first(rule, reminder.timezone, reminder.start_date, due):
        snoozes.append(("⏰ Tomorrow", DoseAction(dose_id, "tomorrow")))
    return _markup(
        [
            [
                ("✅ Taken", DoseAction(dose_id, "taken")),
                ("⏭ Skip", DoseAction(dose_id, "skipped")),
            ],
            snoozes,
        ]
    )


def manage_keyboard(reminder_id: int, *, paused: bool) -> InlineKeyboardMarkup | None:
    """One opened reminder: pause or resume, delete, and back to the list."""
    toggle = (
        ("▶️ Resume", Manage(reminder_id, "resume"))
        if paused
        else ("⏸ Pause", Manage(reminder_id, "pause"))
    )
    return _markup(
        [
            [toggle, ("🗑 Delete", Manage(reminder_id, "delete"))],
            [("« All reminders", Manage(reminder_id, "list"))],
        ]
    )


def delete_keyboard(reminder_id: int) -> InlineKeyboardMarkup | None:
    """Delete for good, or keep it."""
    return _markup(
        [
            [
                ("🗑 Yes, delete it", Manage(reminder_id, "delete_yes")),
                ("Keep it", Manage(reminder_id, "open")),
            ]
        ]
    )


def back_keyboard(reminder_id: int) -> InlineKeyboardMarkup | None:
    """Back to the /reminders list (the reminder itself may be gone)."""
    return _markup([[("« All reminders", Manage(reminder_id, "list"))]])


def reminders_keyboard(reminders: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    """The /reminders list: one button per reminder (id, label) to open it."""
    return _markup([[(label, Manage(reminder_id, "open"))] for reminder_id, label in reminders])


def zone_keyboard(first: Sequence[tuple[str, str]] = ()) -> InlineKeyboardMarkup | None:
    """Common time zones, two to a row, after the `first` (label, zone) choices, one a row."""
    shown = {zone for _, zone in first}
    buttons = [(label, PickZone(zone)) for label, zone in COMMON_ZONES if zone not in shown]
    return _markup(
        [[(label, PickZone(zone))] for label, zone in first]
        + [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    )


def confirm_keyboard(
    what: str, yes_label: str, no_label: str = "Cancel"
) -> InlineKeyboardMarkup | None:
    return _yes_or_no(yes_label, Confirm(what, True), Confirm(what, False), no_label)


def share_keyboard(request_id: int) -> InlineKeyboardMarkup | None:
    """Under a group's consent prompt: show the reminder there, or not."""
    return _yes_or_no("Yes, show it here", Share(request_id, True), Share(request_id, False))


def move_zone_keyboard(zone: str, label: str, count: int) -> InlineKeyboardMarkup | None:
    """Under "N reminders are in another time zone": move them to `zone` (shown as `label`)."""
    leave = "Leave them" if count > 1 else "Leave it"
    return _yes_or_no(f"Move to {label}", MoveZone(zone, True), MoveZone(zone, False), leave)


def forget_mine_keyboard(user_id: int) -> InlineKeyboardMarkup | None:
    """Under a group member's /forget: delete their own part, or not."""
    return _yes_or_no("Yes, delete", ForgetMine(user_id, True), ForgetMine(user_id, False))


def _yes_or_no(
    yes_label: str, yes: Button, no: Button, no_label: str = "Cancel"
) -> InlineKeyboardMarkup | None:
    return _markup([[(yes_label, yes), (no_label, no)]])


def home_keyboard() -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [("❓ Ask a question", Home("ask"))],
            [("📚 Browse topics", Home("topics"))],
            [("⏰ Injection reminders", Home("reminders"))],
        ]
    )
