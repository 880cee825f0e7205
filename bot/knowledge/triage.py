"""Spot emergencies before anything else, so an urgent message never gets an FAQ answer instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.knowledge.catalog import TriageRule
from bot.knowledge.normalise import tokens


@dataclass(frozen=True, slots=True)
class Urgent:
    rule: TriageRule


class Triage:
    """Checks a message against triage.yaml's patterns; the first rule that matches wins."""

    def __init__(self, rules: Sequence[TriageRule]) -> None:
        self._rules = tuple(rules)

    def check(self, text: str) -> Urgent | None:
        """The emergency this message describes, or None."""
        flat = " ".join(tokens(text))
        for rule in self._rules:
            if any(pattern.search(flat) for pattern in rule.patterns):
                return Urgent(rule)
        return None
