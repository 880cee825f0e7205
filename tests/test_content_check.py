import subprocess
import sys
from pathlib import Path

import yaml

from bot.knowledge.catalog import load_catalog
from bot.knowledge.content_check import check


def _set_answer(content: Path, topic: str, answer: str) -> Path:
    path = content / "topics" / f"{topic}.yaml"
    data = yaml.safe_load(path.read_text())
    data["answer"] = answer
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_real_content_passes(catalog) -> None:
    assert check(catalog) == []


def test_unsupported_html_is_reported_with_file_and_field(content_copy: Path) -> None:
    path = _set_answer(content_copy, "frequency", "<p>Every 2-3 months{{ cite(1) }}</p>")
    problems = check(load_catalog(content_copy))
    assert any(p.startswith(f"{path}: answer: Telegram would refuse it") for p in problems), (
        problems
    )


def test_uncited_paragraph_and_uncited_source_are_reported(content_copy: Path) -> None:
    path = _set_answer(content_copy, "frequency", "Every 2-3 months in the UK.")
    problems = check(load_catalog(content_copy))
    assert (
        f"{path}: answer: paragraph without a citation: 'Every 2-3 months in the UK.'" in problems
    )
    assert f"{path}: sources[0]: is never cited in the answer" in problems


def test_citation_of_a_missing_source_is_reported(content_copy: Path) -> None:
    path = _set_answer(content_copy, "frequency", "Monthly{{ cite(9) }}.")
    problems = check(load_catalog(content_copy))
    assert f"{path}: answer: cite(9) has no matching entry in sources" in problems


def test_too_long_answer_is_reported(content_copy: Path) -> None:
    path = _set_answer(content_copy, "frequency", "Every 2-3 months. " * 80 + "{{ cite(1) }}")
    problems = check(load_catalog(content_copy))
    assert any(p.startswith(f"{path}: answer: is ") and "the limit is 900" in p for p in problems)


def test_source_not_in_facts_is_reported(content_copy: Path) -> None:
    path = content_copy / "topics" / "frequency.yaml"
    data = yaml.safe_load(path.read_text())
    data["sources"][0]["url"] = "https://example.com/not-a-fact"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    problems = check(load_catalog(content_copy))
    assert f"{path}: sources[0].url: does not appear in facts.md" in problems


def test_missing_topic_is_reported(content_copy: Path) -> None:
    (content_copy / "topics" / "privacy.yaml").unlink()
    index = content_copy / "index.yaml"
    index.write_text(index.read_text().replace(", privacy]", "]"))
    for path in (content_copy / "topics").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        data["related"] = [r for r in data["related"] if r != "privacy"]
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    problems = check(load_catalog(content_copy))
    assert any("privacy.yaml: (file): missing; topics.md requires it" in p for p in problems)


def test_layout_without_clinician_line_is_reported(content_copy: Path) -> None:
    layout = content_copy / "templates" / "answer.j2"
    layout.write_text(layout.read_text().replace('{% include "_clinician.j2" %}', ""))
    problems = check(load_catalog(content_copy))
    assert any("does not end with the clinician line" in p for p in problems)


def test_command_exits_non_zero_naming_the_file(content_copy: Path) -> None:
    path = content_copy / "topics" / "frequency.yaml"
    path.write_text(path.read_text().replace("id: frequency", "id: frequency-wrong"))
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "content-check"],
        capture_output=True,
        text=True,
        env={"B12BOT_CONTENT_DIR": str(content_copy), "PATH": ""},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"b12bot: content error: {path}: id: is 'frequency-wrong' but the file is named frequency.yaml"
    )
    assert "Traceback" not in result.stderr
