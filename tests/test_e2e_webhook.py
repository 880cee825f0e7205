"""End to end, webhook mode: Telegram (the emulator) posts updates with the secret header."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from bot.config import offline_settings
from bot.telegram.app import build_application
from bot.telegram.webhook import SECRET_HEADER, serve

pytest_plugins = ["tests.db_fixtures"]
pytestmark = pytest.mark.asyncio
SECRET = "test-secret_123"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def _webhook_server(emulator, faq, database_url: str) -> AsyncIterator[str]:
    """`serve` on a free port of loopback until the block ends; yields its base URL."""
    port = _free_port()
    settings = replace(
        offline_settings(emulator.token, emulator.base_url, database_url),
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_secret=SECRET,
        port=port,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(build_application(settings, faq), settings, host="127.0.0.1", stop=stop)
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(100):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        try:
            yield base
        finally:
            stop.set()
            await task


@pytest.fixture
async def webhook_bot(emulator, faq, tmp_path):
    async with _webhook_server(emulator, faq, f"sqlite:///{tmp_path / 'hook.sqlite3'}") as base:
        yield base


async def test_updates_arrive_by_webhook_and_are_answered(emulator, webhook_bot, catalog) -> None:
    user = emulator.add_user()
    await emulator.send_message(user, "how often do I need my b12 jab?")
    [reply] = await emulator.wait_for_messages(user.id, count=1)
    assert reply.text.startswith(catalog.topics["frequency"].title)


@pytest.mark.parametrize("header", [None, "wrong-secret", SECRET + "x"])
async def test_posts_without_the_right_secret_are_refused(emulator, webhook_bot, header) -> None:
    user = emulator.add_user()
    forged = {
        "update_id": 999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": user.id, "type": "private"},
            "from": {"id": user.id, "is_bot": False, "first_name": "Mallory"},
            "text": "/start",
        },
    }
    headers = {SECRET_HEADER: header} if header else {}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{webhook_bot}/telegram", json=forged, headers=headers)
    assert response.status_code == 403
    await asyncio.sleep(0.3)
    assert emulator.messages(user.id) == []


async def test_health_route(webhook_bot) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{webhook_bot}/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


@pytest.mark.parametrize(
    "header",
    [b"\xff\xfe", "caf\u00e9".encode(), b"x" * 300, b""],
    ids=["not-utf8", "non-ascii", "too-long", "empty"],
)
async def test_a_malformed_secret_header_is_refused_not_a_server_error(
    emulator, webhook_bot, header
) -> None:
    """Issue 10: a bad webhook header must be 401/403, never 500."""
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{webhook_bot}/telegram", json={"update_id": 1}, headers={SECRET_HEADER: header}
        )
    assert response.status_code in {401, 403}


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"{}", b'{"update_id": "x"}', b"\xff"])
async def test_a_malformed_update_is_a_bad_request_not_a_server_error(webhook_bot, body) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{webhook_bot}/telegram", content=body, headers={SECRET_HEADER: SECRET}
        )
    assert response.status_code == 400


async def test_health_says_503_when_the_database_is_down(
    emulator, faq, postgres_url, lock_out
) -> None:
    """Issue 10: /healthz checked only that the process was alive."""
    async with (
        _webhook_server(emulator, faq, postgres_url) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        assert (await client.get("/healthz")).status_code == 200
        await lock_out(postgres_url)  # the database goes away under the bot
        assert (await client.get("/healthz")).status_code == 503
