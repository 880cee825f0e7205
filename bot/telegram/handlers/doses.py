"""/taken and /history, and the buttons under a /taken confirmation (Undo, restart from it).

Thin: reading "for Mum yesterday at 10am" is taken_when.py's, which occurrence a dose answers is
taken_log.py's; a /taken that marks an occurrence already sent closes its messages as a Taken
pressed on it does (settled.py). Anyone in a chat may log a dose; only the person who logged it
may undo it, and only someone who may manage the reminder may restart its schedule.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.reminders.doselog import SETTLED, taken_when
from bot.reminders.offsets import zone_label
from bot.reminders.rules import Rule, month_first, next_due
from bot.reminders.store import DoseRow, ReminderRow
from bot.reminders.taken_log import Logged, restart_offer, restarted
from bot.reminders.taken_when import MAX_BACK, Taken, read_taken
from bot.telegram.dose_keyboards import RestartFrom, UndoTaken, decode, taken_keyboard
from bot.telegram.handlers.reminders import may_manage
from bot.telegram.handlers.taken_extras import after_taken
from bot.telegram.sender import local_time
from bot.telegram.services import Services, services
from bot.telegram.settled import (
    close_dose_messages,
    marked_line,
    reopen_dose_messages,
    restored_line,
)

FUTURE_SLACK = dt.timedelta(minutes=5)  # a phone clock a little ahead is not "the future"
MIDDAY = dt.time(12)  # where a day alone is logged when no reminder gives it a time
# What each dose status means to the person reading /history.
STATUS_WORDS = {
    "sending": "being sent",
    "sent": "no answer",
    "late": "no answer (sent late)",
    "missed": "missed (I was offline)",
    "taken": "taken",
    "skipped": "skipped",
    "snoozed": "snoozed",
    "failed": "not delivered",
}
EXPIRED = "Sorry, this button has expired."


async def taken(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/taken [for NAME] [when]: log a dose given by hand, against the reminder it belongs to."""
    found = services(context)
    chat = update.effective_chat
    row = await found.store.ensure_chat(
        chat.id, "private" if chat.type == chat.PRIVATE else "group"
    )
    zone = row.timezone or "UTC"
    now = found.clock().astimezone(ZoneInfo(zone))
    active = [r for r in await found.store.reminders(chat.id) if r.active]
    names = sorted({r.for_whom for r in active if r.for_whom})
    said = read_taken(
        " ".join(context.args or ()), names=names, now=now, month_first=month_first(row.timezone)
    )
    if isinstance(said, str):
        await _reply(update, found.renderer.message("taken_problem", message=said))
        return
    reminder = _whose(said, active)
    if reminder is False:
        await _reply(update, found.renderer.message("taken_which", names=names))
        return
    at, day_only = _when(said, reminder, now)
    problem = _unlikely(at, now, day_only=day_only)
    if problem is not None:
        await _reply(update, found.renderer.message("taken_problem", message=problem))
        return
    logged = await found.store.log_given(
        chat.id,
        reminder.id if reminder else None,
        update.effective_user.id,
        at,
        following=lambda r, due: next_due(Rule.from_text(r.rule), r.timezone, r.start_date, due),
    )
    await _confirm(update, found, logged, reminder, zone, day_only=day_only)
    if logged is not None and logged.how == "marked" and reminder is not None:
        # It answered a reminder already sent: that message, the carers' nudges and alerts
        # stop offering Taken/Skip, as after a Taken pressed on it.
        dose, who = logged.dose, update.effective_user.first_name
        marked = marked_line(found, dose, reminder, what="taken", who=who, at=dose.acted_at)
        await close_dose_messages(context.bot, found, dose, reminder, marked, done=())


def _whose(said: Taken, active: list[ReminderRow]) -> ReminderRow | bool | None:
    """The reminder a dose belongs to; None for none; False when it could be several."""
    if said.name is not None:
        return next(r for r in active if r.for_whom == said.name)
    own = [r for r in active if r.for_whom is None] or active
    if len(own) > 1 and len({r.for_whom for r in own}) > 1:
        return False
    return own[0] if own else None


def _when(said: Taken, reminder: ReminderRow | None, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """The instant meant, and whether it is a day alone ("/taken 30 Nov").

    A day alone is stored at the reminder's own time that day (so it answers that day's
    reminder), at midday without one, or now if that is still to come today; its confirmation
    shows the day and says which time was used, and never passes it off as said.
    """
    if said.moment is not None:
        return said.moment, False
    if said.clock is not None:
        clock = said.clock.replace(second=0, microsecond=0)
        return dt.datetime.combine(said.day, clock, now.tzinfo), False
    rule = Rule.from_text(reminder.rule) if reminder else None
    at = dt.datetime.combine(
        said.day, dt.time(rule.hour, rule.minute) if rule else MIDDAY, now.tzinfo
    )
    if said.day == now.date():
        at = min(at, now.replace(second=0, microsecond=0))
    return at, True


def _unlikely(at: dt.datetime, now: dt.datetime, *, day_only: bool) -> str | None:
    if at > now + FUTURE_SLACK:
        return f"{local_time(at, str(now.tzinfo), with_time=not day_only)} hasn't happened yet."
    if now - at > MAX_BACK:
        return "That's more than a year ago."
    return None


async def _confirm(
    update: Update,
    found: Services,
    logged: Logged | None,
    reminder: ReminderRow | None,
    zone: str,
    *,
    day_only: bool,
) -> None:
    if logged is None:  # the reminder went between reading and writing
        await _reply(
            update, found.renderer.message("taken_problem", message="That reminder is gone.")
        )
        return
    dose = logged.dose
    name = reminder.for_whom if reminder else None
    shown_zone = reminder.timezone if reminder else zone
    now = found.clock()
    if logged.how == "duplicate":
        at = local_time(dose.acted_at or dose.due_at, shown_zone, now=now)
        await _reply(update, found.renderer.message("taken_duplicate", for_whom=name, at=at))
        return
    fresh = await found.store.reminder(reminder.id) if reminder else None
    html = found.renderer.message(
        "taken_logged",
        at=local_time(dose.acted_at, shown_zone, with_time=not day_only, now=now),
        logged_at=local_time(dose.acted_at, shown_zone, with_day=False) if day_only else None,
        for_whom=name,
        zone=zone_label(shown_zone),
        answered=local_time(dose.due_at, shown_zone, now=now) if logged.how != "alone" else None,
        next_due=local_time(fresh.next_due_at, fresh.timezone, now=now) if fresh else None,
    )
    # Far from any occurrence: offer to count from it, if that moves the next reminder and no
    # later dose is logged.
    due = None
    if logged.how == "alone" and fresh and not await found.store.given_after(dose):
        due = restart_offer(fresh, dose, now)
    if due is not None:
        html += "\n" + found.renderer.message(
            "taken_restart", due=local_time(due, shown_zone, now=now)
        )
    html, sites = await after_taken(found, dose.reminder_id, dose.id, html)
    undo = UndoTaken(dose.id, logged.how, logged.before)
    await _reply(update, html, taken_keyboard(undo, offer_restart=due is not None, below=sites))


async def on_dose_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Undo or restart-from-this-dose; every query is answered."""
    found = services(context)
    query = update.callback_query
    button = decode(query.data)
    dose = await found.store.dose(button.dose_id) if button else None
    if dose is None or dose.chat_id != update.effective_chat.id or dose.status != "taken":
        await query.answer(EXPIRED)
        return
    if isinstance(button, UndoTaken):
        if dose.acted_by != update.effective_user.id:
            await query.answer("Only the person who logged it can undo it.", show_alert=True)
            return
        undone = await found.store.undo_given(dose.id, button.how, button.before)
        await query.answer("Undone.")
        await query.edit_message_text(found.renderer.message("taken_undone"), reply_markup=None)
        if undone is not None and button.how == "marked":
            await _reopen(context, dose.id)
        return
    await _restart(update, context, button, dose)


async def _reopen(context: ContextTypes.DEFAULT_TYPE, dose_id: int) -> None:
    """The occurrence a /taken marked is as it was: open again, its reminder and alerts offering
    their buttons again, or skipped again, which they then say instead of who took it."""
    found = services(context)
    dose = await found.store.dose(dose_id)
    reminder = await found.store.reminder(dose.reminder_id) if dose and dose.reminder_id else None
    if reminder is None:
        return
    if dose.status in SETTLED:
        line = restored_line(found, dose, reminder)
        await close_dose_messages(context.bot, found, dose, reminder, line, done=())
    else:
        await reopen_dose_messages(context.bot, found, dose, reminder)


async def _restart(
    update: Update, context: ContextTypes.DEFAULT_TYPE, button: RestartFrom, dose: DoseRow
) -> None:
    found = services(context)
    query = update.callback_query
    reminder = await found.store.reminder(dose.reminder_id) if dose.reminder_id else None
    if reminder is None:
        await query.answer(EXPIRED)
        return
    if not await may_manage(update, context, reminder.creator_id):
        await query.answer(
            "Only the person who set this reminder or an admin can.", show_alert=True
        )
        return
    keep_undo = taken_keyboard(UndoTaken(dose.id, "alone", None), offer_restart=False)
    if not button.yes:
        await query.answer("Schedule kept.")
        await query.edit_message_reply_markup(keep_undo)
        return
    if await found.store.given_after(dose):
        await query.answer(
            "A later dose is logged, so the schedule can't count from this one.", show_alert=True
        )
        await query.edit_message_reply_markup(keep_undo)
        return
    start, due = restarted(reminder, dose, found.clock())
    await found.store.restart_from(reminder.id, start, due)
    await query.answer("Done.")
    await update.effective_message.reply_html(
        found.renderer.message("taken_restarted", due=local_time(due, reminder.timezone))
    )
    await query.edit_message_reply_markup(keep_undo)


HISTORY_LINES = 10  # the doses /history lists; /export has them all


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/history: the latest doses, whose they were, and when each reminder is next due."""
    found = services(context)
    chat_id = update.effective_chat.id
    chat = await found.store.chat(chat_id)
    zone = (chat.timezone if chat else None) or "UTC"
    now = found.clock()
    reminders = {r.id: r for r in await found.store.reminders(chat_id)}
    # A dose a carer marked (their It's done) says so, as the reminder message does.
    carers = {link.carer_id: link.carer_name for link in await found.store.carers(chat_id)}
    shown = await found.store.history(chat_id, limit=HISTORY_LINES)
    lines = [_history_line(dose, reminders, carers, zone, now) for dose in shown]
    # Ten unanswered reminders pushed the last injection out of sight (a QA pass).
    last = await found.store.last_taken(chat_id)
    last_taken = (
        _history_line(last, reminders, carers, zone, now)
        if last is not None and last.id not in {dose.id for dose in shown}
        else None
    )
    coming = sorted((r for r in reminders.values() if r.active), key=lambda r: r.next_due_at)
    next_due = [
        (
            r.for_whom,
            local_time(r.next_due_at, r.timezone, now=now),
            zone_label(r.timezone) if r.timezone != zone else None,
        )
        for r in coming
    ]
    await _reply(
        update,
        found.renderer.message(
            "history",
            lines=lines,
            next_due=next_due,
            rules=_told_apart(coming),
            last_site=await found.store.last_site(chat_id),
            zone=zone_label(zone),
            last_taken=last_taken,
            older=len(shown) == HISTORY_LINES,
        ),
    )


def _told_apart(coming: list[ReminderRow]) -> list[str | None]:
    """Each "Next due" line's rule where its name would not tell it from another's (no name
    beside another reminder, or a name two reminders share); None where the line is clear."""
    names = [r.for_whom for r in coming]
    return [
        Rule.from_text(r.rule).describe(r.start_date)
        if len(coming) > 1 and (r.for_whom is None or names.count(r.for_whom) > 1)
        else None
        for r in coming
    ]


def _history_line(
    dose: DoseRow,
    reminders: dict[int, ReminderRow],
    carers: dict[int, str],
    zone: str,
    now: dt.datetime,
) -> str:
    reminder = reminders.get(dose.reminder_id) if dose.reminder_id else None
    who = f" for {reminder.for_whom}" if reminder and reminder.for_whom else ""
    carer = carers.get(dose.acted_by) if dose.acted_by is not None else None
    by = f" by {carer} (carer)" if carer else ""
    site = f" ({dose.site})" if dose.site else ""
    at, counted_for = taken_when(dose)
    due = f" (due {_due_beside(counted_for, at, zone, now)})" if counted_for else ""
    return f"{local_time(at, zone, now=now)}{who}{due}: {STATUS_WORDS[dose.status]}{by}{site}"


def _due_beside(due: dt.datetime, at: dt.datetime, zone: str, now: dt.datetime) -> str:
    """The due time a dose taken at `at` counted for, its day said only if not the same."""
    local = ZoneInfo(zone)
    same_day = due.astimezone(local).date() == at.astimezone(local).date()
    return local_time(due, zone, with_day=not same_day, now=now)


async def _reply(update: Update, html: str, markup=None) -> None:
    await update.effective_message.reply_html(html, reply_markup=markup)
