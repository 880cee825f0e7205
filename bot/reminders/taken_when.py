"""What follows /taken: whose dose it was and when it was given, or why that can't be read.

"/taken for Mum yesterday at 10am", "/taken 2 hours ago", "/taken 30 Nov", "/taken Dad at 9:30"
are read here; "/taken banana" is a problem, never an anonymous "taken now". Names are the chat's
reminders' names, so "for Mum" means Mum's reminder. Dates and times use the /remind grammar's
readers, so both commands understand the same words. Nothing here reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.reminders.rules import Problem, Where, read_date, read_time

MAX_BACK = timedelta(days=366)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_AGO = re.compile(
    rf"(?P<count>[0-9]{{1,3}}|{'|'.join(_NUMBERS)}) (?P<unit>min(?:ute)?s?|h(?:ou)?rs?|hours?"
    r"|days?|weeks?) ago(?= |$)",
    re.IGNORECASE,
)
_NOW = re.compile(r"(?:just |right )?now(?= |$)", re.IGNORECASE)
_ON = re.compile(r"on(?= )", re.IGNORECASE)
_FOR = re.compile(r"for(?= |$)", re.IGNORECASE)
_WHEN_STARTS = re.compile(r" (?=yesterday|today|now|at |on |last |[0-9])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Taken:
    """A /taken understood. `name` is a reminder's own spelling of it, None if none was said.

    `moment` is set when an instant was said ("now", "2 hours ago") or nothing was (just now);
    otherwise `day` and maybe `clock` (None: a day alone, "30 Nov", whose time is not known).
    """

    name: str | None
    day: date
    clock: time | None
    moment: datetime | None


def read_taken(
    text: str, *, names: Sequence[str], now: datetime, month_first: bool | None = None
) -> Taken | str:
    """Read what follows /taken against the chat's local `now`; a string says what was wrong."""
    line = " ".join(text.replace(",", " ").split()).rstrip(".!")
    where = Where(now.date(), month_first)
    found: dict[str, object] = {}
    position = 0
    while position < len(line):
        read = _read_one(line, position, names, where, now)
        if isinstance(read, str):
            return read
        end, part, value = read
        if part in found or (part in {"day", "clock"} and "moment" in found):
            return f"You said {_said(part)} twice; please say it once."
        if part == "moment" and ({"day", "clock"} & found.keys()):
            return "Please say either a day and time or how long ago, not both."
        found[part] = value
        position = end + 1
    if not {"day", "clock", "moment"} & found.keys():  # no when at all: just now
        found["moment"] = now
    return Taken(
        found.get("name"),  # type: ignore[arg-type]
        found.get("day", now.date()),  # type: ignore[arg-type]
        found.get("clock"),  # type: ignore[arg-type]
        found.get("moment"),  # type: ignore[arg-type]
    )


def _read_one(  # noqa: PLR0911 - one return per part it may find
    line: str, position: int, names: Sequence[str], where: Where, now: datetime
) -> tuple[int, str, object] | str:
    """One part at `position`: (where it ends, which part, its value), or what was wrong."""
    keyword = _FOR.match(line, position)
    name = _name_at(line, keyword.end() + 1 if keyword else position, names)
    if name is not None:
        return name[0], "name", name[1]
    if keyword is not None:
        written = _words(line, keyword.end() + 1)
        if not written:
            return "Whose injection was it? Write their name after “for”, like “/taken for Mum”."
        return _unknown_name(written, names)
    if now_said := _NOW.match(line, position):
        return now_said.end(), "moment", now
    if ago := _AGO.match(line, position):
        return _ago(ago, now)
    on = _ON.match(line, position)
    day = read_date(line, on.end() + 1 if on else position, where, ahead=False)
    if isinstance(day, Problem):
        return day.message
    if day is not None:
        end, value = day
        if value is None:
            return f"{_quote(line[position:end])} is not a date; check the day and month."
        return end, "day", value
    clock = read_time(line, position)
    if isinstance(clock, Problem):
        return clock.message
    if clock is not None:
        end, (hour, minute) = clock
        return end, "clock", time(hour, minute)
    return f"I couldn't read {_quote(_words(line, position))}."


def _name_at(line: str, position: int, names: Sequence[str]) -> tuple[int, str] | None:
    """The longest of the chat's reminder names written at `position`, whole words only."""
    folded = line.casefold()
    for name in sorted(names, key=len, reverse=True):
        end = position + len(name)
        if folded.startswith(name.casefold(), position) and (end == len(line) or line[end] == " "):
            return end, name
    return None


def _unknown_name(written: str, names: Sequence[str]) -> str:
    if not names:
        return (
            f"No reminder here is for {_quote(written)}. Set one with "
            f"“/remind every 4 weeks at 9am for {written or 'Mum'}”, or send /taken on its own."
        )
    return f"No reminder here is for {_quote(written)}; they are for {', '.join(names)}."


def _ago(ago: re.Match[str], now: datetime) -> tuple[int, str, object]:
    written = ago["count"].lower()
    count = _NUMBERS.get(written) or int(written)
    unit = ago["unit"].lower()
    if unit.startswith(("day", "week")):
        days = count * (7 if unit.startswith("week") else 1)
        return ago.end(), "day", now.date() - timedelta(days=days)
    minutes = count * (1 if unit.startswith("min") else 60)
    return ago.end(), "moment", now - timedelta(minutes=minutes)


def _words(line: str, position: int) -> str:
    """The words to quote back: up to where a day or time seems to begin."""
    return _WHEN_STARTS.split(line[position:], maxsplit=1)[0][:30]


def _said(part: str) -> str:
    return {"name": "who", "day": "a day", "clock": "a time", "moment": "when"}[part]


def _quote(text: str) -> str:
    return f"“{text}”"
