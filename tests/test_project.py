"""The project's promises about itself: one test command, shared files kept in step."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

COPIES = {
    "content/facts.md": "content/facts.md",
    "content/topics.md": "content/topics.md",
    "tests/data/dev.jsonl": "eval/dev.jsonl",
    "tests/data/dev2.jsonl": "eval/dev2.jsonl",
}


def test_ci_runs_the_readme_test_command() -> None:
    extracted = subprocess.run(
        [
            "awk",
            "/^## Run the tests/{found=1} found && /^python3 -m venv/{print; exit}",
            "README.md",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert (
        extracted
        == "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    )
    assert 'eval "$test_command"' in (REPO / ".ci" / "run").read_text()


@pytest.mark.parametrize(("ours", "theirs"), COPIES.items())
def test_copies_of_shared_files_are_current(ours: str, theirs: str) -> None:
    source = SHARED / theirs
    if not source.exists():
        pytest.skip(
            f"{source} is not beside this checkout (only the team's machines and CI have it)"
        )
    assert (REPO / ours).read_text() == source.read_text(), (
        f"{ours} differs from shared/{theirs}: copy it again"
    )
