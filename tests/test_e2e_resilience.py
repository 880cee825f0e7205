"""End to end: failures on the way never leave a person with silence, and `b12bot run` is the real thing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

pytestmark = pytest.mark.asyncio


async def test_a_failing_handler_still_answers_the_person(emulator, bot, monkeypatch) -> None:
    def broken(_text: str):
        raise RuntimeError("the matcher fell over")

    monkeypatch.setattr(bot.bot_data["services"].faq, "decide", broken)
    user = emulator.add_user()
    await emulator.send_message(user, "how often is the jab")
    [reply] = await emulator.wait_for_messages(user.id, count=1)
    assert "something went wrong" in reply.text


@pytest.mark.parametrize(("status", "extra"), [(500, {}), (502, {}), (429, {"retry_after": 1})])
async def test_transient_telegram_errors_are_retried(emulator, bot, status, extra) -> None:
    user = emulator.add_user()
    emulator.fail_next("sendMessage", status=status, times=1, **extra)
    await emulator.send_message(user, "how often is the b12 jab")
    [reply] = await emulator.wait_for_messages(user.id, count=1, timeout=10)
    assert reply.text.startswith("How often")


async def test_b12bot_run_polls_any_bot_api_server(emulator, catalog) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_BASE_URL": emulator.base_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = emulator.add_user()
        await emulator.send_message(user, "what is the maintenance dose of b12 injections")
        [reply] = await emulator.wait_for_messages(user.id, count=1, timeout=30)
        assert reply.text.startswith(catalog.topics["maintenance-dose"].title)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert emulator.token not in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_exactly_one_dispatcher_tick_is_ever_scheduled(emulator, bot) -> None:
    """Ticks chain one after another; a second chain would double every send."""
    await asyncio.sleep(2.5)  # the first tick runs after 1 s and schedules the next
    assert len(bot.job_queue.get_jobs_by_name("dispatch")) == 1
