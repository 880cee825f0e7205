"""Injection reminders in chats: /timezone, /remind, /reminders, their buttons, and /forget.

Thin: parsing and recurrence live in reminders/rules.py, state in reminders/store.py. In groups,
anyone may mark a dose; only a reminder's creator or a group admin may change or delete it. A
member's /forget deletes what they put there; only an admin's deletes the group's data. An
anonymous admin (who writes as the group) counts as an admin, and any admin may confirm what one
started.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from zoneinfo import ZoneInfo

from telegram import ChatMember, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatID
from telegram.ext import ContextTypes

from bot.reminders.consent import ShareRequest
from bot.reminders.doselog import SETTLED, AlreadyMarked
from bot.reminders.duplicates import duplicate_of
from bot.reminders.offsets import Fixed, read_abbreviation, read_fixed, zone_label
from bot.reminders.rules import (
    Parsed,
    Problem,
    Rule,
    first_due,
    month_first,
    parse,
    passed_on_start,
    resolve_zone,
    snoozed,
)
from bot.reminders.schema import ChatKind
from bot.reminders.store import (
    MAX_ACTIVE_PER_CHAT,
    DuplicateReminder,
    ReminderRow,
    TooManyReminders,
)
from bot.telegram.handlers.carers import links_of, tell_link_ended
from bot.telegram.handlers.taken_extras import after_taken
from bot.telegram.keyboards import (
    Confirm,
    DoseAction,
    ForgetMine,
    Manage,
    MoveZone,
    PickZone,
    Share,
    back_keyboard,
    confirm_keyboard,
    delete_keyboard,
    forget_mine_keyboard,
    manage_keyboard,
    move_zone_keyboard,
    reminders_keyboard,
    share_keyboard,
    zone_keyboard,
)
from bot.telegram.sender import local_time
from bot.telegram.services import Services, services
from bot.telegram.settled import already_marked, close_dose_messages, marked_line

GROUP_FOLLOWUP_MINUTES = 120
ADMIN_STATUSES = {ChatMember.ADMINISTRATOR, ChatMember.OWNER}
EXPIRED_DOSE = "This reminder is no longer here."
NOT_ALLOWED = "Only the person who set this reminder or a group admin can change it."


def _is_group(update: Update) -> bool:
    return update.effective_chat.type in {
        update.effective_chat.GROUP,
        update.effective_chat.SUPERGROUP,
    }


def _kind(update: Update) -> ChatKind:
    return "group" if _is_group(update) else "private"


async def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """A group admin, including an anonymous one (who posts as the group itself)."""
    chat = update.effective_chat
    if _as_the_group(update):
        return True
    member = await context.bot.get_chat_member(chat.id, update.effective_user.id)
    return member.status in ADMIN_STATUSES


def _as_the_group(update: Update) -> bool:
    """An anonymous admin: the message comes from the group itself."""
    message = update.effective_message
    sender = message.sender_chat if message is not None else None
    return sender is not None and sender.id == update.effective_chat.id


def _asker(update: Update) -> int:
    """Who asked: a user id, or ChatID.ANONYMOUS_ADMIN for an admin writing as the group."""
    return ChatID.ANONYMOUS_ADMIN if _as_the_group(update) else update.effective_user.id


async def may_manage(
    update: Update, context: ContextTypes.DEFAULT_TYPE, creator_id: int | None
) -> bool:
    """Private chats: always. Groups: the creator of the reminder, or an admin."""
    if not _is_group(update):
        return True
    return update.effective_user.id == creator_id or await is_admin(update, context)


async def _reply(update: Update, html: str, markup=None) -> Message:
    return await update.effective_message.reply_html(html, reply_markup=markup)


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timezone [zone or city]: without one, a picker of common zones."""
    found = services(context)
    text = " ".join(context.args or ()).strip()
    if not text:
        chat = await found.store.chat(update.effective_chat.id)
        current = chat.timezone if chat else None
        if current:  # it asked "First, which time zone...?" as if none were set
            message = found.renderer.message("timezone_current", zone=zone_label(current))
        else:
            message = found.renderer.message("needs_timezone")
        await _reply(update, message, zone_keyboard())
        return
    zone = resolve_zone(text)
    if zone is not None:
        await set_zone(update, context, zone)
    elif (fixed := read_fixed(text)) is not None and fixed.zone is not None:
        await set_zone(update, context, fixed.zone, fixed)
    elif fixed is not None:
        await _reply(
            update, found.renderer.message("timezone_unkept", offset=fixed.label), zone_keyboard()
        )
    elif (abbreviation := read_abbreviation(text)) is not None:
        await _reply(
            update,
            found.renderer.message("timezone_abbreviation", text=abbreviation.text),
            zone_keyboard(abbreviation.places),
        )
    else:
        await _reply(
            update, found.renderer.message("timezone_unknown", text=text[:40]), zone_keyboard()
        )


async def set_zone(
    update: Update, context: ContextTypes.DEFAULT_TYPE, zone: str, fixed: Fixed | None = None
) -> None:
    """Set the chat's zone; reminders already in another zone are moved only if asked to."""
    found = services(context)
    chat = update.effective_chat
    if _is_group(update) and not await is_admin(update, context):
        await _reply(update, found.renderer.message("zone_not_allowed"))
        return
    await found.store.ensure_chat(chat.id, _kind(update))
    await found.store.set_timezone(chat.id, zone)
    waiting = await found.store.take_waiting_line(chat.id)
    if waiting is not None:  # an admin may pick a group's zone; the line stays its sayer's
        await remind_line(update, context, waiting.line, zone, said_by=waiting.said_by)
        return
    elsewhere = [row for row in await found.store.reminders(chat.id) if row.timezone != zone]
    label = fixed.label if fixed else zone_label(zone)
    await _reply(
        update,
        found.renderer.message(
            "timezone_set",
            zone=label,
            fixed=fixed is not None,
            kept_as=zone if fixed and zone != "UTC" and not zone.startswith("Etc/") else None,
            to_move=len(elsewhere),
        ),
        move_zone_keyboard(zone, label, len(elsewhere)) if elsewhere else None,
    )


async def _move_zone(
    update: Update, context: ContextTypes.DEFAULT_TYPE, zone: str, yes: bool
) -> None:
    """The answer to "move existing reminders to the new zone?": same local time, new zone."""
    found = services(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    if _is_group(update) and not await is_admin(update, context):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    rows = [row for row in await found.store.reminders(chat_id) if row.timezone != zone]
    await query.answer()
    if not yes:
        await query.edit_message_text(
            found.renderer.message("timezone_not_moved", count=len(rows)), reply_markup=None
        )
        return
    now = found.clock()
    for row in rows:
        await found.store.move_reminder(row.id, zone, moved_due(row, zone, now))
    await query.edit_message_text(
        found.renderer.message("timezone_moved", count=len(rows), zone=zone_label(zone)),
        reply_markup=None,
    )


def moved_due(row: ReminderRow, zone: str, now: dt.datetime) -> dt.datetime:
    """The same occurrence's day and local time, in `zone`: never earlier than now, and never a
    day the old zone's series had already reached."""
    day = row.next_due_at.astimezone(ZoneInfo(row.timezone)).date()
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone))
    return first_due(Rule.from_text(row.rule), zone, row.start_date, max(now, midnight))


async def remind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remind every 4 weeks at 09:00 [from DATE] [for NAME] [ZONE] (on its own: guided.py)."""
    found = services(context)
    text = " ".join(context.args or ()).strip()
    chat = await found.store.chat(update.effective_chat.id)
    zone = chat.timezone if chat else None
    await remind_line(update, context, text, zone)


async def remind_line(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    zone: str | None,
    *,
    said_by: int | None = None,
) -> None:
    """Read a /remind line (typed, or built by the guide) and save it, asking what is missing.
    `said_by`: who typed it, when that is not who sent this update (a line waiting for the zone)."""
    said_by = _asker(update) if said_by is None else said_by
    found = services(context)
    today = found.clock().astimezone(ZoneInfo(zone)).date() if zone else found.clock().date()
    parsed = parse(text, today=today, month_first=month_first(zone))
    if isinstance(parsed, Problem):
        await _reply(
            update,
            found.renderer.message(
                "remind_problem", message=parsed.message, example=parsed.example
            ),
        )
        return
    zone = parsed.zone or zone
    if zone is None:
        await found.store.ensure_chat(update.effective_chat.id, _kind(update))
        await found.store.keep_waiting_line(update.effective_chat.id, said_by, text)
        await _reply(update, found.renderer.message("needs_timezone"), zone_keyboard())
        return
    if _is_group(update):
        if await _refused_as_duplicate(update, found, parsed, zone):  # before asking consent
            return
        # Stored before the prompt is sent, its id on the buttons: a Yes tapped at once finds
        # it, and a restart before the Yes loses nothing.
        await found.store.ensure_chat(update.effective_chat.id, "group")
        request_id = await found.store.ask_to_share(
            update.effective_chat.id, ShareRequest(said_by, parsed, zone)
        )
        await _reply(
            update,
            found.renderer.message(
                "group_consent",
                description=parsed.rule.describe(parsed.start),
                for_whom=parsed.for_whom,
            ),
            share_keyboard(request_id),
        )
        return
    await _save(update, found, parsed, zone)


async def _refused_as_duplicate(update: Update, found: Services, parsed: Parsed, zone: str) -> bool:
    """Say so and return True if the chat already has this reminder: one injection would remind
    twice. A group is told before it is asked for consent; the store refuses a duplicate again at
    the save, with the chat locked, since another prompt may have saved it meanwhile."""
    rows = await found.store.reminders(update.effective_chat.id)
    same = duplicate_of(parsed, zone, rows)
    if same is None:
        return False
    await _say_duplicate(update, found, same)
    return True


async def _say_duplicate(update: Update, found: Services, same: ReminderRow) -> None:
    await _reply(
        update,
        found.renderer.message(
            "reminder_duplicate",
            description=Rule.from_text(same.rule).describe(same.start_date),  # the one there
            for_whom=same.for_whom,
            next_due=local_time(same.next_due_at, same.timezone, now=found.clock()),
            paused=not same.active,
        ),
    )


async def _save(
    update: Update, found: Services, parsed: Parsed, zone: str, creator_id: int | None = None
) -> None:
    chat = update.effective_chat
    group = _is_group(update)
    await found.store.ensure_chat(chat.id, _kind(update))
    now = found.clock()
    due = first_due(parsed.rule, zone, parsed.start, now)
    passed = passed_on_start(parsed.rule, zone, parsed.start, now)
    # Another reminder for the same person, on another schedule: two reminders for one
    # injection bring it twice, and the second after the first was marked taken (a QA pass).
    whose = (parsed.for_whom or "").casefold()
    also = next(
        (
            row
            for row in await found.store.reminders(chat.id)
            if row.active and (row.for_whom or "").casefold() == whose
        ),
        None,
    )
    try:
        await found.store.add_reminder(
            chat_id=chat.id,
            creator_id=creator_id or update.effective_user.id,
            for_whom=parsed.for_whom,
            rule=parsed.rule.to_text(),
            timezone=zone,
            start_date=parsed.start,
            next_due_at=due,
            followup_minutes=_followup(parsed, group),
            same_as=partial(duplicate_of, parsed, zone),
        )
    except DuplicateReminder as refused:
        await _say_duplicate(update, found, refused.same)
        return
    except TooManyReminders:
        await update.effective_message.reply_html(
            found.renderer.message("reminders_full", limit=MAX_ACTIVE_PER_CHAT)
        )
        return
    await update.effective_message.reply_html(
        found.renderer.message(
            "reminder_saved",
            description=parsed.rule.describe(parsed.start),
            for_whom=parsed.for_whom,
            next_due=local_time(due, zone, now=now),
            zone=zone_label(zone),
            passed=local_time(passed, zone, with_day=False) if passed else None,
            also=Rule.from_text(also.rule).describe(also.start_date) if also else None,
        )
    )


def _followup(parsed: Parsed, group: bool) -> int | None:
    """Groups get one follow-up after 2 hours unless the line says otherwise; private chats none."""
    if not group:
        return None
    if parsed.followup_minutes is None:
        return GROUP_FOLLOWUP_MINUTES
    return parsed.followup_minutes or None


async def list_reminders(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reminders: one message, a row per reminder and a button to open each.

    A chat the dispatcher paused (blocked, not allowed to post, not found) says so first, with a
    way to resume: its reminders' next times would otherwise read as if they were coming.
    """
    found = services(context)
    chat_id = update.effective_chat.id
    chat = await found.store.chat(chat_id)
    if chat is not None and chat.paused and await found.store.reminders(chat_id):
        await _reply(
            update,
            found.renderer.message("chat_paused", reason=chat.paused_reason),
            confirm_keyboard("resume", "▶️ Resume reminders here", "Not now"),
        )
    html, markup = await _listing(found, chat_id)
    await _reply(update, html, markup)


async def _listing(found: Services, chat_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """The /reminders message and its buttons, as it is now."""
    rows = await found.store.reminders(chat_id)
    if not rows:
        return found.renderer.message("reminders_none"), None
    chat = await found.store.chat(chat_id)
    chat_paused = chat is not None and chat.paused
    chat_zone = chat.timezone if chat else None
    now = found.clock()
    shown = [
        {
            "description": Rule.from_text(row.rule).describe(row.start_date),
            "for_whom": row.for_whom,
            "next_due": local_time(row.next_due_at, row.timezone, now=now),
            "zone": _other_zone(row, chat_zone),
            "paused": chat_paused or not row.active,
        }
        for row in rows
    ]
    buttons = [
        (row.id, f"{number}. {f'{row.for_whom}: ' if row.for_whom else ''}{line['description']}")
        for number, (row, line) in enumerate(zip(rows, shown, strict=True), start=1)
    ]
    return found.renderer.message("reminders_list", rows=shown), reminders_keyboard(buttons)


def _other_zone(row: ReminderRow, chat_zone: str | None) -> str | None:
    """A reminder's zone, when it is not the chat's (else its times read as the chat's)."""
    return None if row.timezone == chat_zone else zone_label(row.timezone)


def _line(found: Services, row: ReminderRow, chat_zone: str | None = None) -> str:
    return found.renderer.message(
        "reminder_line",
        description=Rule.from_text(row.rule).describe(row.start_date),
        for_whom=row.for_whom,
        next_due=local_time(row.next_due_at, row.timezone, now=found.clock()),
        paused=not row.active,
        zone=_other_zone(row, chat_zone),
    )


async def _resume_chat(update: Update, context: ContextTypes.DEFAULT_TYPE, yes: bool) -> None:
    """The Resume button under a paused chat's /reminders: anyone who may manage one of them."""
    found = services(context)
    query = update.callback_query
    if not yes:
        await query.answer()
        await query.edit_message_reply_markup(None)
        return
    rows = await found.store.reminders(update.effective_chat.id)
    creators = {row.creator_id for row in rows}
    if not (update.effective_user.id in creators or await may_manage(update, context, None)):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    await found.store.resume_chat(update.effective_chat.id)
    await query.answer("Resumed.")
    await query.edit_message_text(found.renderer.message("chat_resumed"), reply_markup=None)


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: after a confirmation, delete everything about this person (or this group).

    In a group, an admin's /forget is for the whole group's data; anyone else's is for their own
    part of it, confirmed only by them.
    """
    found = services(context)
    group = _is_group(update)
    if group and not await is_admin(update, context):
        await _reply(
            update,
            found.renderer.message("forget_mine_confirm"),
            forget_mine_keyboard(update.effective_user.id),
        )
        return
    await _reply(
        update,
        found.renderer.message("forget_confirm", group=group),
        confirm_keyboard("forget", "Yes, delete"),
    )


async def on_reminder_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, button: object
) -> None:
    """Buttons from reminders/settings messages; the caller has decoded and validated their shape."""
    match button:
        case DoseAction():
            await _dose(update, context, button)
        case Manage():
            await _manage(update, context, button)
        case PickZone(zone):
            await update.callback_query.answer()
            await set_zone(update, context, zone)
        case Share(request_id=request_id, yes=yes):
            await _share(update, context, request_id, yes)
        case Confirm(what="forget", yes=yes):
            await _forget(update, context, yes)
        case ForgetMine(user_id=user_id, yes=yes):
            await _forget_mine(update, context, user_id, yes)
        case Confirm(what="resume", yes=yes):
            await _resume_chat(update, context, yes)
        case MoveZone(zone=zone, yes=yes):
            await _move_zone(update, context, zone, yes)
        case _:
            await update.callback_query.answer(EXPIRED_DOSE)


async def _dose(update: Update, context: ContextTypes.DEFAULT_TYPE, button: DoseAction) -> None:
    found = services(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    dose = await found.store.dose(button.dose_id)
    reminder = await found.store.reminder(dose.reminder_id) if dose and dose.reminder_id else None
    if dose is None or reminder is None or reminder.chat_id != chat_id:
        await query.answer(EXPIRED_DOSE)
        return
    now = found.clock()
    user = update.effective_user
    if button.action in SETTLED:
        recorded = await found.store.record_action(dose.id, button.action, user.id, now)
        what = button.action
    else:
        until = snoozed(
            dose.due_at if button.action == "tomorrow" else now, button.action, reminder.timezone
        )
        recorded = await found.store.record_action(
            dose.id, "snoozed", user.id, now, snoozed_until=until
        )
        what = f"snoozed until {local_time(until, reminder.timezone)}"
    if recorded is None:
        await query.answer(EXPIRED_DOSE)
        return
    if isinstance(recorded, AlreadyMarked):  # a stale press, or the other of two at once
        await query.answer(already_marked(recorded.dose))
        return
    await query.answer("Noted. ✅" if what == "taken" else "Noted.")
    marked = marked_line(found, recorded, reminder, what=what, who=user.first_name, at=now)
    html, markup = marked, None
    if what == "taken":  # the ampoules left, and "Where?"
        html, markup = await after_taken(found, reminder.id, dose.id, marked)
    await query.edit_message_text(html, reply_markup=markup)
    if recorded.status in SETTLED:  # its other messages (the reminder, nudges, alerts) too
        pressed = (chat_id, update.effective_message.message_id)
        await close_dose_messages(context.bot, found, recorded, reminder, marked, done={pressed})


async def _manage(update: Update, context: ContextTypes.DEFAULT_TYPE, button: Manage) -> None:
    """The /reminders message's buttons: it opens one reminder, goes back to the list, and
    pauses, resumes or (after asking) deletes one, all in place."""
    found = services(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    if button.op == "list":
        await query.answer()
        html, markup = await _listing(found, chat_id)
        await query.edit_message_text(html, reply_markup=markup)
        return
    row = await found.store.reminder(button.reminder_id)
    if row is None or row.chat_id != chat_id:
        await query.answer(EXPIRED_DOSE)
        return
    chat = await found.store.chat(chat_id)
    chat_zone = chat.timezone if chat else None
    if button.op == "open":
        await query.answer()
        await query.edit_message_text(
            _line(found, row, chat_zone),
            reply_markup=manage_keyboard(row.id, paused=not row.active),
        )
        return
    if not await may_manage(update, context, row.creator_id):
        await query.answer(NOT_ALLOWED, show_alert=True)
        return
    if button.op in {"delete", "delete_yes"}:
        await _delete(query, found, row, confirmed=button.op == "delete_yes")
        return
    active = button.op == "resume"
    if active and row.next_due_at < found.clock():
        await found.store.reschedule(row.id, first_due_from(row, found.clock()))
    try:
        await found.store.set_active(row.id, active)
    except TooManyReminders:
        await query.answer(f"This chat already has {MAX_ACTIVE_PER_CHAT} reminders running.")
        return
    await query.answer("Resumed." if active else "Paused.")
    row = await found.store.reminder(row.id)
    await query.edit_message_text(
        _line(found, row, chat_zone), reply_markup=manage_keyboard(row.id, paused=not row.active)
    )


async def _delete(query, found: Services, row: ReminderRow, *, confirmed: bool) -> None:
    """Delete asks first; its yes deletes, with a way back to the list."""
    described = {
        "description": Rule.from_text(row.rule).describe(row.start_date),
        "for_whom": row.for_whom,
    }
    if not confirmed:
        await query.answer()
        await query.edit_message_text(
            found.renderer.message("reminder_delete_confirm", **described),
            reply_markup=delete_keyboard(row.id),
        )
        return
    await found.store.delete_reminder(row.id)
    await query.answer("Deleted.")
    await query.edit_message_text(
        found.renderer.message("reminder_deleted", **described), reply_markup=back_keyboard(row.id)
    )


def first_due_from(row: ReminderRow, now: dt.datetime) -> dt.datetime:
    """When a resumed reminder next falls due: its series, from now on."""
    return first_due(Rule.from_text(row.rule), row.timezone, row.start_date, now)


async def _share(
    update: Update, context: ContextTypes.DEFAULT_TYPE, request_id: int, yes: bool
) -> None:
    """The answer to a group consent prompt: for the request that prompt was sent for."""
    found = services(context)
    query = update.callback_query
    chat_id = update.effective_chat.id
    request = await found.store.share_request(chat_id, request_id)
    if request is None:
        await query.answer(EXPIRED_DOSE)
        return
    creator_id = request.asked_by
    if creator_id == ChatID.ANONYMOUS_ADMIN:  # asked by an admin as the group: any admin answers
        allowed = await is_admin(update, context)
    else:
        allowed = update.effective_user.id == creator_id
    if not allowed:
        await query.answer("Only the person who set this reminder can confirm it.", show_alert=True)
        return
    # A second press of this Yes, answered meanwhile, finds the request gone.
    if not await found.store.answer_share(chat_id, request_id):
        await query.answer(EXPIRED_DOSE)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if not yes:
        await update.effective_message.reply_html("OK, nothing was saved.")
    else:
        await _save(update, found, request.parsed, request.zone, creator_id)


async def _forget(update: Update, context: ContextTypes.DEFAULT_TYPE, yes: bool) -> None:
    found = services(context)
    query = update.callback_query
    group = _is_group(update)
    if not yes:
        await query.answer("Nothing was deleted.")
        await query.edit_message_reply_markup(None)
        return
    if group:
        if not await is_admin(update, context):
            await query.answer("Only a group admin can delete the group's data.", show_alert=True)
            return
        await found.store.forget_chat(update.effective_chat.id)
        context.application.drop_chat_data(update.effective_chat.id)
    else:
        user_id = update.effective_user.id
        links = await links_of(found, user_id)
        await found.store.forget_user(user_id)
        context.application.drop_chat_data(update.effective_chat.id)
        context.application.drop_user_data(user_id)
        for link in links:
            await tell_link_ended(context, link, ended_by=user_id)
    await query.answer("Deleted.")
    await query.edit_message_text(
        found.renderer.message("forgotten", group=group), reply_markup=None
    )


async def _forget_mine(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int, yes: bool
) -> None:
    """A group member's yes to deleting their own part of the group's data: theirs alone."""
    found = services(context)
    query = update.callback_query
    if update.effective_user.id != user_id:
        await query.answer("Only the person who asked can confirm this.", show_alert=True)
        return
    if not yes:
        await query.answer("Nothing was deleted.")
        await query.edit_message_reply_markup(None)
        return
    await found.store.forget_member(update.effective_chat.id, user_id)
    await query.answer("Deleted.")
    await query.edit_message_text(found.renderer.message("forgotten_mine"), reply_markup=None)
