"""How near an occurrence a dose given by hand must be to answer it: a fifth of the interval,
never under 12 hours nor over 3 days."""

from datetime import timedelta

import pytest

from bot.reminders.rules import THREE_A_WEEK, Rule
from bot.reminders.taken_log import NEAR, NEAREST, near


@pytest.mark.parametrize(
    ("rule", "window"),
    [
        (Rule("day", 1, 9, 0), NEAR),  # a fifth of a day is under the floor
        (Rule("day", 2, 9, 0), NEAR),
        (Rule("week", 1, 9, 0), timedelta(days=7) / 5),
        (Rule("week", 2, 9, 0), timedelta(days=14) / 5),
        (Rule("week", 4, 9, 0), NEAREST),
        (Rule("week", 12, 9, 0), NEAREST),
        (Rule("month", 3, 9, 0), NEAREST),
        (Rule("week", 1, 9, 0, THREE_A_WEEK), NEAR),  # two days apart at the closest
        (Rule("week", 1, 9, 0, (0,)), timedelta(days=7) / 5),  # one day a week: a week apart
        (Rule("week", 1, 9, 0, (0, 3)), timedelta(days=3) / 5),  # Monday to Thursday: 14.4 h
    ],
)
def test_near_is_a_fifth_of_the_interval_within_bounds(rule: Rule, window: timedelta) -> None:
    assert near(rule) == window
