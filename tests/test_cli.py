import json
import subprocess
import sys

from bot.cli import main


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )


def test_classify_prints_exactly_the_agreed_shape() -> None:
    result = _run(
        "classify", stdin="how often do I need my b12 jab\n\nmy face is swelling up after my jab\n"
    )
    assert result.returncode == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert list(line) == ["text", "outcome", "topic", "score", "candidates", "caution"]
    assert lines[0]["text"] == "how often do I need my b12 jab"
    assert lines[1]["outcome"] == "fallback"
    assert lines[2] == {
        "text": "my face is swelling up after my jab",
        "outcome": "urgent",
        "topic": None,
        "score": 100.0,
        "candidates": [],
        "caution": False,
    }


def test_classify_does_not_import_telegram() -> None:
    code = (
        "import io, sys; from bot.cli import classify; "
        "classify(io.StringIO('dose?\\n'), io.StringIO()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'telegram', 'jinja2'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_ask_prints_the_answer_as_plain_text(capsys) -> None:
    assert main(["ask", "what", "is", "the", "maintenance", "dose", "of", "b12", "injections"]) == 0
    out = capsys.readouterr().out
    assert "<b>" not in out
    assert "doctor, nurse or pharmacist" in out
    assert "https://" in out  # sources are shown with their addresses


def test_ask_urgent_prints_emergency_numbers(capsys) -> None:
    main(["ask", "I collapsed after my jab"])
    out = capsys.readouterr().out
    for number in ("999", "112", "911"):
        assert number in out


def test_ask_fallback_lists_the_topic_menu(capsys) -> None:
    main(["ask", "what is the weather in Paris tomorrow"])
    out = capsys.readouterr().out
    assert "Sorry" in out
    assert "Doses and timing:" in out


def test_content_check_succeeds_on_real_content(capsys) -> None:
    assert main(["content-check"]) == 0
    assert capsys.readouterr().out.startswith("content ok: 36 topics")
