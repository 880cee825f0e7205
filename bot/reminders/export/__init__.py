"""The dose record as files for a clinician: CSV, iCalendar and a one-page PDF (see /export).

record.py gathers the facts once; csv_log.py, ics.py and pdf.py each lay them out in one
format. Nothing here downloads anything or imports telegram.
"""

from bot.reminders.export.csv_log import csv_bytes
from bot.reminders.export.ics import ics_bytes
from bot.reminders.export.pdf import pdf_bytes
from bot.reminders.export.record import DoseRecord, build_record

__all__ = ["DoseRecord", "build_record", "csv_bytes", "ics_bytes", "pdf_bytes"]
