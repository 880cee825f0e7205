"""Helpers for tests that drive the Telegram emulator with python-telegram-bot's own `Bot`.

The shared conftest's `emulator` fixture fails any test that broke one of Telegram's rules; the
emulator's own tests break them on purpose and build lenient emulators and plain bots with these.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.emulator import Emulator


class ManualClock:
    """A clock that moves only when told, so time-based rules are tested without sleeping."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def loopback_request(**kwargs: Any) -> HTTPXRequest:
    """python-telegram-bot's HTTPXRequest sharing one TLS context.

    Each HTTPXRequest otherwise loads the CA bundle (about 0.1 s); the emulator speaks plain HTTP,
    so tests that build many bots only pay for it once.
    """
    return HTTPXRequest(httpx_kwargs={"verify": _tls_context()}, **kwargs)


def emulator_bot(emulator: Emulator, **request_kwargs: Any) -> Bot:
    """A `telegram.Bot` (not yet initialised) that talks to `emulator`."""
    return Bot(
        emulator.token,
        base_url=emulator.base_url,
        request=loopback_request(**request_kwargs),
        get_updates_request=loopback_request(),
    )
