"""The carer, supplies, site and export buttons' callback data: within Telegram's 64 bytes, read
back exactly, and anything that is not exactly one of our shapes read as nothing."""

from __future__ import annotations

import secrets
from datetime import date

import pytest

from bot.telegram.care_keyboards import (
    PATTERN,
    AlertAction,
    CancelInvites,
    CarerAnswer,
    ExportOne,
    PickSite,
    SetSupplies,
    Unlink,
    decode,
    encode,
    export_pick_keyboard,
    supplies_pick_keyboard,
)
from bot.telegram.keyboards import decode as decode_general
from tests.test_export import reminder

TOKEN = secrets.token_urlsafe(16)
BIG = 2**62


@pytest.mark.parametrize(
    "button",
    [
        CarerAnswer(TOKEN, True),
        CarerAnswer(TOKEN, False),
        AlertAction(BIG, "again"),
        AlertAction(1, "done"),
        Unlink(BIG),
        CancelInvites(),
        SetSupplies(BIG, "500"),
        SetSupplies(3, "a20"),
        SetSupplies(3, "off"),
        SetSupplies(3, "show"),
        *(PickSite(BIG, site) for site in (None, "left arm", "right buttock")),
        ExportOne(BIG),
    ],
)
def test_every_button_reads_back_as_itself_within_64_bytes(button, catalog) -> None:
    data = encode(button)
    assert len(data.encode()) <= 64
    assert PATTERN.match(data)
    assert decode(data) == button
    assert decode_general(data, catalog) is None  # the general handler never takes them


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "k:y:short",
        f"k:maybe:{TOKEN}",
        f"k:y:{TOKEN}x",
        "w:0:a",
        "w:01:a",
        "w:-5:d",
        "w:5:z",
        "w:５:a",  # a full-width digit
        "l:",
        "l:1:x",
        "v:some",
        "s:3:501",
        "s:3:a21",
        "s:3:05",
        "s:3:-1",
        "a:3:moon",
        "a:3:",
        "x:abc",
        "x:" + "9" * 70,
        "q:1",
    ],
)
def test_anything_else_reads_as_nothing(data) -> None:
    assert decode(data) is None


def test_the_reminder_pickers_say_a_monthly_reminders_day_as_the_reminder_list_does() -> None:
    monthly = [
        reminder(id=1, rule="1m@09:00", start_date=date(2026, 1, 1)),
        reminder(id=2, rule="1m@09:00", start_date=date(2026, 1, 15)),
    ]
    for markup in (export_pick_keyboard(monthly), supplies_pick_keyboard(monthly, "show")):
        assert [row[0].text for row in markup.inline_keyboard] == [
            "Mum: every month on the 1st at 09:00",
            "Mum: every month on the 15th at 09:00",
        ]
