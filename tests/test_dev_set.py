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


# tests/data/fresh.jsonl: questions and near-misses by writers who never saw the check sets, never
# tuned on; the shipped setting's figures there (today's 54.9, 95.1, 2.4, 2.0; off-topic answered
# was 3.7 before out_of_scope.yaml was widened by kind).
FRESH_FLOORS = {"right": 54.5, "right_or_offered": 94.5}
FRESH_CEILINGS = {"wrong": 2.5, "off_topic_answered": 2.5}


def test_the_fresh_set_holds_todays_figures(faq) -> None:
    examples = load_examples(DATA / "fresh.jsonl")
    rates = measure(examples, [outcome(faq.matcher.match(e.text)) for e in examples]).rates()
    assert {name: rates[name] >= floor for name, floor in FRESH_FLOORS.items()} == dict.fromkeys(
        FRESH_FLOORS, True
    ), rates
    assert {name: rates[name] <= top for name, top in FRESH_CEILINGS.items()} == dict.fromkeys(
        FRESH_CEILINGS, True
    ), rates
