"""/export: the dose record as three files in the chat: CSV, an iCalendar file, a one-page PDF.

In a private chat, everything in it. In a group, a record is one reminder's, and only its
creator or an admin may export it (a group with several offers a choice). The files name the
person by the name chosen for the reminder ("for Mum") and nothing else; who marked each dose
is a first name, looked up when the record is made, never stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from telegram import Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.reminders.export import build_record, csv_bytes, ics_bytes, pdf_bytes
from bot.reminders.store import DoseRow, ReminderRow
from bot.telegram.care_keyboards import ExportOne, export_pick_keyboard
from bot.telegram.handlers.reminders import is_admin
from bot.telegram.services import services

EXPIRED = "This reminder is no longer here."
MAX_NAME_LOOKUPS = 20  # group members whose first names are asked for, at most
FILES = (
    ("b12-dose-log.csv", csv_bytes, "export_csv"),
    ("b12-coming-injections.ics", ics_bytes, "export_ics"),
    ("b12-injection-record.pdf", pdf_bytes, "export_pdf"),
)


def _group(update: Update) -> bool:
    return update.effective_chat.type != ChatType.PRIVATE


async def _exportable(update: Update, context: ContextTypes.DEFAULT_TYPE) -> list[ReminderRow]:
    """The group's reminders this person may export: all for an admin, else the ones they set."""
    rows = await services(context).store.reminders(update.effective_chat.id)
    if await is_admin(update, context):
        return rows
    return [row for row in rows if row.creator_id == update.effective_user.id]


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    message = update.effective_message
    chat_id = update.effective_chat.id
    if not _group(update):
        rows = await found.store.reminders(chat_id)
        doses = await found.store.dose_log(chat_id)
        if not rows and not doses:
            await message.reply_html(found.renderer.message("export_nothing"))
            return
        await _send(update, context, rows, doses)
        return
    everything = await found.store.reminders(chat_id)
    if not everything:
        await message.reply_html(found.renderer.message("export_nothing"))
        return
    allowed = await _exportable(update, context)
    if not allowed:
        await message.reply_html(found.renderer.message("export_not_allowed"))
    elif len(allowed) == 1:
        await _send_one(update, context, allowed[0])
    else:
        await message.reply_html(
            found.renderer.message("pick_reminder", what="should I export"),
            reply_markup=export_pick_keyboard(allowed),
        )


async def on_export(update: Update, context: ContextTypes.DEFAULT_TYPE, button: ExportOne) -> None:
    """The choice of reminder in a group; the presser must be allowed to export it."""
    query = update.callback_query
    row = await services(context).store.reminder(button.reminder_id)
    if row is None or row.chat_id != update.effective_chat.id:
        await query.answer(EXPIRED)
        return
    if row.id not in {r.id for r in await _exportable(update, context)}:
        await query.answer(
            services(context).renderer.message("export_not_allowed"), show_alert=True
        )
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await _send_one(update, context, row)


async def _send_one(update: Update, context: ContextTypes.DEFAULT_TYPE, row: ReminderRow) -> None:
    doses = await services(context).store.dose_log(row.chat_id, reminder_id=row.id)
    await _send(update, context, [row], doses)


async def _send(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    rows: Sequence[ReminderRow],
    doses: Sequence[DoseRow],
) -> None:
    found = services(context)
    chat = update.effective_chat
    stored = await found.store.chat(chat.id)
    zone = (stored.timezone if stored else None) or (rows[0].timezone if rows else "UTC")
    names = await _names(update, context, {d.acted_by for d in doses if d.acted_by is not None})
    someone = "a group member" if _group(update) else "a former carer"
    record = build_record(
        rows, doses, zone=zone, now=found.clock(), who=lambda user_id: names.get(user_id, someone)
    )
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    # A year of daily doses takes ~0.1 s to lay out: not on the loop other chats are served on.
    files = await asyncio.to_thread(lambda: [render(record) for _, render, _ in FILES])
    for (filename, _, caption), data in zip(FILES, files, strict=True):
        await update.effective_message.reply_document(
            data, filename=filename, caption=found.renderer.message(caption)
        )


async def _names(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user_ids: set[int]
) -> dict[int, str]:
    """First names for who marked doses: the exporter, linked carers, and group members."""
    found = services(context)
    me = update.effective_user
    names = {me.id: me.first_name}
    if not _group(update):
        for link in await found.store.carers(me.id):
            names[link.carer_id] = f"{link.carer_name} (carer)"
        return names
    for user_id in sorted(user_ids - names.keys())[:MAX_NAME_LOOKUPS]:
        try:
            member = await context.bot.get_chat_member(update.effective_chat.id, user_id)
        except TelegramError:  # left the group, or Telegram will not say
            continue
        names[user_id] = member.user.first_name
    return names
