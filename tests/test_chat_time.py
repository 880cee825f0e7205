"""`b12bot chat`'s clock and /wait's words: how long a wait is, and a clock that only moves on."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat_time import LONGEST_WAIT, ChatClock, wait_span


@pytest.mark.parametrize(
    ("words", "span"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("2h30m", timedelta(hours=2, minutes=30)),
        ("1h 30 min", timedelta(hours=1, minutes=30)),
        ("90 minutes", timedelta(minutes=90)),
        ("1 day", timedelta(days=1)),
        ("2W", timedelta(weeks=2)),
        ("13w", LONGEST_WAIT),
    ],
)
def test_a_wait_is_said_in_weeks_days_hours_and_minutes(words: str, span: timedelta) -> None:
    assert wait_span(words) == span


@pytest.mark.parametrize("words", ["", "2", "2 months", "soon", "0h", "14w", "2h later", "-1h"])
def test_a_wait_not_understood_or_too_long_is_none(words: str) -> None:
    assert wait_span(words) is None


def test_the_clock_is_real_time_until_moved_and_never_moves_back() -> None:
    clock = ChatClock()
    before = datetime.now(UTC)
    now = clock()
    assert before <= now <= datetime.now(UTC)
    target = now + timedelta(hours=2)
    clock.move_to(target)
    assert target <= clock() < target + timedelta(hours=1)
    clock.move_to(now)  # the past: the clock stays where it was moved
    assert clock() >= target
