"""Injection reminder rules: the one-line grammar, and when each reminder falls due.

"/remind every 4 weeks at 09:00 from 1 December for Mum Europe/London" becomes a `Parsed`
(a `Rule`, a start date, who it is for, a zone) or a `Problem` a handler can show as it is.
A rule is stored compactly ("4w@09:00") beside its IANA zone and start date; the dispatcher
asks `first_due` / `next_due` for the next UTC instant and stores it as `next_due_at`.

Occurrences are anchored on the start date: every N days or weeks is start, start + N, ...;
every N months keeps a day of the month (the start's, see `Rule.day`); set weekdays ("3 times a
week" is Monday, Wednesday and Friday) are each of those days from the start on. Each
occurrence's local date comes first, then its local time is placed in the reminder's own zone.
The written DST and calendar policy:

- A local time that does not exist (the spring-forward gap) moves forward by the length of
  the gap: 02:30 on the night New York springs forward is 03:30 EDT, 01:30 on the night
  London springs forward is 02:30 BST. The occurrence is never skipped: a missed week of
  injections is worse than one reminder an hour late.
- An ambiguous local time (fall back: the hour that happens twice) fires once, at its first
  occurrence (fold=0, still summer time).
- Monthly on the 29th-31st falls on the last day of shorter months (30 April, 28 February,
  29 February 2028) and returns to its day in months that have it: every month of the cycle
  has exactly one reminder, so a monthly injection is never silently dropped. "On the 31st"
  said in a month without one starts on that month's last day, not next month, for the same
  reason. Descriptions say so ("every month on the 31st (the last day in shorter months)").
- A snooze delays one occurrence; it never moves the series.

APScheduler's CalendarIntervalTrigger steps the calendar, but it cannot be given the whole
job: in a real zone it discards a date whose time falls in the gap (a weekly reminder would
silently miss a week), and it skips months that lack the start's day. So it runs here in UTC,
where no date is ever discarded, as the wall-clock calendar; months are stepped from the 1st
and clamped to the series' day; set weekdays come from a CronTrigger in UTC the same way; and
placing the wall-clock time in the real zone follows the policy above. Nothing here reads the
clock: `today` and `now` are always passed in.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from typing import Any, Literal, TypeAlias
from zoneinfo import ZoneInfo, available_timezones

from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.cron import CronTrigger

Unit = Literal["day", "week", "month"]
Snooze = Literal["1h", "3h", "tomorrow"]

MAX_EVERY: dict[Unit, int] = {"day": 365, "week": 52, "month": 12}
MAX_TEXT = 200  # the longest sensible reminder line is about half of this
MAX_NAME = 40
MAX_START_AHEAD = timedelta(days=366)

# ---------------------------------------------------------------------------------------------
# Rule
# ---------------------------------------------------------------------------------------------

_UNIT_LETTER: dict[Unit, str] = {"day": "d", "week": "w", "month": "m"}
_LETTER_UNIT: dict[str, Unit] = {letter: unit for unit, letter in _UNIT_LETTER.items()}
_STORED = re.compile(
    r"(?:([1-9][0-9]{0,2})([dwm])(?:d([1-9]|[12][0-9]|3[01]))?"  # '1m', or '1md31': Rule.day
    r"|wd([1-7]{1,7}))@([0-9]{2}):([0-9]{2})"
)
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
THREE_A_WEEK: tuple[int, ...] = (0, 2, 4)  # Monday, Wednesday and Friday: two days apart, mostly


@dataclass(frozen=True, slots=True)
class Rule:
    """How often and at what local time: the part of a reminder that repeats.

    `weekdays` (0 is Monday), when given, are the days of every week it falls on; the unit is
    then a week and `every` 1.

    `day`, for months only, is the day of the month kept when the start stands in for it in a
    shorter month: "monthly on the 31st" set on 5 April starts on 30 April and keeps the 31st,
    so April is not lost. None (nearly always): the start's own day is kept.
    """

    unit: Unit
    every: int
    hour: int
    minute: int
    weekdays: tuple[int, ...] = ()
    day: int | None = None

    def __post_init__(self) -> None:
        if self.unit not in MAX_EVERY:
            raise ValueError(f"unit must be day, week or month, not {self.unit!r}")
        if not 1 <= self.every <= MAX_EVERY[self.unit]:
            raise ValueError(f"every {self.unit} must be 1 to {MAX_EVERY[self.unit]}")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise ValueError(f"{self.hour}:{self.minute} is not a time of day")
        if self.weekdays and (
            (self.unit, self.every) != ("week", 1)
            or list(self.weekdays) != sorted(set(self.weekdays))
            or not all(0 <= day <= 6 for day in self.weekdays)
        ):
            raise ValueError(f"weekdays {self.weekdays!r} must be distinct, in order, weekly")
        if self.day is not None and (self.unit != "month" or not 1 <= self.day <= 31):
            raise ValueError(f"a day of the month ({self.day!r}) is for monthly rules, 1 to 31")

    def describe(self, start: date | None = None) -> str:
        """Plain English for confirmations and lists, e.g. 'every 4 weeks at 09:00' or 'every
        Monday, Wednesday and Friday at 09:00' (so "3 times a week" says which days).

        Given the start, the day a monthly or weekly series keeps is said too: 'every month on
        the 15th at 09:00', 'every week on Monday at 09:00', and where the series meets months
        without that day, what it does then: 'every month on the 31st (the last day in shorter
        months) at 09:00'.
        """
        return f"{self.how_often()}{self._on(start)} at {self.hour:02d}:{self.minute:02d}"

    def how_often(self) -> str:
        """The repeating part alone, e.g. 'every 4 weeks': what the guided /remind asks first."""
        if self.weekdays:
            names = [_DAY_NAMES[day] for day in self.weekdays]
            return "every " + " and ".join(
                [", ".join(names[:-1]), names[-1]] if names[1:] else names
            )
        return f"every {self.unit if self.every == 1 else f'{self.every} {self.unit}s'}"

    def _on(self, start: date | None) -> str:
        """' on the 15th' (months), ' on Monday' (every week), else nothing: every 12 weeks is
        counted from its start, whose weekday the first reminder's date already shows."""
        if start is None or self.weekdays:
            return ""
        if self.unit == "month":
            day = self.day_of_month(start)
            return f" on the {_ordinal(day)}{_in_shorter_months(day, start, self.every)}"
        if (self.unit, self.every) == ("week", 1):
            return f" on {_DAY_NAMES[start.weekday()]}"
        return ""

    def day_of_month(self, start: date) -> int:
        """The day of the month a monthly series from `start` keeps: `day` while the start
        stands in for it (30 April for the 31st), else the start's own day, so a series
        restarted from another day (/taken's restart) keeps that one."""
        if self.day is not None and start.day == min(self.day, _month_length(start)):
            return self.day
        return start.day

    def to_text(self) -> str:
        """The compact form the database stores, e.g. '4w@09:00', 'wd135@09:00' for Monday,
        Wednesday and Friday (ISO weekday numbers, so all seven fit the column), or '1md31@09:00'
        for the 31st kept from a start in a shorter month."""
        if self.weekdays:
            often = "wd" + "".join(str(day + 1) for day in self.weekdays)
        else:
            often = f"{self.every}{_UNIT_LETTER[self.unit]}"
            often += f"d{self.day}" if self.day is not None else ""
        return f"{often}@{self.hour:02d}:{self.minute:02d}"

    @classmethod
    def from_text(cls, text: str) -> Rule:
        """Read back `to_text`; a stored value that is not one raises ValueError."""
        stored = _STORED.fullmatch(text)
        if stored is None:
            raise ValueError(f"not a stored rule: {text[:40]!r}")
        every, letter, day, days, hour, minute = stored.groups()
        if days:
            weekdays = tuple(int(day) - 1 for day in days)
            return cls("week", 1, int(hour), int(minute), weekdays)
        kept = int(day) if day else None
        return cls(_LETTER_UNIT[letter], int(every), int(hour), int(minute), (), kept)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A /remind line understood; `zone` is None when the line named none."""

    rule: Rule
    start: date
    for_whom: str | None
    zone: str | None
    followup_minutes: int | None = None  # None: the default; 0: no follow-up


def _month_length(day: date) -> int:
    return monthrange(day.year, day.month)[1]


def _in_shorter_months(day: int, start: date, every: int) -> str:
    """What a monthly series does in the months of its cycle that lack its day, said once: ' (the
    last day in February)' or ' (the last day in shorter months)'; nothing when no month of the
    cycle lacks it (every 12 months from 31 March)."""
    months = {(start.month - 1 + step * every) % 12 + 1 for step in range(12)}
    short = {month for month in months if day > monthrange(2001, month)[1]}  # a common year
    if not short:
        return ""
    return " (the last day in February)" if short == {2} else " (the last day in shorter months)"


def _ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st, 22nd, 23rd ... 31st."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a piece of a /remind line names, when nothing is required: one answer in the guided
    /remind may say how often, the time, the start, or several at once ("every 4 weeks at 9am").

    `how_often` is in the grammar's own words ('every 4 weeks'), `at` is 'HH:MM'; `others` are
    the other parts named (who it is for, a zone, a follow-up), which the guide asks about itself.
    `day` is a start said as a day of the month ('on the 31st'), in place of `start`: its date
    depends on how often (a monthly series starts on a shorter month's last day), so it is kept
    as said and read with the rest, as the one-line /remind reads it.
    """

    how_often: str | None = None
    at: str | None = None
    start: date | None = None
    others: tuple[str, ...] = ()
    day: int | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a /remind line was not understood, said so that the person can fix it.

    `part` is one of "text", "frequency", "time", "start", "name", "zone" or "unknown";
    `message` quotes what was typed (so a handler must escape it for HTML); `example` is a
    whole command that would work.
    """

    part: str
    message: str
    example: str


# ---------------------------------------------------------------------------------------------
# The one-line grammar
# ---------------------------------------------------------------------------------------------

_EXAMPLES = {
    "text": "/remind every 4 weeks at 09:00",
    "frequency": "/remind every 4 weeks at 09:00",
    "weekdays": "/remind 3 times a week at 9am",
    "time": "/remind every 4 weeks at 9am",
    "start": "/remind monthly at 8am from tomorrow",
    "name": "/remind every 3 months at 10:30 for Mum",
    "zone": "/remind every day at 21:15 Europe/London",
    "followup": "/remind every day at 09:00 for Dad follow up after 3 hours",
    "unknown": "/remind every 4 weeks at 09:00",
}
_SAID_TWICE = {
    "frequency": "how often",
    "weekdays": "the days",
    "time": "a time",
    "start": "a start date",
    "name": "who it is for",
    "zone": "a time zone",
    "followup": "a follow-up",
}
MAX_FOLLOWUP_MINUTES = 24 * 60
_FOLLOWUP = re.compile(
    r"(?:(?P<none>no follow[- ]?up)|(?:follow[- ]?up|check) (?:after|in) (?P<amount>[0-9]{1,4}) ?"
    r"(?P<unit>h|hrs?|hours?|m|mins?|minutes?))(?= |$)",
    re.IGNORECASE,
)

_END = "(?= |$)"  # every part ends at a word boundary of the tidied text
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "other": 2,
}
_UNIT_WORDS: dict[str, tuple[Unit, int]] = {
    "day": ("day", 1),
    "week": ("week", 1),
    "wk": ("week", 1),
    "fortnight": ("week", 2),
    "month": ("month", 1),
    "mth": ("month", 1),
    "mnth": ("month", 1),
    "mo": ("month", 1),
}
_ADVERBS: dict[str, tuple[Unit, int]] = {
    "daily": ("day", 1),
    "weekly": ("week", 1),
    "fortnightly": ("week", 2),
    "monthly": ("month", 1),
}
_FREQUENCY = re.compile(
    rf"(?:every (?:(?P<count>[0-9]+|{'|'.join(_NUMBER_WORDS)}) )?"
    rf"(?P<unit>{'|'.join(_UNIT_WORDS)})s?|(?P<adverb>{'|'.join(_ADVERBS)})){_END}",
    re.IGNORECASE,
)
_EVERY = re.compile(rf"every{_END}", re.IGNORECASE)

_MERIDIEM = r" ?[ap]\.? ?m\.?"  # am, pm, a.m., p. m.
_CLOCK = re.compile(
    r"(?:(?P<word>noon|midday|midnight)"
    rf"|(?P<hour>[0-9]{{1,2}})(?:(?P<colon>[:.])?(?P<minute>[0-9]{{2}}))?(?P<half>{_MERIDIEM})?)"
    rf"{_END}",
    re.IGNORECASE,
)
_AT = re.compile(rf"at{_END}", re.IGNORECASE)
_PERIOD = re.compile(
    rf" (in the (?:morning|afternoon|evening)|at night|tonight){_END}", re.IGNORECASE
)

_MONTH = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ORDINAL = r"(?:st|nd|rd|th)?"
_FROM = re.compile(rf"(?:from|starting(?: from| on)?){_END}", re.IGNORECASE)
_WEEKDAY = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?"
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DATE = re.compile(
    r"(?:(?P<iso>(?P<iy>[0-9]{4})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2}))"
    r"|(?P<n1>[0-9]{1,2})(?P<sep>[/.-])(?P<n2>[0-9]{1,2})(?:[/.-](?P<ny>[0-9]{4}))?"
    r"|(?P<relative>today|tomorrow|yesterday)"
    r"|(?P<nextweek>next week)"
    rf"|(?:(?P<which>next|last|this) )?(?P<weekday>{_WEEKDAY})"
    rf"|(?:the )?(?P<dd>[0-9]{{1,2}}){_ORDINAL}(?: of)? (?P<dm>{_MONTH})\.?(?: (?P<dy>[0-9]{{4}}))?"
    rf"|(?P<mm>{_MONTH})\.? (?:the )?(?P<md>[0-9]{{1,2}}){_ORDINAL}(?: (?P<my>[0-9]{{4}}))?)"
    + _END,
    re.IGNORECASE,
)

# "on the 15th", or "the 15th" alone when it says "th" and no month follows ("the 15th of
# March" is a date).
_ON_DAY = re.compile(
    rf"(?:on the|the(?= [0-9]{{1,2}}(?:st|nd|rd|th){_END}(?! (?:of )?(?:{_MONTH})\.?{_END})))"
    rf" (?P<day>[1-9]|[12][0-9]|3[01]){_ORDINAL}(?: of (?:each|every|the) month)?{_END}",
    re.IGNORECASE,
)
_ON_WEEKDAY = re.compile(rf"on(?= (?:(?:next|this) )?(?:{_WEEKDAY}){_END})", re.IGNORECASE)
_ONE_WEEKDAY = rf"(?:{_WEEKDAY}){_END}"
# "every monday and thursday", "on mon wed fri" (one day after "on" is a start date instead),
# "3 times a week".
_SET_WEEKDAYS = re.compile(
    rf"(?:(?P<keyword>every|on) (?P<days>{_ONE_WEEKDAY}(?: (?:and |& )?{_ONE_WEEKDAY})*)"
    rf"|(?P<three>(?:3|three) times (?:a |per |each )?week(?:ly)?)){_END}",
    re.IGNORECASE,
)

_FOR = re.compile(rf"for{_END}", re.IGNORECASE)
_NAME_MARKS = frozenset(" '’-.&")

_IN = re.compile(rf"in{_END}", re.IGNORECASE)
_IANA = re.compile(rf"(?:[a-z][a-z0-9_+-]*(?:/[a-z0-9_+-]+)+|utc){_END}", re.IGNORECASE)
# Abbreviations and offsets change meaning with daylight saving ("GMT" in a British summer is
# an hour off), so they are refused with a pointer to a place instead of being guessed.
_ABBREVIATION = re.compile(
    r"(?:(?:utc|gmt)[+-][0-9]{1,2}(?::?[0-9]{2})?"
    rf"|gmt|bst|ist|cet|cest|eet|wet|est|edt|cst|cdt|mst|mdt|pst|pdt|aest|aedt|nzst|nzdt){_END}",
    re.IGNORECASE,
)

# A word where some part of the grammar begins: where a name, or a span not understood, ends.
_PART_START = re.compile(
    r"(?:every|daily|weekly|fortnightly|monthly|(?:3|three) times|at|from|starting|on|for|in"
    r"|noon|midday|midnight"
    r"|no follow[- ]?up|follow[- ]?up|check"
    rf"|[0-9]{{1,2}}(?:[:.][0-9]{{2}}(?:{_MERIDIEM})?|{_MERIDIEM})){_END}"
    rf"|{_IANA.pattern}|{_ABBREVIATION.pattern}",
    re.IGNORECASE,
)

# A reader looks for its part at a position: (where it ends, what it means), a Problem, or None
# when the words there are not its part at all.
_Read: TypeAlias = tuple[int, Any] | Problem | None
_Reader: TypeAlias = Callable[[str, int, "Where"], _Read]


@dataclass(frozen=True, slots=True)
class Where:
    """What a line is read against: the chat's today, and how its people write 12/01/2027.

    `month_first` is True where the month comes first (the US), False where the day does (the
    UK, most of the world), None when the chat's zone does not tell (UTC, Canada): then a date
    whose day and month could be swapped is asked about, never guessed.
    """

    today: date
    month_first: bool | None = None


def parse(text: str, *, today: date, month_first: bool | None = None) -> Parsed | Problem:
    """Understand what follows /remind, or say which part was not understood; never raises."""
    found = _parts(text, Where(today, month_first))
    if isinstance(found, Problem):
        return found
    if "frequency" not in found and "start" in found:
        return _problem(
            "frequency",
            "I only keep repeating reminders, so a one-off like this can't be set. Say how "
            "often the injections come, like “every 12 weeks at 9am from tomorrow”.",
        )
    if "frequency" not in found:
        return _problem("frequency", "How often? Start with something like “every 4 weeks”.")
    if "time" not in found:
        return _problem("time", "At what time? Add something like “at 9am” or “at 21:15”.")
    unit, every = found["frequency"]
    hour, minute = found["time"]
    start, day = found.get("start", today), None
    if isinstance(start, _OnTheDay):
        on, start = start.day, start.first(today, monthly=unit == "month")
        day = on if start.day != on else None
    return Parsed(
        Rule(unit, every, hour, minute, found.get("weekdays", ()), day),
        start,
        found.get("name"),
        found.get("zone"),
        found.get("followup"),
    )


def read_answer(text: str, *, today: date, month_first: bool | None = None) -> Answer | Problem:
    """The parts `text` names, none of them required, or what was not understood; never raises."""
    found = _parts(text, Where(today, month_first))
    if isinstance(found, Problem):
        return found
    unit, every = found.get("frequency", ("week", 1))
    hour, minute = found.get("time", (0, 0))
    start = found.get("start")
    on = start.day if isinstance(start, _OnTheDay) else None
    return Answer(
        Rule(unit, every, hour, minute, found.get("weekdays", ())).how_often()
        if "frequency" in found
        else None,
        f"{hour:02d}:{minute:02d}" if "time" in found else None,
        None if on else start,
        tuple(part for part in found if part not in {"frequency", "weekdays", "time", "start"}),
        on,
    )


def _parts(text: str, where: Where) -> dict[str, Any] | Problem:
    """The parts a line names, read in order, or the first problem with them."""
    line = _tidy(text)
    if not line or len(line) > MAX_TEXT:
        return _problem(
            "text",
            "Tell me how often and at what time, like “every 4 weeks at 09:00”."
            if not line
            else "That is longer than a reminder needs. Say how often and at what time.",
        )
    return _read_parts(line, where)


_ME = re.compile(r"(?:remind )?me(?: to take it| to)? ", re.IGNORECASE)


def _tidy(text: str) -> str:
    """One space between words; commas, a closing full stop and a leading "me" ("/remind me
    every...") are not part of any part."""
    line = " ".join(text.replace(",", " ").split()).rstrip(".!").rstrip()
    return line[me.end() :] if (me := _ME.match(line)) else line


def _read_parts(line: str, where: Where) -> dict[str, Any] | Problem:
    """Read the parts in the order they were written, each at most once."""
    found: dict[str, Any] = {}
    position = 0
    while position < len(line):
        for part, reader in _READERS:
            read = reader(line, position, where)
            if read is None:
                continue
            if isinstance(read, Problem):
                return read
            end, found_value = read
            if part in found:
                return _problem(
                    part,
                    f"You gave {_SAID_TWICE[part]} twice (the second time as "
                    f"{_quote(line[position:end])}); please give it once.",
                )
            found[part] = found_value
            break
        else:
            return _problem(
                "unknown", f"Sorry, I didn't understand {_quote(_unread(line, position))}."
            )
        position = end + 1
    return _weekly(found)


def _weekly(found: dict[str, Any]) -> dict[str, Any] | Problem:
    """Set weekdays come every week: "every week on mon and thu" is fine, "every 2 weeks" not."""
    if found.get("weekdays") and found.setdefault("frequency", ("week", 1)) != ("week", 1):
        return _problem(
            "frequency",
            "Reminders on set days come every week, so give the days alone, like "
            "“every monday and thursday at 9am”.",
        )
    return found


def _read_frequency(line: str, position: int, where: Where) -> _Read:
    """'every 4 weeks', 'every other day', 'every twelve weeks', 'fortnightly', 'monthly'..."""
    match = _FREQUENCY.match(line, position)
    if match is None:
        if _EVERY.match(line, position):
            return _problem(
                "frequency",
                f"I couldn't tell how often from {_quote(_unread(line, position))}. "
                "Try “every 4 weeks”, “every 10 days” or “monthly”.",
            )
        return None
    if match["adverb"]:
        unit, size = _ADVERBS[match["adverb"].lower()]
        count = 1
    else:
        unit, size = _UNIT_WORDS[match["unit"].lower()]
        written = (match["count"] or "1").lower()
        count = _NUMBER_WORDS.get(written) or int(written)
    every = count * size
    if not 1 <= every <= MAX_EVERY[unit]:
        return _problem(
            "frequency",
            f"I can repeat every 1 to {MAX_EVERY[unit]} {unit}s, so {_quote(match[0])} won't work.",
        )
    return match.end(), (unit, every)


def _read_weekdays(line: str, position: int, where: Where) -> _Read:
    """'every monday, wednesday and friday', 'on mon wed fri', '3 times a week' (Mon, Wed, Fri)."""
    match = _SET_WEEKDAYS.match(line, position)
    if match is None:
        return None
    if match["three"]:
        return match.end(), THREE_A_WEEK
    days = [
        _WEEKDAYS.index(word[:3].lower())
        for word in match["days"].split(" ")
        if word.lower() not in {"and", "&"}
    ]
    if match["keyword"].lower() == "on" and len(days) < 2:
        return None
    return match.end(), tuple(sorted(set(days)))


def _read_time(line: str, position: int, where: Where) -> _Read:
    """'at 09:00', 'at 9am', 'at 7:30 pm', 'at noon', 'at 0900', or the same without 'at' if
    unmistakable (a time written as four figures, "0900", only after 'at': alone it may be a
    year or a count)."""
    at = _AT.match(line, position)
    clock = _CLOCK.match(line, at.end() + 1 if at else position)
    if clock is not None and clock["minute"] and not clock["colon"] and not at:
        clock = None
    if clock is None or not (at or clock["word"] or clock["minute"] or clock["half"]):
        if at:
            return _problem(
                "time",
                f"I couldn't read the time in {_quote(_unread(line, position))}. "
                "Try “at 9am”, “at 7:30 pm” or “at 21:15”.",
            )
        return None
    period = _PERIOD.match(line, clock.end())
    end = period.end() if period else clock.end()
    written = line[position:end]
    hour_minute = _clock(clock)
    if hour_minute is not None and period is not None:
        hour_minute = _in_period(hour_minute, period[1], bool(clock["half"] or clock["word"]))
    if hour_minute is None:
        return _problem(
            "time",
            f"{_quote(written)} is not a time of day. Try “at 9am”, “at 7:30 pm” or “at 21:15”.",
        )
    return end, hour_minute


def read_time(line: str, position: int) -> tuple[int, tuple[int, int]] | Problem | None:
    """A time of day written at `position`, as /remind reads it: (where it ends, (hour, minute))."""
    return _read_time(line, position, Where(date.min))


def _in_period(hour_minute: tuple[int, int], period: str, said: bool) -> tuple[int, int] | None:
    """'9 in the morning' is 09:00, '7 in the evening' 19:00; '9pm in the morning' is nothing."""
    hour, minute = hour_minute
    morning = period.lower().endswith("morning")
    if said or hour > 12:
        return hour_minute if (hour < 12) == morning else None
    if morning:
        return (0 if hour == 12 else hour, minute)
    return (12 if hour == 12 and "afternoon" in period else (hour % 12) + 12, minute)


def _clock(clock: re.Match[str]) -> tuple[int, int] | None:
    """Hour and minute on the 24-hour clock, or None for 25:00, 9:75, 13pm or 0am."""
    if clock["word"]:
        return (0, 0) if clock["word"].lower() == "midnight" else (12, 0)
    hour, minute = int(clock["hour"]), int(clock["minute"] or 0)
    if clock["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if "p" in clock["half"].lower() else 0)
    return (hour, minute) if hour <= 23 and minute <= 59 else None


def _read_start(line: str, position: int, where: Where) -> _Read:  # noqa: PLR0911 - one per problem
    """'from 2026-12-01', 'from 1 December', 'from tomorrow', 'starting next monday',
    'on monday', 'on the 15th'..."""
    today = where.today
    keyword = _FROM.match(line, position) or _ON_WEEKDAY.match(line, position)
    begin = keyword.end() + 1 if keyword else position  # "tomorrow", "12 Jan": the date alone
    on_day = _ON_DAY.match(line, begin)  # "on the 15th", "the 15th", "from the 15th"
    if on_day is not None:
        return on_day.end(), _OnTheDay(int(on_day["day"]))
    found = read_date(line, begin, where, ahead=True)
    if found is None:
        if keyword is None:
            return None
        tomorrow = today + timedelta(days=1)
        return _problem(
            "start",
            f"I couldn't read the start date in {_quote(_unread(line, position))}. "
            f"Try “from {tomorrow.day} {tomorrow:%B}”, “from next monday” or “from tomorrow”.",
        )
    if isinstance(found, Problem):
        return found
    end, start = found
    quoted = _quote(line[begin:end])
    if start is None:
        return _problem("start", f"{quoted} is not a date I can use; check the day and month.")
    if start < today:
        return _problem(
            "start", f"{quoted} has already passed; a reminder can start today or later."
        )
    if start - today > MAX_START_AHEAD:
        return _problem("start", f"{quoted} is more than a year away; please pick a nearer start.")
    return end, start


def read_date(
    line: str, position: int, where: Where, *, ahead: bool
) -> tuple[int, date | None] | Problem | None:
    """A date written at `position`: (where it ends, the date or None if no such day), a
    Problem when 12/01/2027 could be either and the chat's zone does not say, or None.

    `ahead` says which way a weekday points: a start date's "monday" is the coming one, a dose's
    is the last one.
    """
    written = _DATE.match(line, position)
    # Without a year only "31/12": "9.30" is a time and "1-2" a range.
    if written is None or (written["n1"] and not written["ny"] and written["sep"] != "/"):
        return None
    if written["n1"]:
        first, second = int(written["n1"]), int(written["n2"])
        year = f" {written['ny']}" if written["ny"] else ""
        if first != second and first <= 12 and second <= 12 and where.month_first is None:
            return _problem(
                "start",
                f"Is {_quote(written[0])} the {first} of {_month_name(second)} or the "
                f"{second} of {_month_name(first)}? Write the month as a word, like "
                f"“{first} {_month_name(second)}{year}”.",
            )
        month_first = second > 12 or (first <= 12 and bool(where.month_first))
        day, month = (second, first) if month_first else (first, second)
        if written["ny"]:
            return written.end(), _valid_date(int(written["ny"]), month, day)
        return written.end(), _nearest(where.today, month, day)
    return written.end(), _date(written, where.today, ahead=ahead)


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B") if 1 <= month <= 12 else str(month)


@dataclass(frozen=True, slots=True)
class _OnTheDay:
    """'on the 31st': a day of the month, which becomes a start date once how often is known."""

    day: int

    def first(self, today: date, *, monthly: bool) -> date:
        """The first date from today on that is the day. For a monthly series a shorter month's
        last day stands in for it (30 April for the 31st), as it does later in the series, so
        this month is not skipped; otherwise the day itself (31: a month that has one)."""
        month = today.replace(day=1)
        while True:
            found = (
                _clamped(month, self.day)
                if monthly
                else _valid_date(month.year, month.month, self.day)
            )
            if found is not None and found >= today:
                return found
            month = (month + timedelta(days=32)).replace(day=1)


def _date(written: re.Match[str], today: date, *, ahead: bool) -> date | None:
    """The date meant, or None if there is no such day (2026-02-30, 31 April)."""
    if written["relative"]:
        shift = {"yesterday": -1, "today": 0, "tomorrow": 1}[written["relative"].lower()]
        return today + timedelta(days=shift)
    if written["nextweek"]:
        return today + timedelta(days=7 - today.weekday())
    if written["weekday"]:
        return _weekday(written, today, ahead=ahead)
    if written["iso"]:
        year, month, day = int(written["iy"]), int(written["im"]), int(written["id"])
        return _valid_date(year, month, day)
    month = _MONTHS.index((written["dm"] or written["mm"])[:3].lower()) + 1
    day = int(written["dd"] or written["md"])
    year_written = written["dy"] or written["my"]
    if year_written:
        return _valid_date(int(year_written), month, day)
    return _nearest(today, month, day)


def _nearest(today: date, month: int, day: int) -> date | None:
    """A date written without a year, as the nearest such date: "from 1 Jan" in December is
    next January, while "from 1 Dec" on 5 December is this (past) one, reported as passed rather
    than silently read as a year later."""
    near = [
        found
        for year in (today.year - 1, today.year, today.year + 1)
        if (found := _valid_date(year, month, day)) is not None
    ]
    return min(near, key=lambda found: (abs((found - today).days), found < today), default=None)


def _weekday(written: re.Match[str], today: date, *, ahead: bool) -> date:
    """'monday' is today or the coming one (a start) or today or the last one (a dose); 'next' and
    'last' never mean today."""
    wanted = _WEEKDAYS.index(written["weekday"][:3].lower())
    strict = (written["which"] or "").lower() in {"next", "last"}
    if ahead:
        days = (wanted - today.weekday()) % 7 or (7 if strict else 0)
        return today + timedelta(days=days)
    days = (today.weekday() - wanted) % 7 or (7 if strict else 0)
    return today - timedelta(days=days)


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _read_name(line: str, position: int, where: Where) -> _Read:
    """'for Mum', 'for Mary-Jane O'Brien': as typed, up to where the next part begins."""
    keyword = _FOR.match(line, position)
    if keyword is None:
        return None
    end = _span_end(line, position)
    name = unicodedata.normalize("NFC", line[keyword.end() : end]).strip()
    if not name:
        return _problem(
            "name", "Who is the reminder for? Write a name after “for”, like “for Mum”."
        )
    if not _is_name(name):
        return _problem(
            "name",
            "A name can have letters, spaces, apostrophes, hyphens and full stops, "
            f"so {_quote(name)} won't work.",
        )
    if len(name) > MAX_NAME:
        return _problem("name", f"Please use a name of up to {MAX_NAME} characters.")
    return end, name


def _is_name(name: str) -> bool:
    """Letters (with their accents, in any script) and the marks names use: ' ’ - . and spaces."""
    categories = [unicodedata.category(character)[0] for character in name]
    return "L" in categories and all(
        category in "LM" or character in _NAME_MARKS
        for character, category in zip(name, categories, strict=True)
    )


def _read_zone(line: str, position: int, where: Where) -> _Read:
    """'Europe/London', 'UTC', or 'in London' / 'in New York' for the places resolve_zone knows."""
    keyword = _IN.match(line, position)
    place = keyword.end() + 1 if keyword else position
    if abbreviation := _ABBREVIATION.match(line, place):
        return _problem(
            "zone",
            f"{_quote(abbreviation[0])} changes with daylight saving, so I can't use it. "
            "Name a place instead, like Europe/London or “in New York”.",
        )
    if token := _IANA.match(line, place):
        zone = resolve_zone(token[0])
        if zone is None:
            return _problem(
                "zone",
                f"I don't know the time zone {_quote(token[0])}. "
                "Try one like Europe/London or America/New_York, or a city: “in London”.",
            )
        return token.end(), zone
    words = line[place:].split(" ", 3)
    for count in (3, 2, 1):
        zone = resolve_zone(" ".join(words[:count]))
        if zone is not None:
            return place + len(" ".join(words[:count])), zone
    if keyword is None:  # a place named without "in" ("at 9am New York"), or not a place at all
        return None
    return _problem(
        "zone",
        f"I couldn't find a time zone for {_quote(_unread(line, position))}. "
        "Try a city, like “in London”, or a zone like Europe/London.",
    )


def _read_followup(line: str, position: int, where: Where) -> _Read:
    """'follow up after 3 hours', 'check after 90 minutes', 'no follow-up' (group reminders)."""
    match = _FOLLOWUP.match(line, position)
    if match is None:
        return None
    if match["none"]:
        return match.end(), 0
    minutes = int(match["amount"]) * (60 if match["unit"].lower().startswith("h") else 1)
    if not 1 <= minutes <= MAX_FOLLOWUP_MINUTES:
        return _problem(
            "followup", "A follow-up can come from 1 minute to 24 hours after the reminder."
        )
    return match.end(), minutes


_READERS: tuple[tuple[str, _Reader], ...] = (
    ("weekdays", _read_weekdays),
    ("frequency", _read_frequency),
    ("time", _read_time),
    ("start", _read_start),
    ("name", _read_name),
    ("zone", _read_zone),
    ("followup", _read_followup),
)


def _span_end(line: str, position: int) -> int:
    """Where the words from `position` stop: before the next word that begins a part."""
    end = line.find(" ", position)
    while end != -1 and not _PART_START.match(line, end + 1):
        end = line.find(" ", end + 1)
    return len(line) if end == -1 else end


def _unread(line: str, position: int) -> str:
    """The words not understood, to quote back: from `position` to where a part begins."""
    return line[position : _span_end(line, position)]


def _quote(text: str, limit: int = 30) -> str:
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def _problem(part: str, message: str) -> Problem:
    return Problem(part, message, _EXAMPLES[part])


# ---------------------------------------------------------------------------------------------
# Recurrence
# ---------------------------------------------------------------------------------------------

_UNIT_ARGUMENT: dict[Unit, str] = {"day": "days", "week": "weeks", "month": "months"}
_SNOOZE_DELAYS: dict[str, timedelta] = {"1h": timedelta(hours=1), "3h": timedelta(hours=3)}


def first_due(rule: Rule, zone: str, start: date, now: datetime) -> datetime:
    """When a new (or resumed) reminder first falls due: the first occurrence at or after now."""
    return _first_occurrence(rule, zone, start, now, strictly_after=False)


def next_due(rule: Rule, zone: str, start: date, after: datetime) -> datetime:
    """The occurrence after the one just handled: the first strictly after `after`."""
    return _first_occurrence(rule, zone, start, after, strictly_after=True)


def passed_on_start(rule: Rule, zone: str, start: date, now: datetime) -> datetime | None:
    """The start day's own occurrence when it has already gone by (05:00 today, set at 08:00),
    else None: the first reminder is then a whole interval away, and a person must be told why.
    A start day the rule does not fall on (a Tuesday for Mon/Wed/Fri) is not one."""
    tz = ZoneInfo(zone)
    on_start = first_due(rule, zone, start, datetime.combine(start, time(), tzinfo=tz))
    gone = on_start.astimezone(tz).date() == start and on_start < _as_utc(now, "now")
    return on_start if gone else None


def snoozed(due: datetime, choice: Snooze, zone: str) -> datetime:
    """When a snoozed occurrence comes back; the series itself is untouched.

    "1h" and "3h" are elapsed time; "tomorrow" is the same local time on the next local day,
    placed by the DST policy (so across a change it is 23 or 25 hours later, not 24).
    """
    due = _as_utc(due, "due")
    if choice == "tomorrow":
        tz = ZoneInfo(zone)
        local = due.astimezone(tz)
        return _place(local.date() + timedelta(days=1), local.time(), tz)
    if choice not in _SNOOZE_DELAYS:
        raise ValueError(f"snooze choice must be 1h, 3h or tomorrow, not {choice!r}")
    return due + _SNOOZE_DELAYS[choice]


def tomorrow_comes_first(rule: Rule, zone: str, start: date, due: datetime) -> bool:
    """Whether a snooze to tomorrow, from an occurrence due at `due`, comes back before the
    series' next occurrence. On a daily series it lands on it, and two reminders for one
    injection came at once (a QA pass): such a series offers no "Tomorrow"."""
    return snoozed(due, "tomorrow", zone) < next_due(rule, zone, start, due)


def _first_occurrence(
    rule: Rule, zone: str, start: date, bound: datetime, *, strictly_after: bool
) -> datetime:
    tz = ZoneInfo(zone)
    bound = _as_utc(bound, "after" if strictly_after else "now")
    near = max(start, bound.astimezone(tz).date())
    dues = (
        _place(day, time(rule.hour, rule.minute), tz) for day in _local_dates(rule, start, near)
    )
    return next(due for due in dues if due > bound or (due == bound and not strictly_after))


def _local_dates(rule: Rule, start: date, near: date) -> Iterator[date]:
    """The series' local dates in order, from one step before `near` (or from `start`).

    Starting one step early keeps an occurrence whose time the gap pushed past midnight; jumping
    there directly keeps a years-old daily reminder as cheap as a new one.
    """
    trigger: CalendarIntervalTrigger | CronTrigger
    if rule.weekdays:
        anchor = max(start, near - timedelta(days=7))
        trigger = CronTrigger(
            day_of_week=",".join(_WEEKDAYS[day] for day in rule.weekdays),
            hour=0,
            minute=0,
            start_date=datetime.combine(anchor, time(), tzinfo=UTC),
            timezone=UTC,
        )
    else:
        if rule.unit == "month":
            months = (near.year - start.year) * 12 + near.month - start.month
            skipped = max(0, months // rule.every - 1) * rule.every
            index = start.month - 1 + skipped
            anchor = date(start.year + index // 12, index % 12 + 1, 1)
        else:
            step = rule.every * (7 if rule.unit == "week" else 1)
            anchor = start + timedelta(days=max(0, (near - start).days // step - 1) * step)
        trigger = CalendarIntervalTrigger(
            **{_UNIT_ARGUMENT[rule.unit]: rule.every}, start_date=anchor, timezone=UTC
        )
    # No previous fire: the first at or after the anchor; then each after the last (`now` only
    # bounds the first of a CronTrigger, and a CalendarIntervalTrigger reads it for jitter alone).
    fire = trigger.get_next_fire_time(None, datetime.combine(anchor, time(), tzinfo=UTC))
    day = rule.day_of_month(start)
    while fire is not None:
        yield _clamped(fire.date(), day) if rule.unit == "month" else fire.date()
        fire = trigger.get_next_fire_time(fire, fire)


def _clamped(first_of_month: date, day: int) -> date:
    """The series' day of the month, or the month's last day if it is shorter."""
    return first_of_month.replace(day=min(day, _month_length(first_of_month)))


def _place(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A local date and wall-clock time as a UTC instant, by the DST policy.

    With fold=0 (PEP 495), zoneinfo reads a time in the gap with the offset from before the
    change, so it comes out later by the gap's length, and it reads an ambiguous time as the
    first of the two: exactly the policy, with no special cases.
    """
    return datetime.combine(day, at.replace(fold=0), tzinfo=tz).astimezone(UTC)


def _as_utc(moment: datetime, name: str) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Time zones people name
# ---------------------------------------------------------------------------------------------

# For a button picker: the zones most of the bot's people live in, UK first.
COMMON_ZONES: list[tuple[str, str]] = [
    ("UK (London)", "Europe/London"),
    ("Ireland (Dublin)", "Europe/Dublin"),
    ("Central Europe (Paris, Berlin)", "Europe/Paris"),
    ("US Eastern (New York)", "America/New_York"),
    ("US Central (Chicago)", "America/Chicago"),
    ("US Pacific (Los Angeles)", "America/Los_Angeles"),
    ("India", "Asia/Kolkata"),
    ("Australia East (Sydney)", "Australia/Sydney"),
    ("New Zealand", "Pacific/Auckland"),
    ("South Africa", "Africa/Johannesburg"),
    ("UTC", "UTC"),
]

# Places whose zone is not spelled in its IANA name. Any zone's own city also works ("lisbon",
# "são paulo"); countries with several zones (USA, Canada, Australia, Brazil) are left out on
# purpose, so that the person is asked instead of guessed for.
_PLACES: dict[str, str] = {
    "utc": "UTC",
    "uk": "Europe/London",
    "united kingdom": "Europe/London",
    "gb": "Europe/London",
    "britain": "Europe/London",
    "great britain": "Europe/London",
    "england": "Europe/London",
    "scotland": "Europe/London",
    "wales": "Europe/London",
    "northern ireland": "Europe/London",
    "edinburgh": "Europe/London",
    "glasgow": "Europe/London",
    "cardiff": "Europe/London",
    "belfast": "Europe/London",
    "manchester": "Europe/London",
    "birmingham": "Europe/London",
    "ireland": "Europe/Dublin",
    "nyc": "America/New_York",
    "new york city": "America/New_York",
    "washington dc": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "philadelphia": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "california": "America/Los_Angeles",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "ottawa": "America/Toronto",
    "calgary": "America/Edmonton",
    "hawaii": "Pacific/Honolulu",
    "france": "Europe/Paris",
    "germany": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid",
    "italy": "Europe/Rome",
    "milan": "Europe/Rome",
    "netherlands": "Europe/Amsterdam",
    "holland": "Europe/Amsterdam",
    "belgium": "Europe/Brussels",
    "switzerland": "Europe/Zurich",
    "geneva": "Europe/Zurich",
    "austria": "Europe/Vienna",
    "sweden": "Europe/Stockholm",
    "norway": "Europe/Oslo",
    "denmark": "Europe/Copenhagen",
    "finland": "Europe/Helsinki",
    "poland": "Europe/Warsaw",
    "greece": "Europe/Athens",
    "south africa": "Africa/Johannesburg",
    "cape town": "Africa/Johannesburg",
    "nigeria": "Africa/Lagos",
    "kenya": "Africa/Nairobi",
    "egypt": "Africa/Cairo",
    "uae": "Asia/Dubai",
    "united arab emirates": "Asia/Dubai",
    "abu dhabi": "Asia/Dubai",
    "israel": "Asia/Jerusalem",
    "india": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "pakistan": "Asia/Karachi",
    "bangladesh": "Asia/Dhaka",
    "sri lanka": "Asia/Colombo",
    "japan": "Asia/Tokyo",
    "china": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "south korea": "Asia/Seoul",
    "korea": "Asia/Seoul",
    "philippines": "Asia/Manila",
    "thailand": "Asia/Bangkok",
    "vietnam": "Asia/Ho_Chi_Minh",
    "malaysia": "Asia/Kuala_Lumpur",
    "new zealand": "Pacific/Auckland",
    "nz": "Pacific/Auckland",
    "wellington": "Pacific/Auckland",
    "canberra": "Australia/Sydney",
    "queensland": "Australia/Brisbane",
    "tasmania": "Australia/Hobart",
    "mexico": "America/Mexico_City",
    "argentina": "America/Argentina/Buenos_Aires",
    "rio de janeiro": "America/Sao_Paulo",
}
_CITY_AREAS = frozenset(
    {"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}
)
_FOLD_MARKS = str.maketrans({"_": " ", "-": " ", ".": "", "'": "", "’": ""})
_MAX_PLACE = 60


def resolve_zone(text: str) -> str | None:
    """The IANA zone a person means by 'Europe/London', 'london', 'NYC' or 'Zürich', else None."""
    if len(text) > _MAX_PLACE:
        return None
    return _zone_index().get(_fold(text))


def _fold(text: str) -> str:
    """Case, accents, spaces, underscores, hyphens and apostrophes do not tell places apart."""
    plain = "".join(
        character
        for character in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(character)
    )
    return " ".join(plain.casefold().translate(_FOLD_MARKS).split())


@cache
def _zone_index() -> dict[str, str]:
    """Folded names -> IANA zone: every Area/... zone, its city, then the places above.

    Bare names without an area ("EST", "GB", "Japan") are legacy aliases, some of them fixed
    offsets that ignore daylight saving, so only the places above stand in for them.
    """
    index: dict[str, str] = {}
    for name in sorted(available_timezones()):
        area, _, city = name.rpartition("/")
        if area:
            index[_fold(name)] = name
        if area.split("/")[0] in _CITY_AREAS:
            index.setdefault(_fold(city), name)
    return index | _PLACES


# Where the month is written first (12/01 is December 1st) and where it is mixed, by the
# ISO country code tzdata's zone.tab gives each zone. Everywhere else writes the day first.
_MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI"})
_MIXED_COUNTRIES = frozenset({"CA"})


def month_first(zone: str | None) -> bool | None:
    """How a chat in `zone` writes 12/01/2027: True month first, False day first, None unknown
    (no zone, UTC, or a country that writes both ways), in which case the person is asked."""
    country = _zone_countries().get(zone or "")
    if country is None or country in _MIXED_COUNTRIES:
        return None
    return country in _MONTH_FIRST_COUNTRIES


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone -> the country it is in, from the zone.tab that ships with tzdata."""
    table = files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in table.splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}
