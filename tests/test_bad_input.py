"""Whatever arrives, the brain returns a valid decision and never raises."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.faq import record
from bot.knowledge.matcher import MAX_OFFERED

OUTCOMES = {"answer", "clarify", "fallback", "urgent"}


def _valid(faq, text: str) -> dict:
    said = record(text, faq.decide(text))
    assert said["outcome"] in OUTCOMES
    assert (said["topic"] is not None) == (said["outcome"] == "answer")
    assert isinstance(said["score"], float)
    assert len(said["candidates"]) <= MAX_OFFERED
    json.dumps(said)
    return said


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\t\n",
        "🙂🙂🙂",
        "?!?!",
        "\x00\x01\x02 binary \xff",
        "ʕ•ᴥ•ʔ",
        "如何注射维生素B12",
        "Wie oft brauche ich die Spritze?",
        "مرحبا",
        "a" * 100_000,
        "b12 " * 30_000,
        "\u202e\u200b",
    ],
)
def test_junk_gets_a_valid_decision(faq, text: str) -> None:
    _valid(faq, text)


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "asdfghjkl", "\x00\x01"])
def test_meaningless_input_falls_back(faq, text: str) -> None:
    assert _valid(faq, text)["outcome"] == "fallback"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=600))
def test_any_text_gets_a_valid_decision(faq, text: str) -> None:
    _valid(faq, text)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_any_bytes_decoded_loosely_get_a_valid_decision(faq, data: bytes) -> None:
    _valid(faq, data.decode("utf-8", errors="replace"))
