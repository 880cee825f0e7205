"""The real Application against the emulator, on each test database, with a movable clock.

Use with `pytest_plugins = ["tests.db_fixtures", "tests.e2e_app_fixtures"]`; the test module
provides the `clock` fixture (time that moves only when the test says so).
"""

from __future__ import annotations

import pytest

from bot.config import offline_settings
from bot.telegram.app import build_application, running


@pytest.fixture
async def app(emulator, faq, clock, database_url):
    application = build_application(
        offline_settings(emulator.token, emulator.base_url, database_url), faq, clock=clock
    )
    async with running(application, polling=True):
        yield application
