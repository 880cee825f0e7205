"""What people type for a time zone that is not a place: 'UTC+5:30', '+05:30', 'GMT', 'EST'.

A fixed offset is accepted, stored as an IANA zone that keeps it all year (Etc/GMT-5 for
UTC+05:00; for a half hour, a zone without daylight saving, such as Asia/Kolkata for +05:30), so
everything downstream keeps using zoneinfo. The person is told that it won't follow daylight
saving. An abbreviation like 'EST' is not taken as its fixed offset: most places that say EST
move to EDT in summer, so the person is asked where they are, with the likely zones first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.reminders.rules import COMMON_ZONES

_OFFSET = re.compile(
    r"(?:utc|gmt)?\s*(?P<sign>[+\-−])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?", re.I
)
_ZERO = frozenset({"gmt", "utc+0", "gmt+0", "z", "zulu"})
_EARLIEST, _LATEST = timedelta(hours=-12), timedelta(hours=14)
_PLACE_AREAS = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Indian/", "Pacific/")

# Abbreviations -> the places they are said in, most likely first (as picker buttons).
_ABBREVIATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    **dict.fromkeys(("est", "edt", "et"), (("US Eastern (New York)", "America/New_York"),)),
    **dict.fromkeys(
        ("cst", "cdt", "ct"),
        (
            ("US Central (Chicago)", "America/Chicago"),
            ("China (Shanghai)", "Asia/Shanghai"),
        ),
    ),
    **dict.fromkeys(
        ("mst", "mdt", "mt"),
        (
            ("US Mountain (Denver)", "America/Denver"),
            ("Arizona (Phoenix)", "America/Phoenix"),
        ),
    ),
    **dict.fromkeys(("pst", "pdt", "pt"), (("US Pacific (Los Angeles)", "America/Los_Angeles"),)),
    "akst": (("Alaska (Anchorage)", "America/Anchorage"),),
    "hst": (("Hawaii (Honolulu)", "Pacific/Honolulu"),),
    "bst": (("UK (London)", "Europe/London"),),
    "ist": (
        ("India", "Asia/Kolkata"),
        ("Ireland (Dublin)", "Europe/Dublin"),
        ("Israel (Jerusalem)", "Asia/Jerusalem"),
    ),
    **dict.fromkeys(("wet", "west"), (("Portugal (Lisbon)", "Europe/Lisbon"),)),
    **dict.fromkeys(("cet", "cest"), (("Central Europe (Paris, Berlin)", "Europe/Paris"),)),
    **dict.fromkeys(("eet", "eest"), (("Eastern Europe (Athens)", "Europe/Athens"),)),
    "sast": (("South Africa", "Africa/Johannesburg"),),
    "jst": (("Japan (Tokyo)", "Asia/Tokyo"),),
    **dict.fromkeys(("aest", "aedt"), (("Australia East (Sydney)", "Australia/Sydney"),)),
    **dict.fromkeys(("nzst", "nzdt"), (("New Zealand", "Pacific/Auckland"),)),
}

# Every zone a picker button may carry: the common ones and the abbreviations' places.
PICKABLE_ZONES: frozenset[str] = frozenset(
    {zone for _, zone in COMMON_ZONES}
    | {zone for places in _ABBREVIATIONS.values() for _, zone in places}
)


@dataclass(frozen=True, slots=True)
class Fixed:
    """A fixed offset: how to show it ('UTC+05:30') and the zone that keeps it all year, None
    when no zone does (UTC-03:30 is only Newfoundland's, which changes its clocks)."""

    label: str
    zone: str | None


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """'EST': what it stands for, as (label, zone) picker choices."""

    text: str
    places: tuple[tuple[str, str], ...]


def read_fixed(text: str) -> Fixed | None:
    """'UTC+5:30', '+05:30', 'UTC-4', 'GMT+1' or 'GMT' as a fixed offset; None otherwise."""
    folded = text.strip().casefold()
    if folded in _ZERO:
        return Fixed("UTC+00:00", "UTC")
    match = _OFFSET.fullmatch(folded)
    if match is None:
        return None
    minutes = int(match["minutes"] or 0)
    if minutes >= 60:
        return None
    offset = timedelta(hours=int(match["hours"]), minutes=minutes)
    if match["sign"] != "+":
        offset = -offset
    if not _EARLIEST <= offset <= _LATEST:
        return None
    return Fixed(offset_label(offset), _zone_keeping(offset))


def read_abbreviation(text: str) -> Abbreviation | None:
    """'EST', 'pst', 'CET'...: the places that use it; None for anything else."""
    places = _ABBREVIATIONS.get(text.strip().casefold())
    return None if places is None else Abbreviation(text.strip().upper(), places)


def zone_label(zone: str) -> str:
    """How a person reads a stored zone: 'Etc/GMT-5' is 'UTC+05:00' (its sign is inverted)."""
    if not zone.startswith("Etc/GMT"):
        return zone
    return offset_label(ZoneInfo(zone).utcoffset(datetime(2000, 1, 1)))


def offset_label(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _zone_keeping(offset: timedelta) -> str | None:
    """An IANA zone whose offset is `offset` all year; None when no zone keeps it (e.g. -03:30,
    which only Newfoundland uses, with daylight saving)."""
    if offset == timedelta(0):
        return "UTC"
    if offset % timedelta(hours=1) == timedelta(0):
        hours = offset // timedelta(hours=1)
        return f"Etc/GMT{-hours:+d}"  # POSIX style: Etc/GMT-5 is five hours ahead of UTC
    return _steady_zones().get(offset)


@cache
def _steady_zones() -> dict[timedelta, str]:
    """Half- and quarter-hour offsets -> a zone without daylight saving that has it (the common
    picker's zone first, then the first by name)."""
    year = datetime.now(UTC).year
    found: dict[timedelta, str] = {}
    preferred = [zone for _, zone in COMMON_ZONES]
    places = sorted(zone for zone in available_timezones() if zone.startswith(_PLACE_AREAS))
    for zone in [*preferred, *places]:
        winter, summer = (
            datetime(year, month, 1, tzinfo=UTC).astimezone(ZoneInfo(zone)).utcoffset()
            for month in (1, 7)
        )
        if winter == summer and winter % timedelta(hours=1):
            found.setdefault(winter, zone)
    return found
