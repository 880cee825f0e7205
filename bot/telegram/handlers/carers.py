"""Carer links: /carer invites, the invited carer's yes, /carers, and the buttons on an alert.

Everything happens in private chats: a patient's /carer makes a one-time link
(t.me/<bot>?start=carer_<token>); the carer who opens it is shown what they agree to and
confirms; both see the link in /carers and either may end it. When a private reminder goes
unmarked, the dispatcher alerts the carers (sender.send_carer_alert); a carer may remind the
patient again, once, or mark the dose done, logged as done by them. Every button is checked
against the database and against who pressed it.
"""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.reminders.carers import (
    CARER_FOLLOWUP_MINUTES,
    MAX_PENDING_INVITES,
    LinkRow,
    alert_name,
)
from bot.reminders.doselog import SETTLED, AlreadyMarked
from bot.telegram.care_keyboards import (
    AlertAction,
    CancelInvites,
    CarerAnswer,
    Unlink,
    alert_keyboard,
    cancel_invites_keyboard,
    carers_keyboard,
    offer_keyboard,
)
from bot.telegram.handlers.taken_extras import after_taken
from bot.telegram.keyboards import dose_keyboard
from bot.telegram.sender import local_time
from bot.telegram.services import Services, services
from bot.telegram.settled import (
    already_marked,
    close_dose_messages,
    edit_quietly,
    marked_line,
)

START_PREFIX = "carer_"  # t.me/<bot>?start=carer_<token>
HOURS = CARER_FOLLOWUP_MINUTES // 60
EXPIRED = "This reminder is no longer here."
GONE = "This is no longer here."


def _private(update: Update) -> bool:
    return update.effective_chat.type == ChatType.PRIVATE


def _on_the_message(query: CallbackQuery) -> bool:
    """Whether the button pressed is one the message shows, not data made up for it: a dead
    alert loses its buttons, a message that was only pretended on keeps its own."""
    message = query.message
    markup = message.reply_markup if message is not None and message.is_accessible else None
    return markup is not None and any(
        button.callback_data == query.data for row in markup.inline_keyboard for button in row
    )


def _name(text: str) -> str | None:
    """A name to be called by: 1-40 characters with a letter in it, spaces tidied."""
    name = " ".join(text.split())
    return name if 1 <= len(name) <= 40 and any(c.isalpha() for c in name) else None


async def carer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/carer [name]: a one-time link for someone to become this person's carer."""
    found = services(context)
    message = update.effective_message
    if not _private(update):
        await message.reply_html(found.renderer.message("carer_private_only"))
        return
    user = update.effective_user
    given = " ".join(context.args or ())
    name = _name(given or user.first_name[:40])
    if name is None:
        await message.reply_html(found.renderer.message("carer_name_problem"))
        return
    chat = await found.store.ensure_chat(user.id, "private")
    invite = await found.store.create_invite(user.id, name)
    if invite is None:
        await message.reply_html(
            found.renderer.message("carer_invites_full", limit=MAX_PENDING_INVITES),
            reply_markup=cancel_invites_keyboard(),
        )
        return
    link = f"https://t.me/{context.bot.username}?start={START_PREFIX}{invite.token}"
    await message.reply_html(
        found.renderer.message(
            "carer_invite",
            link=link,
            name=name,
            expires=local_time(invite.row.expires_at, chat.timezone or "UTC"),
            hours=HOURS,
        ),
        reply_markup=cancel_invites_keyboard(),
    )


async def open_invite(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """Someone opened a carer link: show what they would agree to, or why the link is dead."""
    found = services(context)
    message = update.effective_message
    invite = await found.store.invite(token) if _private(update) else None
    if invite is None:
        await message.reply_html(found.renderer.message("carer_invite_invalid"))
        return
    user = update.effective_user
    if invite.patient_id == user.id:
        await message.reply_html(found.renderer.message("carer_self"))
        return
    if await found.store.link_between(invite.patient_id, user.id) is not None:
        await message.reply_html(found.renderer.message("carer_already", name=invite.patient_name))
        return
    await message.reply_html(
        found.renderer.message("carer_offer", name=invite.patient_name, hours=HOURS),
        reply_markup=offer_keyboard(token),
    )


async def carers(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/carers: who is told about me, whom I am told about, links waiting; buttons to end any."""
    found = services(context)
    if not _private(update):
        await update.effective_message.reply_html(found.renderer.message("carer_private_only"))
        return
    html, markup = await _carers_view(found, update.effective_user.id)
    await update.effective_message.reply_html(html, reply_markup=markup)


async def _carers_view(found: Services, user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    mine, theirs = await found.store.carers(user_id), await found.store.followed(user_id)
    pending = len(await found.store.pending_invites(user_id))
    unreachable = []
    for link in mine:
        chat = await found.store.chat(link.carer_id)
        if chat is not None and chat.paused:
            unreachable.append(link.carer_name)
    html = found.renderer.message(
        "carers_list",
        carers=[link.carer_name for link in mine],
        unreachable=unreachable,
        followed=[link.patient_name for link in theirs],
        pending=pending,
    )
    markup = carers_keyboard(
        [(link.id, link.carer_name) for link in mine],
        [(link.id, link.patient_name) for link in theirs],
        pending=pending > 0,
    )
    return html, markup


async def on_carer_button(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    button: CarerAnswer | AlertAction | Unlink | CancelInvites,
) -> None:
    match button:
        case CarerAnswer():
            await _answer(update, context, button)
        case AlertAction():
            await _alert_action(update, context, button)
        case Unlink(link_id):
            await _unlink(update, context, link_id)
        case CancelInvites():
            await _cancel_invites(update, context)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, button: CarerAnswer) -> None:
    found = services(context)
    query = update.callback_query
    if not _private(update):
        await query.answer(GONE)
        return
    await query.answer()
    if not button.yes:
        await query.edit_message_text(found.renderer.message("carer_declined"), reply_markup=None)
        return
    user = update.effective_user
    result = await found.store.accept_invite(button.token, user.id, user.first_name)
    if not isinstance(result, LinkRow):
        which = {
            "invalid": "carer_invite_invalid",
            "self": "carer_self",
            "already": "carer_already",
            "full": "carers_full",
        }[result]
        name = {"name": "them"} if result == "already" else {}
        try:
            await query.edit_message_text(found.renderer.message(which, **name), reply_markup=None)
        except BadRequest as error:  # a second tap on a dead link: the message says so already
            if "not modified" not in str(error).lower():
                raise
        return
    await query.edit_message_text(
        found.renderer.message("carer_accepted", name=result.patient_name, hours=HOURS),
        reply_markup=None,
    )
    await _tell(
        context,
        result.patient_id,
        found.renderer.message("carer_joined", carer=result.carer_name, hours=HOURS),
    )


async def _cancel_invites(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The waiting links stop working; the message (the link, or /carers) shows what is left."""
    found = services(context)
    query = update.callback_query
    user_id = update.effective_user.id
    cancelled = await found.store.cancel_invites(user_id) if _private(update) else 0
    if not cancelled:
        await query.answer(GONE)
        await query.edit_message_reply_markup(None)
        return
    await query.answer(f"Cancelled {cancelled} link{'s' if cancelled != 1 else ''}.")
    html, markup = await _carers_view(found, user_id)
    await query.edit_message_text(html, reply_markup=markup)


async def _unlink(update: Update, context: ContextTypes.DEFAULT_TYPE, link_id: int) -> None:
    found = services(context)
    query = update.callback_query
    user_id = update.effective_user.id
    removed = await found.store.remove_link(link_id, user_id) if _private(update) else None
    if removed is None:
        await query.answer(GONE)
        return
    await query.answer("Removed.")
    html, markup = await _carers_view(found, user_id)
    await query.edit_message_text(html, reply_markup=markup)
    await tell_link_ended(context, removed, ended_by=user_id)


async def links_of(found: Services, user_id: int) -> list[LinkRow]:
    """Every carer link with this person on either side: whom to tell when they go."""
    return [*await found.store.carers(user_id), *await found.store.followed(user_id)]


async def tell_link_ended(
    context: ContextTypes.DEFAULT_TYPE, link: LinkRow, *, ended_by: int
) -> None:
    """Tell the other side of a link that it ended: removed, or erased with /forget (which
    ended a carer's alerts without a word, a QA pass)."""
    by_patient = link.patient_id == ended_by
    await _tell(
        context,
        link.carer_id if by_patient else link.patient_id,
        services(context).renderer.message(
            "carer_link_ended",
            name=link.patient_name if by_patient else link.carer_name,
            by_patient=by_patient,
        ),
    )


async def _alert_action(
    update: Update, context: ContextTypes.DEFAULT_TYPE, button: AlertAction
) -> None:
    """A carer's "remind again" or "it's done", on the alert in their private chat.

    Only for a dose this carer was alerted about (a carer_alerts row), whatever the button says.
    """
    found = services(context)
    query = update.callback_query
    carer_id = update.effective_user.id
    dose = await found.store.dose(button.dose_id)
    reminder = await found.store.reminder(dose.reminder_id) if dose and dose.reminder_id else None
    link = await found.store.alerted_link(dose.id, carer_id) if reminder else None
    if dose is None or reminder is None or link is None or not _private(update):
        await query.answer(EXPIRED)
        if _private(update) and _on_the_message(query):
            await query.edit_message_reply_markup(None)
        return
    due = local_time(dose.due_at, reminder.timezone, with_day=False)
    name = alert_name(reminder, link)
    if dose.status in SETTLED:
        # No edit: the answer that settled the dose closes every alert of it (settled.py), and a
        # press made while that edit was on its way would repeat it, which Telegram refuses.
        await query.answer(already_marked(dose))
        return
    if button.action == "done":
        await _done(update, context, dose.id, link, name=name, due=due)
        return
    alert_id = await found.store.take_nudge(dose.id, carer_id)
    if alert_id is None:
        await query.answer("You already asked me to remind them about this one.")
        return
    nudge = await _tell(
        context,
        reminder.chat_id,
        # The patient keeps reminders for others too ("for Dad"): say whose it is.
        found.renderer.message(
            "carer_nudge", carer=link.carer_name, due=due, person=reminder.for_whom
        ),
        markup=dose_keyboard(dose.id, reminder, dose.due_at),
    )
    if nudge is not None:  # its Taken/Skip go when the dose is settled, like the reminder's
        await found.store.record_nudge(alert_id, nudge)
    await query.answer(
        f"Done: I reminded {link.patient_name}." if nudge is not None else "I couldn't reach them."
    )
    await query.edit_message_reply_markup(alert_keyboard(dose.id, name, nudged=True))


async def _done(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    dose_id: int,
    link: LinkRow,
    *,
    name: str,
    due: str,
) -> None:
    """Mark the dose taken, by the carer; the patient's reminder message says so.

    `name` and `due` are what the alert says: whose injection, and when it was due.
    """
    found = services(context)
    query = update.callback_query
    now = found.clock()
    dose = await found.store.record_action(dose_id, "taken", link.carer_id, now)
    if dose is None:
        await query.answer(EXPIRED)
        return
    if isinstance(dose, AlreadyMarked):  # at the same moment as the patient or another carer
        await query.answer(already_marked(dose.dose))  # whose answer closes this alert
        return
    await query.answer("Noted. ✅")
    by = f"{link.carer_name} (carer)"
    await query.edit_message_text(
        found.renderer.message(
            "carer_alert_closed", name=name, due=due, status="taken, marked by you"
        ),
        reply_markup=None,
    )
    reminder = await found.store.reminder(dose.reminder_id) if dose.reminder_id else None
    if reminder is None:
        return
    marked = marked_line(found, dose, reminder, what="taken", who=by, at=now)
    done = {(link.carer_id, update.effective_message.message_id)}
    if dose.message_id is not None:  # the reminder says so, and asks where it went
        html, markup = await after_taken(found, reminder.id, dose.id, marked)
        await edit_quietly(context.bot, (reminder.chat_id, dose.message_id), html, markup)
        done.add((reminder.chat_id, dose.message_id))
    await close_dose_messages(context.bot, found, dose, reminder, marked, done=done)


async def _tell(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    html: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int | None:
    """A message to the other person of a link, its id if it went; they may have blocked the
    bot since."""
    try:
        sent = await context.bot.send_message(chat_id, html, reply_markup=markup)
    except TelegramError:
        return None
    return sent.message_id
