"""Outgoing requests: Telegram's flood limits, plus retries for passing network trouble.

AIORateLimiter spaces requests (about 30/s overall, 20/min per group) and, given max_retries,
waits out a 429's retry_after (a 429 means nothing was delivered, so that retry is safe). It does
not retry network errors or Telegram's 5xx, which would leave a person with no reply after one
dropped connection, so this adds a short backoff for those. But sendMessage has no idempotency key
and a timeout may hide a message that did arrive, so a send that may have reached Telegram is
tried again at most once (a question's answer twice beats silence), and a reminder not at all
here: the dispatcher owns a reminder's retries, so retries never multiply across layers. Requests
that change nothing when repeated (getMe, setMyCommands, edits...) keep the full backoff.
getUpdates is left alone: polling has its own retry loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

import httpx
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)
BACKOFF_SECONDS = (0.5, 1.0, 2.0)
# rate_limit_args for a send whose caller retries it (reminders): no network retries here.
ONE_ATTEMPT: Final = "one-attempt"
# Failures before anything reached Telegram: a connection that never opened, or no free one.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Methods whose repetition is a second message: sendMessage, sendPhoto, forwardMessage, copyMessage...
_POSTS_A_MESSAGE = ("send", "forward", "copy")
# Telegram counts in sliding windows. aiolimiter's bucket lets a full second's worth out at once
# and then refills, so "30 per second" as a bucket can put ~60 into one window and earn 429s
# under sustained load (a fan-out of reminders). One message every 1/29 s never overshoots.
# Allowing any burst (a bucket of 3, or a 29-per-second sliding window counted here) was tried:
# requests reach Telegram with jitter, one overshoot brings a penalty second in which every send
# is refused, and a fan-out then had 25-27% of its sends answered 429. Smooth pacing: 0%.
# Groups keep the bucket (20 a minute): a family group talking to the bot wants quick replies,
# and only sustained traffic to one group could overshoot there.
OVERALL_PER_SECOND = 29


def may_have_arrived(error: NetworkError) -> bool:
    """Whether Telegram may have acted on a request that failed this way (a timeout, a cut line).

    python-telegram-bot chains the HTTP library's error as the cause. An error Telegram itself
    answered (a 5xx) has none: the request was refused, not half done.
    """
    cause = error.__cause__
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, _NEVER_SENT)


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter that also retries network errors and 5xx, never duplicating a message."""

    def __init__(self, *, max_retries: int, backoff: tuple[float, ...] = BACKOFF_SECONDS) -> None:
        super().__init__(
            overall_max_rate=1,
            overall_time_period=1 / OVERALL_PER_SECOND,
            max_retries=max_retries,
        )
        self._backoff = backoff

    async def process_request(  # noqa: PLR0917 - the library's signature
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | str | None,
    ) -> Any:
        one_attempt = rate_limit_args == ONE_ATTEMPT or endpoint == "getUpdates"
        retries = None if isinstance(rate_limit_args, str) else rate_limit_args
        posts = endpoint.startswith(_POSTS_A_MESSAGE)
        uncertain = 0
        for delay in (*self._backoff, None):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, retries
                )
            except BadRequest:
                raise  # the request itself is wrong: sending it again cannot help
            except NetworkError as error:
                uncertain += posts and may_have_arrived(error)
                if delay is None or one_attempt or uncertain > 1:
                    raise
                logger.warning(
                    "%s failed (%s); retrying in %.1f s", endpoint, type(error).__name__, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
