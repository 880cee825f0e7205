"""/supplies: how many ampoules are left for a reminder, and when to say to ask for more.

`/supplies 5` sets the count, `/supplies alert 3` when the reminder starts saying so,
`/supplies off` stops counting; `/supplies` alone shows the count with buttons to set it. Each
Taken counts one down (in the store). In a group, like any change to a reminder, only its
creator or an admin may set it.
"""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.reminders.store import ReminderRow
from bot.reminders.supplies import DEFAULT_ALERT_AT, MAX_ALERT_AT, MAX_SUPPLIES
from bot.telegram.care_keyboards import SetSupplies, supplies_keyboard, supplies_pick_keyboard
from bot.telegram.handlers.reminders import may_manage
from bot.telegram.services import Services, services

EXPIRED = "This reminder is no longer here."
NOT_ALLOWED = "Only the person who set this reminder or a group admin can change it."
_ARGUMENT = re.compile(r"(?:(\d{1,3})|alert (\d{1,2})|(off|stop|none)|)", re.IGNORECASE)


def _value(text: str) -> str | None:
    """The words after /supplies as a button value ("5", "a3", "off", "show"); None if unread."""
    found = _ARGUMENT.fullmatch(" ".join(text.split()))
    if found is None:
        return None
    count, alert, off = found.groups()
    if count is not None:
        return count if int(count) <= MAX_SUPPLIES else None
    if alert is not None:
        return f"a{int(alert)}" if int(alert) <= MAX_ALERT_AT else None
    return "off" if off else "show"


async def supplies(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    message = update.effective_message
    value = _value(" ".join(context.args or ()))
    if value is None:
        await message.reply_html(found.renderer.message("supplies_usage", limit=MAX_SUPPLIES))
        return
    rows = await found.store.reminders(update.effective_chat.id)
    if not rows:
        await message.reply_html(found.renderer.message("supplies_no_reminder"))
        return
    if len(rows) > 1:
        await message.reply_html(
            found.renderer.message("pick_reminder", what="is this for"),
            reply_markup=supplies_pick_keyboard(rows, value),
        )
        return
    if value != "show" and not await may_manage(update, context, rows[0].creator_id):
        await message.reply_html(found.renderer.message("not_allowed"))
        return
    html, markup = await _apply(found, rows[0], value)
    await message.reply_html(html, reply_markup=markup)


async def on_supplies(
    update: Update, context: ContextTypes.DEFAULT_TYPE, button: SetSupplies
) -> None:
    found = services(context)
    query = update.callback_query
    row = await found.store.reminder(button.reminder_id)
    if row is None or row.chat_id != update.effective_chat.id:
        await query.answer(EXPIRED)
        return
    if button.value != "show" and not await may_manage(update, context, row.creator_id):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    await query.answer()
    html, markup = await _apply(found, row, button.value)
    await query.edit_message_text(html, reply_markup=markup)


async def _apply(
    found: Services, row: ReminderRow, value: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Apply a value to the reminder; the status message to show and its buttons.

    An alert level without a count changes nothing: the status then says how to start counting.
    """
    if value == "off":
        row = await found.store.set_supplies(row.id, None) or row
    elif value.startswith("a"):
        if row.supplies_left is not None:
            alert_at = int(value[1:])
            row = (
                await found.store.set_supplies(row.id, row.supplies_left, alert_at=alert_at) or row
            )
    elif value != "show":
        row = await found.store.set_supplies(row.id, int(value), counted_at=found.clock()) or row
    html = found.renderer.message(
        "supplies_status",
        for_whom=row.for_whom,
        left=row.supplies_left,
        alert_at=row.supplies_alert_at if row.supplies_alert_at is not None else DEFAULT_ALERT_AT,
    )
    return html, supplies_keyboard(row.id, counting=row.supplies_left is not None)
