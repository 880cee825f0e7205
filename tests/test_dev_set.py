"""Regression guard on the labelled check sets (dev.jsonl + dev2.jsonl): accuracy only, never
wall time.

The figures held are cross-validated: the thresholds are chosen on four fifths of the questions
and measured on the fifth, five times over, with the shipped signal weights (which
`python benchmarks/calibrate.py` chose the same way, and prints beside the baseline). Issue #8's
targets (answered right >= 80%, right or offered >= 95%) are not met yet: until they are, today's
cross-validated figures are floors, so a change can only move them up; the safety ceilings hold.
"""

from pathlib import Path

import pytest

from bot.knowledge.calibration import cases, cross_validate, matcher_settings, outcome
from bot.knowledge.evaluation import Outcome, load_examples, measure
from bot.knowledge.faq import record

DATA = Path(__file__).parent / "data"
SETS = (DATA / "dev.jsonl", DATA / "dev2.jsonl")
FLOORS = {"right": 59.0, "right_or_offered": 95.0}  # today's 59.2 and 95.3
CEILINGS = {"wrong": 2.5, "off_topic_answered": 3.0}  # today's 1.9 and 1.9


@pytest.fixture(scope="module")
def cross_validated(faq):
    examples = [e for path in SETS for e in load_examples(path)]
    settings = matcher_settings(faq.matcher, cases(faq.matcher, examples), [faq.matcher.weights])
    figures, _ = cross_validate(examples, settings)
    return figures.rates()


def test_cross_validated_accuracy_does_not_fall_below_todays_floors(cross_validated) -> None:
    assert {
        name: cross_validated[name] >= floor for name, floor in FLOORS.items()
    } == dict.fromkeys(FLOORS, True), cross_validated


def test_cross_validated_wrong_and_off_topic_answers_stay_rare(cross_validated) -> None:
    assert {name: cross_validated[name] <= top for name, top in CEILINGS.items()} == dict.fromkeys(
        CEILINGS, True
    ), cross_validated


def test_no_one_option_clarify_and_every_urgent_item_caught(faq) -> None:
    examples = [e for path in SETS for e in load_examples(path)]
    said = [record(e.text, faq.decide(e.text)) for e in examples]
    assert [s["text"] for s in said if s["outcome"] == "clarify" and len(s["candidates"]) < 2] == []
    figures = measure(
        examples, [Outcome(s["outcome"], s["topic"], tuple(s["candidates"])) for s in said]
    )
    assert figures.rates()["urgent_recall"] == 100.0


# Questions and near-misses by writers who never saw the check sets, never tuned on, and the
# shipped setting's figures there. fresh.jsonl: today's 54.9, 95.1, 2.4, 2.0 (off-topic answered
# was 3.7 before out_of_scope.yaml was widened by kind, after its wrong answers were read).
# fresh2.jsonl (a later writer, measured once, none of its matching misses read): 53.2, 94.7, 2.2,
# 1.7.
FRESH_FIGURES = {
    "fresh.jsonl": (
        {"right": 54.5, "right_or_offered": 94.5},
        {"wrong": 2.5, "off_topic_answered": 2.5},
    ),
    "fresh2.jsonl": (
        {"right": 53.0, "right_or_offered": 94.5},
        {"wrong": 2.5, "off_topic_answered": 2.5},
    ),
}


@pytest.mark.parametrize("check_set", sorted(FRESH_FIGURES))
def test_the_fresh_sets_hold_todays_figures(faq, check_set: str) -> None:
    floors, ceilings = FRESH_FIGURES[check_set]
    examples = load_examples(DATA / check_set)
    rates = measure(examples, [outcome(faq.matcher.match(e.text)) for e in examples]).rates()
    assert {name: rates[name] >= floor for name, floor in floors.items()} == dict.fromkeys(
        floors, True
    ), rates
    assert {name: rates[name] <= top for name, top in ceilings.items()} == dict.fromkeys(
        ceilings, True
    ), rates


def test_ordinary_questions_rarely_get_the_emergency_page(faq) -> None:
    """Both fresh sets are ordinary B12 questions and near-misses, none an emergency: the page
    must replace the answer for at most 1% of them (today 11 of 2,460 and 4 of 417)."""
    texts = [e.text for name in FRESH_FIGURES for e in load_examples(DATA / name)]
    paged = sum(record(text, faq.decide(text))["outcome"] == "urgent" for text in texts)
    assert paged / len(texts) <= 0.01, paged
