"""Shared fixtures: the real content, loaded once, and a scratch copy that tests may break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.catalog import Catalog, default_content_dir, load_catalog
from bot.knowledge.faq import FAQ
from bot.knowledge.render import Renderer

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
