"""The coming injections as an iCalendar file, to add them to a calendar app.

One event per occurrence, computed by the same rules that send the reminders (daylight saving
included), rather than an RRULE, which would read "every 4 weeks" or "the 31st" its own way.
Each event's UID is stable, so importing a newer file updates the events instead of doubling them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

import icalendar

from bot.reminders.export.record import Coming, DoseRecord

DURATION: Final = timedelta(minutes=15)
_DESCRIPTION: Final = (
    "Reminder from b12bot. Follow the schedule your doctor or nurse gave you, "
    "and ask them if you are unsure."
)


def _event(coming: Coming, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    due_utc = coming.due.astimezone(UTC)
    event.add("uid", f"b12bot-{coming.reminder_id}-{due_utc:%Y%m%dT%H%M%SZ}@b12bot")
    event.add("dtstamp", stamp)
    event.add("dtstart", coming.due)
    event.add("duration", DURATION)
    summary = "B12 injection" + (f" for {coming.for_whom}" if coming.for_whom else "")
    event.add("summary", summary)
    event.add("description", _DESCRIPTION)
    return event


def ics_bytes(record: DoseRecord) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//b12bot//B12 injection reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "B12 injections")
    stamp = record.made_at.astimezone(UTC)
    for coming in record.coming:
        calendar.add_component(_event(coming, stamp))
    if record.coming:
        calendar.add_missing_timezones(
            first_date=record.made_at.date(),
            last_date=record.coming[-1].due.date() + timedelta(days=1),
        )
    return calendar.to_ical()
