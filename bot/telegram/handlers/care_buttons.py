"""Button presses of the carer link, supplies, injection sites and /export (care_keyboards.py).

Registered before the general button handler, for the data prefixes care_keyboards.PATTERN
names. Every query is answered; data that is not exactly one of our shapes changes nothing.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.care_keyboards import ExportOne, PickSite, SetSupplies, decode
from bot.telegram.handlers import carers, export, sites, supplies

EXPIRED = "Sorry, this button has expired."


async def on_care_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    button = decode(query.data)
    if button is None or query.message is None or not hasattr(query.message, "reply_html"):
        await query.answer(EXPIRED)
        return
    match button:
        case PickSite():
            await sites.on_site(update, context, button)
        case SetSupplies():
            await supplies.on_supplies(update, context, button)
        case ExportOne():
            await export.on_export(update, context, button)
        case _:
            await carers.on_carer_button(update, context, button)
