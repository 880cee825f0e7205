"""The dispatcher's Sender over the Telegram Bot: renders reminder messages and turns Telegram's
errors into reminder state (blocked, not allowed to post or chat not found -> pause; migrated ->
move; flood or network -> try later; any other 400 -> refused, since sending it again cannot help).

By the time an error arrives here the rate limiter has already waited out 429s (max_retries). It
does not retry a reminder's network errors: the dispatcher does, knowing the lease. A timeout may
hide a delivered message, so it is reported as unsure; the bot waits long for Telegram's answers
(app.READ_TIMEOUT), so a slow Telegram costs time, not copies.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telegram import Bot, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.knowledge.render import Renderer
from bot.reminders.carers import AlertClaim, alert_name
from bot.reminders.dispatcher import (
    NETWORK_RETRY,
    Blocked,
    Delivered,
    Moved,
    Rejected,
    SendResult,
    TryLater,
    Unsure,
)
from bot.reminders.store import Claim, DoseRow, ReminderRow
from bot.reminders.supplies import running_low
from bot.telegram.care_keyboards import alert_keyboard
from bot.telegram.keyboards import dose_keyboard
from bot.telegram.ratelimit import ONE_ATTEMPT, may_have_arrived

SHOW_YEAR = dt.timedelta(days=183)  # a date about six months or more from now shows its year
# What Telegram says, in a 400, when the bot is in a group but may not post there. Matched as
# substrings of the lower-cased description: only the exception type is stable (telegram docs).
_NO_RIGHT_TO_POST = ("not enough rights", "have no rights", "chat_write_forbidden", "topic_closed")


def local_time(
    moment: dt.datetime,
    zone: str,
    *,
    with_day: bool = True,
    with_time: bool = True,
    now: dt.datetime | None = None,
) -> str:
    """How a person reads a due time: in their own zone, e.g. 'Tue 1 Dec 09:00'.

    Given `now`, a moment more than about six months from it shows its year ('Wed 1 Dec 2027
    09:00'), so next December's is not read as this one's; `with_time` False is the day alone.
    """
    local = moment.astimezone(ZoneInfo(zone))
    if not with_day:
        return local.strftime("%H:%M")
    day = "%a %-d %b" + (" %Y" if now is not None and abs(moment - now) > SHOW_YEAR else "")
    return local.strftime(f"{day} %H:%M" if with_time else day)


def reminder_text(
    renderer: Renderer,
    reminder: ReminderRow,
    due_at: dt.datetime,
    *,
    late: bool,
    missed: int,
    taken_elsewhere_at: dt.datetime | None = None,
) -> str:
    """A reminder message's words: when it is sent, and again when an Undo opens its dose."""
    return renderer.message(
        "reminder",
        for_whom=reminder.for_whom,
        due=local_time(due_at, reminder.timezone),
        taken_at=(
            local_time(taken_elsewhere_at, reminder.timezone, now=due_at)
            if taken_elsewhere_at
            else None
        ),
        late=late,
        missed=missed,
        last_site=reminder.last_site,
        supplies_left=reminder.supplies_left,
        running_low=running_low(reminder),
    )


class TelegramSender:
    def __init__(self, bot: Bot, renderer: Renderer) -> None:
        self._bot, self._renderer = bot, renderer

    async def send_reminder(self, claim: Claim) -> SendResult:
        reminder = claim.reminder
        html = reminder_text(
            self._renderer,
            reminder,
            claim.due_at,
            late=claim.late,
            missed=claim.missed_since_last,
            taken_elsewhere_at=claim.taken_elsewhere_at,
        )
        return await self._send(
            reminder.chat_id, html, dose_keyboard(claim.dose_id, reminder, claim.due_at)
        )

    async def send_followup(self, dose: DoseRow, reminder: ReminderRow) -> SendResult:
        # Discreet on purpose: no dose, no product, just that it is not marked yet.
        html = self._renderer.message("followup", for_whom=reminder.for_whom)
        return await self._send(reminder.chat_id, html, None, reply_to=dose.message_id)

    async def send_carer_alert(
        self, alert: AlertClaim, dose: DoseRow, reminder: ReminderRow
    ) -> SendResult:
        # A name the patient chose and the time: nothing else about their treatment.
        due = local_time(dose.due_at, reminder.timezone, with_day=False)
        name = alert_name(reminder, alert)
        html = self._renderer.message("carer_alert", name=name, due=due)
        return await self._send(alert.carer_id, html, alert_keyboard(dose.id, name))

    async def probe(self, chat_id: int) -> bool:
        # "typing..." for a moment is all a person may see; a blocked bot gets a 403 for it.
        try:
            await self._bot.send_chat_action(
                chat_id, ChatAction.TYPING, rate_limit_args=ONE_ATTEMPT
            )
        except TelegramError:
            return False
        return True

    async def tell_paused(self, person: int, group: int) -> bool:
        try:
            title = (await self._bot.get_chat(group)).title
        except TelegramError:
            title = None
        html = self._renderer.message("group_paused", title=title)
        try:
            await self._bot.send_message(person, html)
        except TelegramError:  # they never started the bot in private, or blocked it
            return False
        return True

    async def _send(
        self, chat_id: int, html: str, markup, *, reply_to: int | None = None
    ) -> SendResult:
        try:
            message = await self._bot.send_message(
                chat_id,
                html,
                reply_markup=markup,
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to
                    else None
                ),
                rate_limit_args=ONE_ATTEMPT,
            )
        except TelegramError as error:
            return outcome(error)
        return Delivered(message.message_id)


def outcome(error: TelegramError) -> SendResult:  # noqa: PLR0911 - one per kind of failure
    """What a send that failed this way means for the reminder; re-raises what it cannot place."""
    said = str(error).lower()
    match error:
        case Forbidden():  # blocked, kicked, user deactivated: 403 whatever the words
            return Blocked("blocked")
        case ChatMigrated(new_chat_id=new_chat_id):
            return Moved(new_chat_id)
        case RetryAfter(retry_after=retry_after):
            return TryLater(dt.timedelta(seconds=float(retry_after)), "flood")
        case BadRequest() if "not found" in said:
            return Blocked("chat not found")
        case BadRequest() if any(words in said for words in _NO_RIGHT_TO_POST):
            return Blocked("restricted")
        case BadRequest():
            return Rejected("bad request")
        case NetworkError() if may_have_arrived(error):
            return Unsure("timeout" if isinstance(error, TimedOut) else "network")
        case NetworkError():
            return TryLater(NETWORK_RETRY, "network")
    raise error
