"""Measure decisions against a labelled question set (dev.jsonl's shape).

Shared by the calibration benchmark, which prints the figures, and the regression test, which
fails when they fall below the targets, so both count the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

NONE, URGENT = "none", "urgent"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    expect: str  # a topic id, "none" (not ours) or "urgent"
    also: str | None = None  # a second topic that is also a right answer

    def accepts(self, topic: str | None) -> bool:
        return topic is not None and topic in (self.expect, self.also)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a classifier said: outcome, topic (answers only) and clarify candidates."""

    outcome: str
    topic: str | None
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Figures:
    topic_questions: int
    right: int  # answered with the labelled topic (or its accepted alternative)
    right_strict: int  # answered with exactly the labelled topic
    right_or_offered: int  # right, or the right topic among clarify candidates
    wrong: int  # answered with a topic that is not right
    off_topic: int
    off_topic_answered: int
    off_topic_fallback: int  # off-topic questions that got the kind "not my subject" reply
    urgent: int
    urgent_caught: int
    not_urgent: int
    false_alarms: int

    @staticmethod
    def _pct(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    def rates(self) -> dict[str, float]:
        """The issue's targets, as percentages."""
        t = self.topic_questions
        return {
            "right": self._pct(self.right, t),
            "right_strict": self._pct(self.right_strict, t),
            "right_or_offered": self._pct(self.right_or_offered, t),
            "wrong": self._pct(self.wrong, t),
            "off_topic_answered": self._pct(self.off_topic_answered, self.off_topic),
            "urgent_recall": self._pct(self.urgent_caught, self.urgent),
            "false_alarms": self._pct(self.false_alarms, self.not_urgent),
        }


TARGETS: dict[str, Callable[[float], bool]] = {
    "right": lambda v: v >= 90.0,
    "right_or_offered": lambda v: v >= 97.0,
    "wrong": lambda v: v <= 2.0,
    "off_topic_answered": lambda v: v <= 3.0,
    "urgent_recall": lambda v: v >= 100.0,
    "false_alarms": lambda v: v <= 1.0,
}


def load_examples(path: Path) -> list[Example]:
    rows = (
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    )
    return [Example(r["q"], r["expect"], r.get("also")) for r in rows]


def measure(examples: Sequence[Example], outcomes: Iterable[Outcome]) -> Figures:
    """Count the figures for paired examples and outcomes."""
    counts = dict.fromkeys(Figures.__dataclass_fields__, 0)
    for example, said in zip(examples, outcomes, strict=True):
        answered = said.topic if said.outcome == "answer" else None
        if example.expect == URGENT:
            counts["urgent"] += 1
            counts["urgent_caught"] += said.outcome == URGENT
            continue
        counts["not_urgent"] += 1
        counts["false_alarms"] += said.outcome == URGENT
        if example.expect == NONE:
            counts["off_topic"] += 1
            counts["off_topic_answered"] += answered is not None
            counts["off_topic_fallback"] += said.outcome == "fallback"
            continue
        counts["topic_questions"] += 1
        right = example.accepts(answered)
        counts["right"] += right
        counts["right_strict"] += answered == example.expect
        counts["wrong"] += answered is not None and not right
        offered = said.outcome == "clarify" and any(example.accepts(c) for c in said.candidates)
        counts["right_or_offered"] += right or offered
    return Figures(**counts)


def misses(figures: Figures) -> list[str]:
    """The targets these figures fail, empty when all are met."""
    rates = figures.rates()
    return [f"{name} = {rates[name]:.1f}%" for name, ok in TARGETS.items() if not ok(rates[name])]
