"""The README tells a newcomer the truth: its examples keep working, its links resolve in the
project, and its descriptions match the files they describe."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.reminders.rules import Parsed, parse

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
REMIND_EXAMPLES = re.findall(r"`/remind ([^`]+)`", README)


def test_the_readme_shows_one_line_reminders() -> None:
    assert len(REMIND_EXAMPLES) >= 4


@pytest.mark.parametrize("years_on", [0, 1, 3])
@pytest.mark.parametrize("example", REMIND_EXAMPLES)
def test_every_reminder_example_still_works_years_from_now(example: str, years_on: int) -> None:
    today = date.today() + timedelta(days=365 * years_on + 17)
    assert isinstance(parse(example, today=today), Parsed), example


def test_links_stay_inside_the_project() -> None:
    assert "../shared" not in README
    for target in re.findall(r"\]\(((?!https?:)[^)#]+)\)", README):
        assert (REPO / target).exists(), target
    assert "docs/ARCHITECTURE.md" in README


def test_the_settings_table_is_one_table() -> None:
    table = README.split("| setting | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = table.strip().splitlines()
    assert all(row.startswith("|") for row in rows)
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "LOG_LEVEL", "DISPATCH_LEASE_SECONDS"):
        assert f"`{name}`" in table


def test_each_procfile_process_is_described_as_it_is() -> None:
    processes = (REPO / "Procfile").read_text().strip().splitlines()
    assert len(processes) == 3
    for process in processes:
        assert f"`{process}`" in README, process
