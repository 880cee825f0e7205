"""The record as a one-page PDF to show a clinician: schedule, a 12-month timeline, a dose table.

fpdf2's core fonts need no file or system package, but they hold Latin-1 only: other letters are
shown without their accents where that works, else as "?". One page always: when the last 12
months hold more doses than fit, the table shows the newest and says how many more the CSV has.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Final

from fpdf import FPDF

from bot.reminders.export.record import HORIZON, DoseRecord, Entry, Schedule

TITLE: Final = "B12 injection record"
_LEFT, _WIDTH = 15.0, 180.0  # mm on A4 portrait
_FOOTER_Y: Final = 280.0
_ROW: Final = 5.0
_MAX_SCHEDULES: Final = 6  # lines of schedule, so the table keeps its room
_COLUMNS: Final = (
    ("Date", 22),
    ("Time", 11),
    ("Due", 24),
    ("For", 24),
    ("Status", 20),
    ("By", 32),
    ("Site", 27),
    ("Note", 20),
)
_DARK, _GREY, _RED = (30, 30, 30), (150, 150, 150), (180, 30, 30)


def _latin1(text: str) -> str:
    """What the core fonts can draw: Latin-1 as it is, accents stripped from other letters."""
    shown = []
    for char in text:
        if ord(char) < 256:
            shown.append(char)
            continue
        plain = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        shown.append("".join(c for c in plain if not unicodedata.combining(c)) or "?")
    return "".join(shown)


class _Page(FPDF):
    def write_line(self, text: str, *, size: float = 10, style: str = "", height: float = 5.5):
        self.set_font("helvetica", style, size)
        self.set_x(_LEFT)
        self.multi_cell(_WIDTH, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _day(moment: datetime) -> str:
    return moment.strftime("%a %-d %b %Y")


def _schedule_line(schedule: Schedule) -> str:
    parts = [
        f"{schedule.description[:1].upper()}{schedule.description[1:]} ({schedule.zone})",
        f"from {schedule.start:%-d %b %Y}",
    ]
    if schedule.for_whom:
        parts.insert(1, f"for {schedule.for_whom}")
    parts.append(
        f"next: {_day(schedule.next_due)} {schedule.next_due:%H:%M}"
        if schedule.next_due
        else "paused"
    )
    if schedule.last_site:
        parts.append(f"last site: {schedule.last_site}")
    if schedule.supplies_left is not None:
        parts.append(f"ampoules left: {schedule.supplies_left}")
    return "; ".join(parts) + "."


def _timeline(pdf: _Page, record: DoseRecord, entries: list[Entry]) -> None:
    """A year as a line, a mark per dose: filled taken, open skipped, a cross missed."""
    top, end = pdf.get_y() + 2, record.made_at
    start = end - HORIZON
    axis = top + 6

    def x_of(moment: datetime) -> float:
        return _LEFT + _WIDTH * (moment - start) / (end - start)

    pdf.set_draw_color(*_GREY)
    pdf.set_line_width(0.3)
    pdf.line(_LEFT, axis, _LEFT + _WIDTH, axis)
    pdf.set_font("helvetica", "", 7)
    pdf.set_text_color(*_GREY)
    month = datetime(start.year, start.month, 1, tzinfo=start.tzinfo)
    while month <= end:
        if month >= start:
            pdf.line(x_of(month), axis - 1, x_of(month), axis + 1)
            pdf.text(x_of(month) + 0.5, axis + 4, month.strftime("%b"))
        month = datetime(
            month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=start.tzinfo
        )
    for entry in entries:
        x = x_of(entry.at)
        if entry.status == "taken":
            pdf.set_fill_color(*_DARK)
            pdf.circle(x=x, y=axis, radius=1.1, style="F")
        elif entry.status == "missed":
            pdf.set_draw_color(*_RED)
            pdf.line(x - 1, axis - 1, x + 1, axis + 1)
            pdf.line(x - 1, axis + 1, x + 1, axis - 1)
        else:
            pdf.set_draw_color(*_DARK)
            pdf.circle(x=x, y=axis, radius=1.1, style="D")
    pdf.set_text_color(*_DARK)
    pdf.set_draw_color(*_DARK)
    pdf.set_y(axis + 6)
    pdf.write_line(
        "Filled dot: taken. Open dot: skipped or not answered. Red cross: missed. Doses are shown "
        "when taken; Due is the time of the reminder a dose counted for, where an hour or more "
        "apart.",
        size=7,
    )


def _table(pdf: _Page, entries: list[Entry]) -> None:
    room = int((_FOOTER_Y - 8 - pdf.get_y()) // _ROW) - 1  # one row for the header
    keep = len(entries) if len(entries) <= room else max(room - 1, 0)  # one for "earlier..."
    shown = entries[len(entries) - keep :]
    pdf.set_font("helvetica", "B", 8)
    pdf.set_x(_LEFT)
    for title, width in _COLUMNS:
        pdf.cell(width, _ROW, title, border="B")
    pdf.ln(_ROW)
    pdf.set_font("helvetica", "", 8)
    if len(shown) < len(entries):
        pdf.set_x(_LEFT)
        earlier = len(entries) - len(shown)
        pdf.cell(_WIDTH, _ROW, f"{earlier} earlier doses of these 12 months are in the CSV file.")
        pdf.ln(_ROW)
    for entry in shown:
        pdf.set_x(_LEFT)
        values = (
            entry.at.strftime("%-d %b %Y"),
            entry.at.strftime("%H:%M"),
            entry.due.strftime("%-d %b %H:%M") if entry.due else "",
            entry.person,
            entry.status,
            entry.by,
            entry.site,
            entry.note,
        )
        for (_, width), value in zip(_COLUMNS, values, strict=True):
            pdf.cell(width, _ROW, _latin1(value)[:40])
        pdf.ln(_ROW)
    if not entries:
        pdf.set_x(_LEFT)
        pdf.cell(_WIDTH, _ROW, "No doses logged in the last 12 months.")


def pdf_bytes(record: DoseRecord) -> bytes:
    pdf = _Page(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(_LEFT, 15)
    pdf.set_title(TITLE)
    pdf.set_creator("b12bot")
    pdf.add_page()
    pdf.set_text_color(*_DARK)
    pdf.write_line(TITLE, size=18, style="B", height=9)
    if record.name:
        pdf.write_line(f"Name: {record.name}", size=12, style="B", height=7)
    pdf.write_line(
        f"Made on {_day(record.made_at)} from the reminders and dose log kept by b12bot, "
        f"a Telegram reminder bot. Times are local ({record.zone} unless shown).",
        size=8,
        height=4,
    )
    pdf.ln(2)
    pdf.write_line("Schedule", size=12, style="B", height=7)
    for schedule in record.schedules[:_MAX_SCHEDULES]:
        pdf.write_line(_schedule_line(schedule), size=9, height=4.5)
    if len(record.schedules) > _MAX_SCHEDULES:
        more = len(record.schedules) - _MAX_SCHEDULES
        pdf.write_line(f"And {more} more reminders.", size=9, height=4.5)
    if not record.schedules:
        pdf.write_line("No reminder is set.", size=9, height=4.5)
    pdf.ln(2)
    recent = [e for e in record.entries if e.at >= record.made_at - HORIZON]
    pdf.write_line("The last 12 months", size=12, style="B", height=7)
    _timeline(pdf, record, recent)
    pdf.ln(1)
    _table(pdf, recent)
    pdf.set_y(_FOOTER_Y)
    pdf.write_line(
        "The dose and the timing of injections are for the doctor or nurse to decide. "
        "This summary lists what was marked in the reminders; it is not a medical record.",
        size=7,
        height=3.5,
    )
    return bytes(pdf.output())
