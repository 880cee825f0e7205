"""The README tells a newcomer the truth: its examples keep working, its `printf ... | b12bot
chat` scripts run as it says, its links resolve in the project, and its descriptions match the
files they describe."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.reminders.rules import Parsed, parse

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
REMIND_EXAMPLES = re.findall(r"`/remind ([^`]+)`", README)
CHAT_SCRIPTS = re.findall(
    r"^printf '([^']*)' \| \.venv/bin/b12bot chat((?: --\w+)*)$", README, re.M
)
# What each script must show, in this order, found by a line (or lines in a row) only it types.
# A new script needs its own entry.
SHOWS = {
    "/taken for Dad": [
        "✅ Logged: Mum's injection taken at",
        "so it's marked taken.",
        "(bot: Noted: left arm.)",
        "No reminder here is for “Dad”",
        "Next due for Mum:",
    ],
    "/cancel": [
        "Every 6 weeks at 09:00. When is the next injection due?",
        "✅ Reminder set: every 6 weeks at 09:00",
        "Cancelled. Nothing was saved.",
        "1. every 6 weeks at 09:00: next",
    ],
    "@admin: /forget": [
        "Reminder set for Mum: every 4 weeks at 09:00",
        "✅ Logged: Mum's injection taken at",
        "(bot: Only a group admin can delete the group's data.)",
        "I have deleted everything I stored about this group.",
    ],
    "/remind every 4 weeks at 09:00 from tomorrow": [
        "💊 3 ampoules left.",
        "💊 2 ampoules left",
        "(bot: Noted: left arm.)",
    ],
    "#4\n/export": [
        "(bot: Noted: left thigh.)",
        "📎 b12-dose-log.csv",
        "📎 b12-coming-injections.ics",
        "📎 b12-injection-record.pdf",
    ],
    "/carers": ["🤝 Invite a carer", "1 invite link waiting to be used.", "Cancelled 1 link."],
    "/as Ann": [
        "bot (private, to Ann) #3> 🤝 Mum would like you as their carer",
        "bot> 🤝 Ann is now your carer",
        "bot (private, to Ann) #5> 🔔 Mum's B12 injection due at 09:00 hasn't been marked yet.",
        "  [1] 🔔 Remind Mum again\n  [2] ✅ It's done",
        "bot #6> 🔔 Ann asked me to remind you: your B12 injection due at 09:00",
        "Mum's B12 injection due at 09:00: taken, marked by you.",
        "11:00 (due 09:00): taken by Ann (carer)",  # the patient's /history: when she marked it
    ],
    "@ann: /export": [
        "💊 3 ampoules left for Mum.",
        "taken by Ann at 09:00.\n💊 2 ampoules left: ask for a repeat prescription.",
        "(bot: Noted: left thigh.)",
        "Only the person who set a reminder here, or a group admin, can export its record.",
        *[f"{who}\nbot> 📄 Dose log (CSV)" for who in ("you> /export", "you> @admin: /export")],
        "📎 b12-dose-log.csv",
        "📎 b12-coming-injections.ics",
        "📎 b12-injection-record.pdf",  # the admin's last file, held up by the group's rate limit
    ],
}


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


def _typed(script: str) -> str:
    """What printf would pipe: the README writes each new line as \\n."""
    return script.replace("\\n", "\n")


def _run(script: str, flags: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot.cli", "chat", *flags.split()]
    return subprocess.run(
        command, input=_typed(script), capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def chats() -> list[subprocess.CompletedProcess[str]]:
    """Every README chat script, run at once (each waits on the bot, not on the machine)."""
    with ThreadPoolExecutor(len(CHAT_SCRIPTS)) as pool:
        return list(pool.map(lambda found: _run(*found), CHAT_SCRIPTS))


def test_the_readme_shows_chat_scripts_for_what_issue_11_asked() -> None:
    flags = [flag for _, flag in CHAT_SCRIPTS]
    assert len(CHAT_SCRIPTS) >= 4
    assert " --group" in flags


def test_the_readme_plays_a_carers_side_and_a_familys_record_for_issue_12() -> None:
    scripts = [(set(_typed(script).splitlines()), flags) for script, flags in CHAT_SCRIPTS]
    assert any(
        {"/as Ann", "/open", "/wait", "/wait 2h", "/history"} <= lines for lines, _ in scripts
    )
    family = {"/supplies 3", "/wait", "@ann: /export", "/export", "@admin: /export"}
    assert any(family <= lines and flags == " --group" for lines, flags in scripts)


@pytest.mark.parametrize("number", range(len(CHAT_SCRIPTS)))
def test_each_chat_script_runs_as_the_readme_says(chats, number: int) -> None:
    script, _ = CHAT_SCRIPTS[number]
    result = chats[number]
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr + result.stdout
    out = result.stdout
    lines = _typed(script).splitlines()
    for line in lines:  # every line was read (as you, or whom /as made you), none lost at the end
        assert re.search(rf"^\w+> {re.escape(line)}$", out, re.M), line
    for slip in ("(there is no", "(nobody called", "Sorry, something went wrong"):
        assert slip not in out, out  # a #N that no longer points where the comment says
    typed = "\n".join(["", *lines, ""])
    [shows] = [phrases for marker, phrases in SHOWS.items() if f"\n{marker}\n" in typed]
    shown = 0
    for phrase in shows:
        found = out.find(phrase, shown)
        assert found >= 0, (phrase, out[shown:])
        shown = found + len(phrase)
