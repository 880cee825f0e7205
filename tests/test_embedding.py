"""The shipped static model: the tokenizer agrees with the teacher's, and damage is caught."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.catalog import ContentError
from bot.knowledge.embedding import SHIPPED_MODEL_DIR, StaticEmbedder

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def embedder() -> StaticEmbedder:
    return StaticEmbedder.load(SHIPPED_MODEL_DIR)


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_MODEL_DIR, tmp_path / "model"))


def test_the_tokenizer_matches_the_teachers_reference_tokenizations(embedder) -> None:
    manifest = json.loads((SHIPPED_MODEL_DIR / "manifest.json").read_text())
    assert len(manifest["checks"]) >= 10
    for text, ids in manifest["checks"]:
        assert embedder.tokenizer.ids(text) == ids, text


def test_meaning_is_closer_than_shared_words(embedder) -> None:
    hurt = embedder.embed("does the jab hurt")
    painful = float(hurt @ embedder.embed("is the injection painful"))
    assert painful > float(hurt @ embedder.embed("how do I store the vials"))
    assert painful > float(hurt @ embedder.embed("what's the weather tomorrow"))


def test_vectors_are_unit_length_and_nothing_known_is_zero(embedder) -> None:
    assert np.linalg.norm(embedder.embed("how often is the b12 injection")) == pytest.approx(1.0)
    assert not embedder.embed("").any()
    assert not embedder.embed("🙂🙂").any()
    assert embedder.embed_many([]).shape == (0, embedder.dimensions)


def test_the_model_ships_with_its_licence_and_attribution() -> None:
    assert "Apache License" in (SHIPPED_MODEL_DIR / "LICENSE").read_text()
    assert "all-MiniLM-L6-v2" in (SHIPPED_MODEL_DIR / "ATTRIBUTION.md").read_text()


@pytest.mark.parametrize("name", ["embeddings.npy", "tokenizer.json", "manifest.json"])
def test_a_missing_model_file_is_named(model_copy: Path, name: str) -> None:
    (model_copy / name).unlink()
    with pytest.raises(ContentError) as raised:
        StaticEmbedder.load(model_copy)
    assert raised.value.path == str(model_copy / name)


@pytest.mark.parametrize("name", ["embeddings.npy", "tokenizer.json"])
def test_a_damaged_model_file_is_named(model_copy: Path, name: str) -> None:
    data = bytearray((model_copy / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (model_copy / name).write_bytes(bytes(data))
    with pytest.raises(ContentError) as raised:
        StaticEmbedder.load(model_copy)
    assert raised.value.path == str(model_copy / name)
    assert "sha256" in raised.value.problem


@pytest.mark.parametrize("command", [["classify"], ["content-check"]])
def test_a_damaged_model_stops_the_command_with_one_line_naming_the_file(
    model_copy: Path, command: list[str]
) -> None:
    (model_copy / "embeddings.npy").write_bytes(b"not a model")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *command],
        input="how often is the jab?\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"B12BOT_MODEL_DIR": str(model_copy), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    lines = (done.stderr + done.stdout).strip().splitlines()
    assert done.returncode != 0
    assert len(lines) == 1, lines
    assert str(model_copy / "embeddings.npy") in lines[0]
