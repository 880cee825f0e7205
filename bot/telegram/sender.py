"""The dispatcher's Sender over the Telegram Bot: renders reminder messages and turns Telegram's
errors into reminder state (blocked -> pause, migrated -> move, flood or network -> try later).

By the time an error arrives here the rate limiter has already waited out 429s (max_retries) and
retried network errors, so what is left is a real state change or a longer outage.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from telegram import Bot, ReplyParameters
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.knowledge.render import Renderer
from bot.reminders.dispatcher import NETWORK_RETRY, Blocked, Delivered, Moved, SendResult, TryLater
from bot.reminders.store import Claim, DoseRow, ReminderRow
from bot.telegram.keyboards import dose_keyboard


def local_time(moment: dt.datetime, zone: str, *, with_day: bool = True) -> str:
    """How a person reads a due time: in their own zone, e.g. 'Tue 1 Dec 09:00'."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%a %-d %b %H:%M") if with_day else local.strftime("%H:%M")


class TelegramSender:
    def __init__(self, bot: Bot, renderer: Renderer) -> None:
        self._bot, self._renderer = bot, renderer

    async def send_reminder(self, claim: Claim) -> SendResult:
        reminder = claim.reminder
        html = self._renderer.message(
            "reminder",
            for_whom=reminder.for_whom,
            due=local_time(claim.due_at, reminder.timezone),
            late=claim.late,
            missed=claim.missed_since_last,
        )
        return await self._send(reminder.chat_id, html, dose_keyboard(claim.dose_id))

    async def send_followup(self, dose: DoseRow, reminder: ReminderRow) -> SendResult:
        # Discreet on purpose: no dose, no product, just that it is not marked yet.
        html = self._renderer.message("followup", for_whom=reminder.for_whom)
        return await self._send(reminder.chat_id, html, None, reply_to=dose.message_id)

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
            )
        except Forbidden:
            return Blocked("blocked")
        except ChatMigrated as moved:
            return Moved(moved.new_chat_id)
        except RetryAfter as flood:
            return TryLater(dt.timedelta(seconds=float(flood.retry_after)), "flood")
        except BadRequest as error:
            if "not found" in str(error).lower():
                return Blocked("chat gone")
            raise
        except NetworkError:
            return TryLater(NETWORK_RETRY, "network")
        return Delivered(message.message_id)
