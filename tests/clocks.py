"""A clock for the stores and the dispatcher that a test moves itself: nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta


class MovedClock:
    """Returns the time the test set; override db_fixtures' `clock` fixture with one."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta
