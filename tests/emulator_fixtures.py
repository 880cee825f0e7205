"""Fixtures for tests that talk to the Telegram emulator over loopback.

Import the ones a test module needs (`from tests.emulator_fixtures import bot, emulator`); the
shared conftest stays free of Telegram so the FAQ tests never load it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.emulator import Emulator


class ManualClock:
    """A clock that moves only when told, so time-based rules are tested without sleeping."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A running emulator on a free loopback port, stopped after the test."""
    async with Emulator() as running:
        yield running


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[Bot]:
    """python-telegram-bot's own Bot, initialised (getMe) against the emulator."""
    async with Bot(emulator.token, base_url=emulator.base_url) as client:
        yield client
