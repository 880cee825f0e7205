"""Reminders not yet made, in the database, on SQLite and PostgreSQL: a group's consent
prompts and a /remind line waiting for the chat's time zone.

The Yes under a prompt saves the line it was asked for, once, even after a restart; prompts
expire after SHARE_ASKED_FOR or beyond MAX_PENDING_SHARES per group. A waiting line is handed
back once, within WAITING_FOR. /forget takes a person's unanswered prompts, waiting lines (and a
half-answered guided /remind) with the rest of their data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.reminders.consent import MAX_PENDING_SHARES, SHARE_ASKED_FOR, ShareRequest
from bot.reminders.guided import Guide
from bot.reminders.rules import Parsed, Rule
from bot.reminders.store import Store
from bot.reminders.waiting_lines import MAX_LINE, WAITING_FOR, Waiting
from tests.clocks import MovedClock
from tests.tables import NOTHING, counts, naming, table_rows

pytest_plugins = ["tests.db_fixtures"]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOM, ANN = 913_000_001, 913_000_002
FAMILY, FRIENDS = -100_913_000_003, -100_913_000_004


@pytest.fixture
def clock() -> MovedClock:
    return MovedClock(START)


def request(asked_by: int = TOM, for_whom: str | None = "Mum") -> ShareRequest:
    parsed = Parsed(
        rule=Rule.from_text("3m@10:30"),
        start=date(2026, 3, 5),
        for_whom=for_whom,
        zone=None,
        followup_minutes=0,
    )
    return ShareRequest(asked_by, parsed, "Europe/Dublin")


async def asked(store: Store, chat_id: int, **who: object) -> int:
    await store.ensure_chat(chat_id, "group")
    return await store.ask_to_share(chat_id, request(**who))  # type: ignore[arg-type]


async def test_a_prompt_gives_back_its_request_once(store: Store, open_stores) -> None:
    toms = await asked(store, FAMILY)
    anns = await asked(store, FAMILY, asked_by=ANN, for_whom="Dad")
    again = await open_stores()  # another process, or the bot after a restart
    assert await again.share_request(FRIENDS, toms) is None  # a button forged in another group
    found = await again.share_request(FAMILY, toms)
    assert found is not None
    assert (found.asked_by, found.zone) == (TOM, "Europe/Dublin")
    assert found.parsed.rule.to_text() == "3m@10:30"
    assert (found.parsed.start, found.parsed.for_whom, found.parsed.followup_minutes) == (
        date(2026, 3, 5),
        "Mum",
        0,
    )
    assert not await again.answer_share(FRIENDS, toms)
    assert await again.answer_share(FAMILY, toms)
    assert not await store.answer_share(FAMILY, toms)  # a second press finds it answered
    assert await store.share_request(FAMILY, toms) is None
    assert (await store.share_request(FAMILY, anns)).parsed.for_whom == "Dad"


async def test_only_the_newest_prompts_of_a_group_are_kept(store: Store) -> None:
    first, second, *kept = [await asked(store, FAMILY) for _ in range(MAX_PENDING_SHARES + 2)]
    friends = await asked(store, FRIENDS)
    assert await store.share_request(FAMILY, first) is None
    assert await store.share_request(FAMILY, second) is None
    assert all([await store.share_request(FAMILY, k) for k in kept])
    assert await store.share_request(FRIENDS, friends) is not None  # another group's count


async def test_a_prompt_expires(store: Store, clock: MovedClock, database_url: str) -> None:
    old = await asked(store, FAMILY)
    clock.advance(SHARE_ASKED_FOR)
    assert await store.share_request(FAMILY, old) is not None
    clock.advance(timedelta(seconds=1))
    assert await store.share_request(FAMILY, old) is None
    await asked(store, FRIENDS)  # asking anywhere clears what has expired
    assert counts(await table_rows(database_url))["pending_shares"] == 1


async def test_a_line_waiting_for_the_zone_is_given_back_once(store: Store, open_stores) -> None:
    await store.ensure_chat(TOM, "private")
    await store.ensure_chat(ANN, "private")
    assert await store.keep_waiting_line(TOM, TOM, "every day at 9pm")
    assert await store.keep_waiting_line(TOM, TOM, "every 3 months at 10:30")  # the newest
    assert await store.keep_waiting_line(ANN, ANN, "every week at 8am")
    again = await open_stores()  # the bot after a restart
    assert await again.take_waiting_line(TOM) == Waiting(TOM, "every 3 months at 10:30")
    assert await again.take_waiting_line(TOM) is None  # saved once
    assert await store.take_waiting_line(ANN) == Waiting(ANN, "every week at 8am")
    assert await store.take_waiting_line(FAMILY) is None  # a chat never stored


async def test_a_line_waits_an_hour_and_no_line_is_overlong(
    store: Store, clock: MovedClock, database_url: str
) -> None:
    await store.ensure_chat(TOM, "private")
    assert not await store.keep_waiting_line(TOM, TOM, "x" * (MAX_LINE + 1))
    assert await store.keep_waiting_line(TOM, TOM, "every day at 9pm from tomorrow")
    clock.advance(WAITING_FOR + timedelta(seconds=1))  # "tomorrow" would mean another day now
    assert await store.take_waiting_line(TOM) is None
    assert counts(await table_rows(database_url))["waiting_lines"] == 0


async def _unfinished(store: Store) -> None:
    """Tom has a prompt waiting in two groups and a guided /remind half done in one; Ann too.
    A line waits for Family's zone, Tom's; another for Friends', Ann's."""
    await asked(store, FAMILY)
    await asked(store, FRIENDS)
    await asked(store, FAMILY, asked_by=ANN)
    for person in (TOM, ANN):
        await store.save_guide(FAMILY, person, Guide("t", frequency="every 3 months"))
    await store.keep_waiting_line(FAMILY, TOM, "every 3 months at 10:30 for Mum")
    await store.keep_waiting_line(FRIENDS, ANN, "every week at 8am")


async def test_a_member_forgetting_their_part_takes_their_unfinished_reminders(
    store: Store, database_url: str
) -> None:
    await _unfinished(store)
    await store.forget_member(FAMILY, TOM)
    tables = await table_rows(database_url)
    left = {(row["chat_id"], row["creator_id"]) for row in tables["pending_shares"]}
    assert left == {(FAMILY, ANN), (FRIENDS, TOM)}  # his prompt in another group stays
    assert [r["user_id"] for r in tables["guided_reminders"]] == [ANN]
    assert [r["user_id"] for r in tables["waiting_lines"]] == [ANN]


async def test_forget_takes_a_persons_unfinished_reminders_in_every_group(
    store: Store, database_url: str
) -> None:
    await _unfinished(store)
    await store.forget_user(TOM)
    tables = await table_rows(database_url)
    assert naming(tables, TOM) == []
    assert counts(tables) == {
        **NOTHING,
        "chats": 2,
        "pending_shares": 1,
        "guided_reminders": 1,
        "waiting_lines": 1,
    }
