"""The guided /remind: how often, what time, from when (and, in groups, for whom).

Each step takes a button or a typed answer ("9am", "every 6 weeks", "in 3 weeks", "12 Jan"),
read by the same grammar as the one-line /remind, so one answer may settle several steps
("every 4 weeks at 9am"); /cancel or the Cancel button ends it. Where a person is lives in the
database (reminders/guided.py), so a restart loses nothing. In groups a typed answer must reply
to the bot, like any message meant for it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import ForceReply, Update
from telegram.ext import ContextTypes

from bot.reminders.guided import Guide
from bot.reminders.rules import Answer, Problem, month_first, read_answer
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
    chat = update.effective_chat
    await services(context).store.ensure_chat(
        chat.id, "private" if chat.type == chat.PRIVATE else "group"
    )
    await _next(update, context, Guide("f"))


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
    if button.step == "f":
        guide = replace(guide, frequency=FREQUENCIES[button.value])
    elif button.step == "t":
        guide = replace(guide, at=TIMES[button.value])
    else:
        today = await _today(update, context)
        guide = replace(guide, start=today + timedelta(days=int(button.value)), day=None)
    await _next(update, context, guide)


async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A typed answer to the step waited on; False when nobody is being guided here.

    How often may come with the time and the start ("every 4 weeks at 9am from monday"): each
    part said is a question not asked again. A time alone is kept, and how often asked again.
    """
    found = services(context)
    guide = await found.store.guide(update.effective_chat.id, update.effective_user.id)
    if guide is None:
        return False
    text = " ".join(update.effective_message.text.split())
    if guide.step == "name":
        await _finish(update, context, guide, text)
        return True
    said = await _read(update, context, guide, text)
    if isinstance(said, Problem):
        await update.effective_message.reply_html(
            found.renderer.message("guided_problem", message=said.message)
        )
    elif said.others:  # who it is for, a zone: the guide asks the first, /timezone sets the other
        await update.effective_message.reply_html(found.renderer.message("guided_one_step"))
    else:
        # The start is a date or a day of the month ("on the 31st"): the one said last.
        said_start = said.start is not None or said.day is not None
        start, day = (said.start, said.day) if said_start else (guide.start, guide.day)
        await _next(
            update,
            context,
            replace(
                guide,
                frequency=said.how_often or guide.frequency,
                at=said.at or guide.at,
                start=start,
                day=day,
            ),
        )
    return True


async def _read(
    update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide, text: str
) -> Answer | Problem:
    """What the typed answer says, in the grammar's words, or what was wrong with it."""
    today = await _today(update, context)
    if guide.step == "s" and (ahead := _IN.fullmatch(text)):
        days = int(ahead["count"]) * (7 if ahead["unit"].lower().startswith("w") else 1)
        return Answer(start=today + timedelta(days=days))
    chat = await services(context).store.chat(update.effective_chat.id)
    line = {
        "f": text,
        "t": f"at {text.removeprefix('at ')}",
        # "on the 31st", "on monday" say a start already; "12 January" needs its "from"
        "s": text if text.lower().startswith("on ") else f"from {text.removeprefix('from ')}",
    }[guide.step]
    return read_answer(line, today=today, month_first=month_first(chat.timezone if chat else None))


async def _next(update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide) -> None:
    """Ask the first question still open (how often, the time, the start, in groups who it is
    for), or finish."""
    found = services(context)
    chat = update.effective_chat
    if guide.frequency is None:
        step, markup = "f", guided_keyboard("f")
        html = found.renderer.message("guided_frequency", at=guide.at)
    elif guide.at is None:
        step, markup = "t", guided_keyboard("t")
        html = found.renderer.message("guided_time", frequency=guide.frequency)
    elif not guide.has_start:
        step = "s"
        markup = guided_keyboard("s", today=await _time_still_to_come(update, context, guide.at))
        html = found.renderer.message("guided_start", frequency=guide.frequency, time=guide.at)
    elif chat.type != chat.PRIVATE:
        # Selective: the reply box opens for the person mentioned (after a button press, the
        # question replies to the bot's own message, so only the mention finds them).
        step, markup = "name", ForceReply(selective=True)
        user = update.effective_user
        person = None if user.is_bot else {"user_id": user.id, "first_name": user.first_name}
        html = found.renderer.message("guided_for_whom", person=person)
    else:
        await _finish(update, context, guide)
        return
    await found.store.save_guide(chat.id, update.effective_user.id, replace(guide, step=step))
    await update.effective_message.reply_html(html, reply_markup=markup)


async def _finish(
    update: Update, context: ContextTypes.DEFAULT_TYPE, guide: Guide, name: str | None = None
) -> None:
    """Every answer is in: set the reminder as the one-line /remind would."""
    found = services(context)
    chat_id = update.effective_chat.id
    await found.store.end_guide(chat_id, update.effective_user.id)
    chat = await found.store.chat(chat_id)
    await reminders.remind_line(
        update,
        context,
        guide.line() + (f" for {name}" if name else ""),
        chat.timezone if chat else None,
    )


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
