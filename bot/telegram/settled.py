"""Once a dose is settled, every message the bot sent for it stops offering its buttons.

One dose can have a reminder and carers' nudges in the patient's chat, all with Taken/Skip, and
an alert in each carer's chat. A Taken, a Skip or a carer's "It's done" on any one of them, or a
/taken that answers it, settles it: the handler edits the message that was pressed, and this
edits the others to say what the dose became, without buttons, so nobody is left offered an
answer already given. Of two answers at the same moment only one is recorded (doselog.py); the
other is told it was already marked, as a press on a message still showing its buttons is. An
Undo of the /taken that settled it opens the dose again, and these messages with it, or puts
back the skip it overrode, which they then say.

Telegram may refuse an edit: a message the person deleted ("message to edit not found"), one
too old to edit, one already saying this ("message is not modified"), a carer who blocked the
bot. The dose log has the answer either way, and a press on a message left with its buttons is
answered as already marked, so a refusal is logged by its kind alone and the rest go on.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.reminders.carers import alert_name
from bot.reminders.store import DoseRow, ReminderRow
from bot.telegram.care_keyboards import alert_keyboard
from bot.telegram.keyboards import dose_keyboard
from bot.telegram.sender import local_time, reminder_text
from bot.telegram.services import Services

logger = logging.getLogger(__name__)

MessageKey = tuple[int, int]  # (chat id, message id)


async def edit_quietly(
    bot: Bot,
    key: MessageKey,
    html: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Edit a message the bot sent earlier; a refusal is logged, by its kind only, and ignored."""
    chat_id, message_id = key
    try:
        await bot.edit_message_text(
            html, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except TelegramError as error:
        logger.info("an earlier message of a dose was not updated (%s)", type(error).__name__)


def already_marked(dose: DoseRow) -> str:
    """The answer to a press on a settled dose: a stale button, or the later of two at once."""
    return f"Already marked as {dose.status}."


def marked_line(
    found: Services, dose: DoseRow, reminder: ReminderRow, *, what: str, who: str, at: datetime
) -> str:
    """What a dose's messages in its chat say once it is answered, in the same words for a
    press, a carer's "It's done" and a /taken. `at` gives its day when that is not the due day
    (a /taken for last night's dose, a Taken pressed the morning after)."""
    zone = ZoneInfo(reminder.timezone)
    other_day = at.astimezone(zone).date() != dose.due_at.astimezone(zone).date()
    return found.renderer.message(
        "dose_marked",
        for_whom=reminder.for_whom,
        due=local_time(dose.due_at, reminder.timezone),
        what=what,
        who=who,
        at=local_time(at, reminder.timezone, with_day=other_day),
    )


def restored_line(found: Services, dose: DoseRow, reminder: ReminderRow) -> str:
    """What a dose's messages say when undoing the /taken that overrode a skip puts the skip
    back: the skip's who and when were replaced by the /taken's, so only what it is again."""
    return found.renderer.message(
        "dose_marked",
        for_whom=reminder.for_whom,
        due=local_time(dose.due_at, reminder.timezone),
        what=dose.status,
    )


async def close_dose_messages(
    bot: Bot,
    found: Services,
    dose: DoseRow,
    reminder: ReminderRow,
    marked: str,
    *,
    done: Collection[MessageKey],
) -> None:
    """Edit the settled dose's messages, all but those in `done` (already edited by the caller).

    Those in the dose's chat say `marked` (the line the pressed message got, without the site
    question, which stays on one message); a carer's alert says what the dose became.
    """
    sent = await found.store.dose_messages(dose.id)
    due = local_time(dose.due_at, reminder.timezone, with_day=False)
    edits = [((reminder.chat_id, message_id), marked) for message_id in sent.in_chat]
    edits += [
        (
            (alert.carer_id, alert.message_id),
            found.renderer.message(
                "carer_alert_closed",
                name=alert_name(reminder, alert),
                due=due,
                status=dose.status,
            ),
        )
        for alert in sent.alerts
    ]
    for key, html in edits:
        if key not in done:
            await edit_quietly(bot, key, html)


async def reopen_dose_messages(
    bot: Bot, found: Services, dose: DoseRow, reminder: ReminderRow
) -> None:
    """Undoing the /taken that settled a dose opens it again, and its messages with it.

    Those in its chat read as the reminder again, with Taken/Skip (a nudge's own words are not
    kept); each alert asks its carer again, without "remind again" once they have used it.
    """
    sent = await found.store.dose_messages(dose.id)
    html = reminder_text(
        found.renderer, reminder, dose.due_at, late=dose.status == "late", missed=0
    )
    for message_id in sent.in_chat:
        await edit_quietly(
            bot, (reminder.chat_id, message_id), html, dose_keyboard(dose.id, reminder, dose.due_at)
        )
    due = local_time(dose.due_at, reminder.timezone, with_day=False)
    for alert in sent.alerts:
        name = alert_name(reminder, alert)
        await edit_quietly(
            bot,
            (alert.carer_id, alert.message_id),
            found.renderer.message("carer_alert", name=name, due=due),
            alert_keyboard(dose.id, name, nudged=alert.nudged),
        )
