"""Telegram's send limits as the emulator enforces them, answered with a 429's retry_after."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from telegram import constants

_PRIVATE_BURST = 3  # Telegram "may allow short bursts" over 1 message/s in one chat


class FloodControl:
    """Telegram's send limits: about 30 messages/s overall, 1/s per private chat with short
    bursts allowed, 20/min per group. Windows shrink with `time_scale` so tests stay fast."""

    def __init__(self, time_scale: float, clock: Callable[[], float]) -> None:
        self._scale = time_scale
        self._clock = clock
        self._overall: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}
        self._penalties: dict[int | None, float] = {}

    def admit(self, chat_id: int) -> int | None:
        """Count one message to `chat_id`, or return the retry_after Telegram would answer."""
        now = self._clock()
        for key in (None, chat_id):
            until = self._penalties.get(key, 0.0)
            if until > now:
                return self._seconds(until - now)
        waits: dict[int | None, float] = {
            None: self._overall_wait(now),
            chat_id: self._chat_wait(chat_id, now),
        }
        key, wait = max(waits.items(), key=lambda item: item[1])
        if wait > 0:
            retry_after = self._seconds(wait)
            self._penalties[key] = now + retry_after * self._scale
            return retry_after
        self._consume(chat_id, now)
        return None

    def _seconds(self, real: float) -> int:
        """Telegram reports whole seconds, at least one."""
        return max(1, math.ceil(real / self._scale - 1e-9))

    def _overall_wait(self, now: float) -> float:
        window = self._scale
        _forget_before(self._overall, now - window)
        if len(self._overall) < constants.FloodLimit.MESSAGES_PER_SECOND:
            return 0.0
        return self._overall[0] + window - now

    def _chat_wait(self, chat_id: int, now: float) -> float:
        if chat_id < 0:
            window = 60 * self._scale
            sent = self._groups.setdefault(chat_id, deque())
            _forget_before(sent, now - window)
            if len(sent) < constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP:
                return 0.0
            return sent[0] + window - now
        tokens = self._tokens(chat_id, now)
        return 0.0 if tokens >= 1 else (1 - tokens) * self._scale

    def _tokens(self, chat_id: int, now: float) -> float:
        tokens, last = self._buckets.get(chat_id, (_PRIVATE_BURST, now))
        rate = constants.FloodLimit.MESSAGES_PER_SECOND_PER_CHAT / self._scale
        return min(_PRIVATE_BURST, tokens + (now - last) * rate)

    def _consume(self, chat_id: int, now: float) -> None:
        self._overall.append(now)
        if chat_id < 0:
            self._groups[chat_id].append(now)
        else:
            self._buckets[chat_id] = (self._tokens(chat_id, now) - 1, now)


def _forget_before(times: deque[float], cutoff: float) -> None:
    while times and times[0] <= cutoff:
        times.popleft()
