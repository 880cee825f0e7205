"""What follows a Taken, wherever it was given: the ampoules left, and the optional "Where?".

A Taken on a reminder, a /taken and a carer's "It's done" all end here, so the count and the
site question read the same everywhere. The site buttons edit the same message: the question
line is swapped for the answer (sites.py), so nothing else in the message needs rebuilding.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.reminders.rows import ReminderRow
from bot.reminders.supplies import running_low
from bot.telegram.care_keyboards import site_keyboard
from bot.telegram.sender import local_time
from bot.telegram.services import Services


def supplies_line(found: Services, reminder: ReminderRow | None) -> str | None:
    """ "💊 3 ampoules left." or, when low, to ask for a repeat prescription; None if not counted."""
    if reminder is None or reminder.supplies_left is None:
        return None
    if running_low(reminder):
        return "💊 " + found.renderer.message("supplies_low", left=reminder.supplies_left)
    return found.renderer.message("supplies_left", left=reminder.supplies_left)


async def close_dose_line(
    found: Services, reminder: ReminderRow | None, dose_id: int
) -> str | None:
    """A warning when another dose for the same person was logged hours before or after this
    one, in the reminder's zone (or the chat's); None when there is none."""
    other = await found.store.taken_close_to(dose_id)
    if other is None or other.acted_at is None:
        return None
    if reminder is not None:
        zone = reminder.timezone
    else:
        chat = await found.store.chat(other.chat_id)
        zone = chat.timezone if chat and chat.timezone else "UTC"
    return found.renderer.message(
        "taken_close",
        for_whom=reminder.for_whom if reminder else None,
        at=local_time(other.acted_at, zone, now=found.clock()),
    )


async def after_taken(
    found: Services, reminder_id: int | None, dose_id: int, html: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The confirmation `html` with the ampoules left and the site question, and its buttons."""
    reminder = await found.store.reminder(reminder_id) if reminder_id else None
    lines = [html]
    close = await close_dose_line(found, reminder, dose_id)
    if close:
        lines.append(close)
    supplies = supplies_line(found, reminder)
    if supplies:
        lines.append(supplies)
    lines.append(found.renderer.message("site_question"))
    return "\n".join(lines), site_keyboard(dose_id)
