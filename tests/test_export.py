"""The record for the clinician, read back the way its reader would: CSV by a spreadsheet's
parser, the calendar by icalendar, the PDF's text by pypdf."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pypdf
import pytest

from bot.reminders.export import build_record, csv_bytes, ics_bytes, pdf_bytes
from bot.reminders.rows import DoseRow, ReminderRow

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
PATIENT, CARER = 7001, 7002


def reminder(**changes: object) -> ReminderRow:
    values: dict[str, object] = {
        "id": 1,
        "chat_id": PATIENT,
        "creator_id": PATIENT,
        "for_whom": "Mum",
        "rule": "4w@09:00",
        "timezone": "Europe/London",
        "start_date": date(2026, 1, 5),
        "next_due_at": datetime(2026, 12, 28, 9, 0, tzinfo=UTC),
        "active": True,
        "followup_minutes": None,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
        "supplies_left": 3,
        "supplies_alert_at": 2,
        "last_site": "left arm",
    }
    values.update(changes)
    return ReminderRow(**values)  # type: ignore[arg-type]


def dose(number: int, due: datetime, status: str, **changes: object) -> DoseRow:
    values: dict[str, object] = {
        "id": number,
        "reminder_id": 1,
        "chat_id": PATIENT,
        "due_at": due,
        "status": status,
        "message_id": None,
        "acted_by": None,
        "acted_at": None,
        "attempts": 1,
        "error": None,
        "retry_at": None,
        "followup_due_at": None,
        "followup_sent": False,
        "snoozed_until": None,
        "created_at": due,
        "site": None,
    }
    values.update(changes)
    return DoseRow(**values)  # type: ignore[arg-type]


def who(user_id: int) -> str:
    return {PATIENT: "Sam", CARER: "Ann (carer)"}.get(user_id, "a group member")


SUMMER = datetime(2026, 7, 13, 8, 0, tzinfo=UTC)  # 09:00 in London (BST)
DOSES = [
    dose(
        1,
        SUMMER,
        "taken",
        acted_by=PATIENT,
        acted_at=SUMMER + timedelta(minutes=5),
        site="left arm",
    ),
    dose(2, SUMMER + timedelta(weeks=4), "missed"),
    dose(
        3,
        SUMMER + timedelta(weeks=8),
        "taken",
        acted_by=CARER,
        acted_at=SUMMER + timedelta(weeks=8, days=2),
    ),
    dose(
        4,
        SUMMER + timedelta(weeks=12),
        "skipped",
        acted_by=PATIENT,
        acted_at=SUMMER + timedelta(weeks=12),
    ),
    dose(5, SUMMER + timedelta(weeks=16), "late"),
]


def record(doses=DOSES, reminders=None, **extra):
    return build_record(
        reminders if reminders is not None else [reminder()],
        doses,
        zone="Europe/London",
        now=NOW,
        who=who,
        **extra,
    )


def test_the_csv_reads_back_row_for_row() -> None:
    raw = csv_bytes(record())
    assert raw.startswith(b"\xef\xbb\xbf")  # so spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["status"] for r in rows] == ["taken", "missed", "taken", "skipped", "no answer"]
    first = rows[0]
    assert (first["date"], first["time"], first["time_zone"], first["due"]) == (
        "2026-07-13",
        "09:05",  # when it was taken, as /history says; its due time 09:00 is too near to name
        "Europe/London",
        "",
    )
    assert (first["by"], first["site"], first["late_or_missed"]) == ("Sam", "left arm", "")
    assert (rows[1]["date"], rows[1]["time"], rows[1]["due"]) == ("2026-08-10", "09:00", "")
    assert rows[1]["late_or_missed"] == "missed"
    assert rows[2]["by"] == "Ann (carer)"
    assert (rows[2]["date"], rows[2]["time"]) == ("2026-09-09", "09:00")  # given two days late
    assert rows[2]["due"] == "2026-09-07 09:00"
    assert rows[2]["late_or_missed"] == "late"
    assert rows[4]["late_or_missed"] == "late"
    assert str(PATIENT) not in raw.decode("utf-8-sig")  # names, never ids


# /taken on Sunday evening for Monday's 09:00 reminder counts for that reminder (taken_log.py).
GIVEN_EARLY = dose(
    6,
    datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    "taken",
    acted_by=PATIENT,
    acted_at=datetime(2026, 11, 29, 20, 0, tzinfo=UTC),
)
DUE_DEC = dose(7, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "missed")


def test_the_csv_says_when_a_dose_was_given_and_the_due_time_it_counted_for() -> None:
    """As /history does: led by the time given, the due time named an hour or more apart, and
    in the order given, so a dose given early comes before the reminder that preceded it."""
    doses = [DUE_DEC, GIVEN_EARLY, dose(8, datetime(2026, 11, 29, 21, 0, tzinfo=UTC), "skipped")]
    rows = list(csv.DictReader(io.StringIO(csv_bytes(record(doses)).decode("utf-8-sig"))))
    assert [(r["date"], r["time"], r["status"], r["due"]) for r in rows] == [
        ("2026-11-29", "20:00", "taken", "2026-11-30 09:00"),
        ("2026-11-29", "21:00", "skipped", ""),
        ("2026-12-01", "09:00", "missed", ""),
    ]


def test_the_pdf_says_when_a_dose_was_given_and_the_due_time_it_counted_for() -> None:
    _, text = _pdf_text(pdf_bytes(record([GIVEN_EARLY, DUE_DEC])))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    table = lines[lines.index("Date Time Due For Status By Site Note") + 1 :]
    assert table[:2] == [
        "29 Nov 2026 20:00 30 Nov 09:00 Mum taken Sam",
        "1 Dec 2026 09:00 Mum missed missed",
    ]


def test_a_name_that_looks_like_a_formula_stays_text() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(
                csv_bytes(
                    build_record(
                        [reminder()],
                        DOSES[:1],
                        zone="Europe/London",
                        now=NOW,
                        who=lambda _: '=HYPERLINK("http://x")',
                    )
                ).decode("utf-8-sig")
            )
        )
    )
    assert rows[0]["by"].startswith("'=")


def test_the_calendar_holds_the_coming_year_at_local_time_across_daylight_saving() -> None:
    calendar = icalendar.Calendar.from_ical(ics_bytes(record()))
    events = list(calendar.walk("VEVENT"))
    starts = [e.decoded("dtstart") for e in events]
    assert len(events) == 13  # every 4 weeks within a year: 28 Dec 2026 to 29 Nov 2027
    assert starts[0] == datetime(2026, 12, 28, 9, 0, tzinfo=LONDON)
    assert all(s.astimezone(LONDON).strftime("%H:%M") == "09:00" for s in starts)
    summer = [s for s in starts if s.astimezone(LONDON).utcoffset() == timedelta(hours=1)]
    assert summer  # 09:00 BST is 08:00 UTC: the zone is written, not a fixed offset
    assert all(s.tzinfo is not None for s in starts)
    assert {str(e["summary"]) for e in events} == {"B12 injection for Mum"}
    assert len({str(e["uid"]) for e in events}) == len(events)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    again = icalendar.Calendar.from_ical(ics_bytes(record()))
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(e["uid"]) for e in events]


def test_a_paused_reminder_has_no_coming_injections() -> None:
    calendar = icalendar.Calendar.from_ical(ics_bytes(record(reminders=[reminder(active=False)])))
    assert list(calendar.walk("VEVENT")) == []


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_is_one_page_with_the_schedule_and_the_years_doses() -> None:
    pages, text = _pdf_text(pdf_bytes(record()))
    assert pages == 1
    assert "B12 injection record" in text
    assert "Name: Mum" in text
    assert "Every 4 weeks at 09:00 (Europe/London)" in text
    assert "next: Mon 28 Dec 2026 09:00" in text
    assert "last site: left arm" in text
    assert "ampoules left: 3" in text
    for day in ("13 Jul 2026", "10 Aug 2026", "9 Sept 2026", "5 Oct 2026", "2 Nov 2026"):
        assert day.replace("Sept", "Sep") in text
    assert "7 Sep 09:00" in text  # the due time of the dose given two days late, beside it
    for word in ("taken", "missed", "skipped", "no answer", "Ann (carer)"):
        assert word in text
    assert str(PATIENT) not in text


def test_a_daily_year_still_fits_one_page_and_says_where_the_rest_are() -> None:
    start = NOW - timedelta(days=300)
    daily = [dose(n, start + timedelta(days=n), "taken", acted_by=PATIENT) for n in range(300)]
    pages, text = _pdf_text(pdf_bytes(record(doses=daily)))
    assert pages == 1
    assert "earlier doses of these 12 months are in the CSV file" in text
    assert (start + timedelta(days=299)).astimezone(LONDON).strftime("%-d %b %Y") in text


@pytest.mark.parametrize("name", ["Мама", "Zoë", "🙂 Grandad", "Łucja"])
def test_names_in_any_script_never_break_the_pdf(name: str) -> None:
    pages, text = _pdf_text(pdf_bytes(record(reminders=[reminder(for_whom=name)])))
    assert pages == 1
    assert "B12 injection record" in text


def test_each_dose_says_whose_it_was_when_the_chat_keeps_several_people() -> None:
    """A private chat with reminders for Mum and Dad exported one table with nothing saying
    whose each dose was (a QA pass)."""
    dad = reminder(id=2, for_whom="Dad", rule="4w@10:00")
    doses = [
        dose(1, SUMMER, "taken", acted_by=PATIENT, acted_at=SUMMER),
        dose(
            2,
            SUMMER + timedelta(hours=1),
            "taken",
            reminder_id=2,
            acted_by=PATIENT,
            acted_at=SUMMER + timedelta(hours=1),
        ),
        dose(
            3,
            SUMMER + timedelta(hours=2),
            "taken",
            reminder_id=None,
            acted_by=PATIENT,
            acted_at=SUMMER + timedelta(hours=2),
        ),
    ]
    both = record(doses=doses, reminders=[reminder(), dad])
    rows = list(csv.DictReader(io.StringIO(csv_bytes(both).decode("utf-8-sig"))))
    assert [r["for"] for r in rows] == ["Mum", "Dad", ""]
    _, text = _pdf_text(pdf_bytes(both))
    assert "For" in text
    assert "Dad" in text.split("The last 12 months")[1]


def test_no_doses_and_no_reminder_still_make_a_record() -> None:
    empty = record(doses=[], reminders=[])
    assert csv_bytes(empty).decode("utf-8-sig").splitlines() == [
        "date,time,time_zone,due,for,status,by,site,late_or_missed,marked_at"
    ]
    assert list(icalendar.Calendar.from_ical(ics_bytes(empty)).walk("VEVENT")) == []
    pages, text = _pdf_text(pdf_bytes(empty))
    assert (pages, "No reminder is set." in text, "No doses logged" in text) == (1, True, True)
    assert "Name:" not in text


def test_a_monthly_schedule_says_its_day_of_the_month_as_the_reminder_list_does() -> None:
    monthly = reminder(rule="1m@09:00", start_date=date(2026, 1, 15))
    [schedule] = record(reminders=[monthly]).schedules
    assert schedule.description == "every month on the 15th at 09:00"
    _, text = _pdf_text(pdf_bytes(record(reminders=[monthly])))
    assert "Every month on the 15th at 09:00 (Europe/London)" in text
