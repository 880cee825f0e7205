"""A whole conversation's logs hold neither the bot token nor anything a person wrote."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import configure

pytestmark = pytest.mark.asyncio
SECRET_WORDS = "Zanzibar-marmalade"


@pytest.fixture
def captured():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure(logging.DEBUG)
    root.handlers[0].setStream(stream)
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


async def test_logs_hold_no_token_and_no_message_text(captured, emulator, bot) -> None:
    user = emulator.add_user("Private Person")
    for text in (
        f"how often is the b12 jab {SECRET_WORDS}",
        f"my lips are swelling {SECRET_WORDS}",
        f"/ask {SECRET_WORDS}",
        f"write a poem {SECRET_WORDS}",
    ):
        await emulator.send_message(user, text)
        await emulator.wait_for_messages(user.id, count=1)
    emulator.fail_next("sendMessage", status=500, times=1)  # an error path logs too
    await emulator.send_message(user, f"dose? {SECRET_WORDS}")
    await emulator.wait_for_messages(user.id, count=1)
    logged = captured.getvalue()
    assert "question answered" in logged  # the capture works
    assert emulator.token not in logged
    assert emulator.token.split(":")[1] not in logged
    assert SECRET_WORDS not in logged
    assert "Private Person" not in logged
