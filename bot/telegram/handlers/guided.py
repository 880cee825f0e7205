"""The guided /remind: how often, what time, from when (and, in groups, for whom).

Each step takes a button or a typed answer ("9am", "every 6 weeks", "in 3 weeks", "12 Jan"),
read by the same grammar as the one-line /remind; /cancel or the Cancel button ends it. Where a
person is lives in the database (reminders/guided.py), so a restart loses nothing. In groups a
typed answer must reply to the bot, like any message meant for it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import ForceReply, Update
from telegram.ext import ContextTypes

from bot.reminders.guided import Guide
from bot.reminders.rules import Problem, month_first, parse
from bot.telegram.guided_keyboards import FREQUENCIES, TIMES, decode, guided_keyboard
from bot.telegram.handlers import reminders
from bot.telegram.services import services

_IN = re.compile(r"in (?P<count>[0-9]{1,3}) (?P<unit>days?|weeks?)", re.IGNORECASE)
EXPIRED = "Send /remind to start a new reminder."


async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remind with a line reads it; /remind on its own starts the guide."""
    if context.args:
        await reminders.remind(update, context)
    else:
        await start_guide(update, context)


async def start_guide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The first question, how often."""
    found = services(context)
    chat = update.effective_chat
    await found.store.ensure_chat(chat.id, "private" if chat.type == chat.PRIVATE else "group")
    await found.store.save_guide(chat.id, update.effective_user.id, Guide("f"))
    await update.effective_message.reply_html(
        found.renderer.message("guided_frequency"), reply_markup=guided_keyboard("f")
    )


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: end the guided /remind, if one is under way."""
    found = services(context)
    ended = await found.store.end_guide(update.effective_chat.id, update.effective_user.id)
    await update.effective_message.reply_html(
        found.renderer.message("guided_cancelled", ended=ended)
    )


async def on_guided_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A pressed choice; only the person being guided can answer their own questions."""
    found = services(context)
    query = update.callback_query
    button = decode(query.data)
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    guide = await found.store.guide(chat_id, user_id)
    if button is None or guide is None:
        await query.answer(EXPIRED)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if button.step == "x":
        await found.store.end_guide(chat_id, user_id)
        await query.edit_message_text(found.renderer.message("guided_cancelled", ended=True))
        return
    if button.step == "o" or button.step != guide.step:
        await _ask_to_type(update, context, guide)
        return
    today = await _today(update, context)
    answer = {
        "f": lambda: FREQUENCIES[button.value],
        "t": lambda: TIMES[button.value],
        "s": lambda: today + timedelta(days=int(button.value)),
    }[button.step]()
    await _answered(update, context, guide, answer)


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A typed answer to the step waited on; False when nobody is being guided here."""
    found = services(context)
    guide = await found.store.guide(update.effective_chat.id, update.effective_user.id)
    if guide is None:
        return False
    text = " ".join(update.effective_message.text.split())
    answer = await _read(update, context, guide, text)
    if isinstance(answer, Problem):
        await update.effective_message.reply_html(
            found.renderer.message("guided_problem", message=answer.message)
        )
        return True
    await _answered(update, context, guide, answer)
    return True


async def _read(
    update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide, text: str
) -> str | date | Problem:
    """The typed answer in the grammar's words (or a start date), else what was wrong."""
    today = await _today(update, context)
    if guide.step == "name":
        return text
    if guide.step == "s" and (ahead := _IN.fullmatch(text)):
        days = int(ahead["count"]) * (7 if ahead["unit"].lower().startswith("w") else 1)
        return today + timedelta(days=days)
    chat = await services(context).store.chat(update.effective_chat.id)
    line = {
        "f": f"{text} at 12:00",
        "t": f"every day at {text.removeprefix('at ')}",
        "s": f"every day at 12:00 from {text.removeprefix('from ')}",
    }[guide.step]
    parsed = parse(line, today=today, month_first=month_first(chat.timezone if chat else None))
    if isinstance(parsed, Problem):
        return parsed
    rule = parsed.rule
    return {
        "f": rule.describe().rsplit(" at ", 1)[0],
        "t": f"{rule.hour:02d}:{rule.minute:02d}",
        "s": parsed.start,
    }[guide.step]


async def _answered(
    update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide, answer: str | date
) -> None:
    """Store the answer and ask the next question, or finish."""
    found = services(context)
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    message = update.effective_message
    if guide.step == "f":
        guide = Guide("t", frequency=str(answer))
        html = found.renderer.message("guided_time", frequency=guide.frequency)
        markup = guided_keyboard("t")
    elif guide.step == "t":
        guide = Guide("s", guide.frequency, at=str(answer))
        html = found.renderer.message("guided_start", frequency=guide.frequency, time=guide.at)
        markup = guided_keyboard("s", today=await _time_still_to_come(update, context, guide.at))
    elif guide.step == "s" and update.effective_chat.type != update.effective_chat.PRIVATE:
        guide = Guide("name", guide.frequency, guide.at, answer)  # type: ignore[arg-type]
        html, markup = found.renderer.message("guided_for_whom"), ForceReply(selective=True)
    else:
        start = answer if guide.step == "s" else guide.start
        name = answer if guide.step == "name" else None
        await found.store.end_guide(chat_id, user_id)
        line = f"{guide.frequency} at {guide.at} from {start.isoformat()}"
        chat = await found.store.chat(chat_id)
        await reminders.remind_line(
            update,
            context,
            line + (f" for {name}" if name else ""),
            chat.timezone if chat else None,
        )
        return
    await found.store.save_guide(chat_id, user_id, guide)
    await message.reply_html(html, reply_markup=markup)


async def _ask_to_type(update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide) -> None:
    found = services(context)
    await update.effective_message.reply_html(
        found.renderer.message("guided_type", step=guide.step),
        reply_markup=ForceReply(selective=True, input_field_placeholder="Type it here"),
    )


async def _today(update: Update, context: ContextTypes.DEFAULT_TYPE) -> date:
    return (await _now(update, context)).date()


async def _now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> datetime:
    found = services(context)
    chat = await found.store.chat(update.effective_chat.id)
    zone = (chat.timezone if chat else None) or "UTC"
    return found.clock().astimezone(ZoneInfo(zone))


async def _time_still_to_come(
    update: Update, context: ContextTypes.DEFAULT_TYPE, at: str | None
) -> bool:
    """Whether today's reminder time has not passed yet, so "Today" can be offered."""
    now = await _now(update, context)
    hour, minute = (int(part) for part in (at or "00:00").split(":"))
    return now.time() < time(hour, minute)
