"""How the Telegram Sender reads a failed send: what pauses a chat, what is retried, what is ours."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.reminders.dispatcher import (
    NETWORK_RETRY,
    Blocked,
    Moved,
    Rejected,
    SendResult,
    TryLater,
    Unsure,
)
from bot.telegram.sender import outcome


def _caused(error: NetworkError, cause: Exception) -> NetworkError:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), Blocked("blocked")),
        (Forbidden("Forbidden: bot was kicked from the group chat"), Blocked("blocked")),
        (BadRequest("Bad Request: chat not found"), Blocked("chat not found")),
        (
            BadRequest("Bad Request: not enough rights to send text messages to the chat"),
            Blocked("restricted"),
        ),
        (BadRequest("Bad Request: CHAT_WRITE_FORBIDDEN"), Blocked("restricted")),
        (BadRequest("Bad Request: can't parse entities: unsupported tag"), Rejected("bad request")),
        (ChatMigrated(-1002), Moved(-1002)),
        (RetryAfter(60), TryLater(timedelta(seconds=60), "flood")),
        (_caused(TimedOut(), httpx.ReadTimeout("slow")), Unsure("timeout")),
        (_caused(NetworkError("cut"), httpx.RemoteProtocolError("cut")), Unsure("network")),
        (
            _caused(NetworkError("refused"), httpx.ConnectError("refused")),
            TryLater(NETWORK_RETRY, "network"),
        ),
        (NetworkError("Bad Gateway"), TryLater(NETWORK_RETRY, "network")),  # Telegram answered
    ],
)
def test_each_failure_means_one_thing_for_the_reminder(error, meaning: SendResult) -> None:
    """Issue 10, faults 5 and 8: permanent and transient failures are told apart."""
    assert outcome(error) == meaning
