"""The "Where?" buttons after a Taken: record the site, or skip. Anyone who may mark the dose
may say where it went; which site to use is the nurse's advice, so none is ever suggested."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.care_keyboards import PickSite, without_sites
from bot.telegram.services import services

EXPIRED = "This reminder is no longer here."


async def on_site(update: Update, context: ContextTypes.DEFAULT_TYPE, button: PickSite) -> None:
    found = services(context)
    query = update.callback_query
    dose = await found.store.dose(button.dose_id)
    if dose is None or dose.chat_id != update.effective_chat.id:
        await query.answer(EXPIRED)
        return
    if button.site is not None and await found.store.record_site(dose.id, button.site) is None:
        await query.answer(EXPIRED)  # no longer taken
        return
    await query.answer(f"Noted: {button.site}." if button.site else "OK.")
    question = found.renderer.message("site_question")
    shown = getattr(query.message, "text_html", None)
    markup = without_sites(getattr(query.message, "reply_markup", None))
    if shown is None:  # too old to read back: only the site buttons go
        await query.edit_message_reply_markup(markup)
        return
    html = shown.removesuffix(question).rstrip()
    if button.site:
        html += "\n" + found.renderer.message("site_noted", site=button.site)
    await query.edit_message_text(html, reply_markup=markup)
