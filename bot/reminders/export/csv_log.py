"""The dose log as CSV: one row per dose, oldest first, for a spreadsheet or a clinic system.

`date` and `time` say when a dose was taken (when it was due, if it was not taken); `due` is the
reminder's due time it counted for, filled only where that is an hour or more apart; `for` is
the name on the reminder ("Mum"), empty for the chat's own doses.
"""

from __future__ import annotations

import csv
import io
from typing import Final

from bot.reminders.export.record import DoseRecord

COLUMNS: Final = (
    "date",
    "time",
    "time_zone",
    "due",
    "for",
    "status",
    "by",
    "site",
    "late_or_missed",
    "marked_at",
)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A spreadsheet must not run a name like '=HYPERLINK(...)' as a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_bytes(record: DoseRecord) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read names in any script."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for entry in record.entries:
        writer.writerow(
            [
                entry.at.strftime("%Y-%m-%d"),
                entry.at.strftime("%H:%M"),
                entry.zone,
                entry.due.strftime("%Y-%m-%d %H:%M") if entry.due else "",
                _cell(entry.person),
                entry.status,
                _cell(entry.by),
                entry.site,
                entry.note,
                entry.marked.strftime("%Y-%m-%d %H:%M") if entry.marked else "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")
