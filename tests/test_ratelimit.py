"""The rate limiter's own retries: never a second copy of a message Telegram may have delivered.

A timeout can hide a delivered message (sendMessage has no idempotency key), so a timed-out
request is tried again at most once here, and a reminder's not at all: the dispatcher owns its
retries (once per lease). A connection that never opened delivered nothing: that is retried.
"""

from __future__ import annotations

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.telegram.ratelimit import ONE_ATTEMPT, RetryingRateLimiter

pytestmark = pytest.mark.asyncio


class Failing:
    """A request that always fails with the given error, counting its calls."""

    def __init__(self, error: Exception) -> None:
        self.error, self.calls = error, 0

    async def __call__(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise self.error


def _timed_out() -> TimedOut:
    error = TimedOut()
    error.__cause__ = httpx.ReadTimeout("no answer in time")
    return error


def _refused() -> NetworkError:
    error = NetworkError("httpx.ConnectError: connection refused")
    error.__cause__ = httpx.ConnectError("connection refused")
    return error


async def _send(limiter: RetryingRateLimiter, request: Failing, flag: object = None) -> None:
    with pytest.raises(NetworkError):
        await limiter.process_request(request, (), {}, "sendMessage", {"chat_id": 7}, flag)


async def test_a_timed_out_send_is_tried_again_at_most_once() -> None:
    """Issue 10, fault 2: three retries on timeout sent an answer four times."""
    request = Failing(_timed_out())
    await _send(RetryingRateLimiter(max_retries=3, backoff=(0, 0, 0)), request)
    assert request.calls == 2


async def test_a_reminder_send_is_not_retried_by_the_limiter() -> None:
    request = Failing(_timed_out())
    await _send(RetryingRateLimiter(max_retries=3, backoff=(0, 0, 0)), request, ONE_ATTEMPT)
    assert request.calls == 1


async def test_a_connection_that_never_opened_is_retried_with_backoff() -> None:
    request = Failing(_refused())
    await _send(RetryingRateLimiter(max_retries=3, backoff=(0, 0, 0)), request)
    assert request.calls == 4


async def test_a_request_that_is_safe_to_repeat_keeps_the_full_backoff() -> None:
    request = Failing(_timed_out())
    limiter = RetryingRateLimiter(max_retries=3, backoff=(0, 0, 0))
    with pytest.raises(NetworkError):
        await limiter.process_request(request, (), {}, "setMyCommands", {}, None)
    assert request.calls == 4
