"""Shared fixtures: the real content, loaded once, and a scratch copy that tests may break."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.config import offline_settings
from bot.emulator import Emulator
from bot.knowledge.catalog import Catalog, default_content_dir, load_catalog
from bot.knowledge.faq import FAQ
from bot.knowledge.render import Renderer
from bot.telegram.app import build_application, running

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def faq(catalog: Catalog) -> FAQ:
    return FAQ(catalog)


@pytest.fixture(scope="session")
def renderer(catalog: Catalog) -> Renderer:
    return Renderer(catalog)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of content/ for tests that break it on purpose."""
    target = tmp_path / "content"
    shutil.copytree(default_content_dir(), target)
    return target


@pytest.fixture
async def emulator():
    """A fresh Bot API emulator on loopback; after the test, Telegram's rules must not have been broken."""
    async with Emulator() as running:
        yield running
        assert running.violations == []
        assert running.unanswered_callback_queries() == []


@pytest.fixture
async def bot(emulator, faq, tmp_path):
    """The production Application, long-polling the emulator, on a fresh SQLite database."""
    database = f"sqlite:///{tmp_path / 'b12bot.sqlite3'}"
    application = build_application(
        offline_settings(emulator.token, emulator.base_url, database), faq
    )
    async with running(application, polling=True):
        yield application


async def eventually(check, timeout: float = 5.0):
    """Poll until `check()` returns something truthy (the bot edits after answering a button)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.01)
