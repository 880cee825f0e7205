"""Spot emergencies before anything else, so an urgent message never gets an FAQ answer instead."""

from __future__ import annotations

import re
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
        # One pass over the text for all rules: a named group per rule tells which one matched.
        self._any = re.compile(
            "|".join(
                f"(?P<r{i}>{'|'.join(f'(?:{p.pattern})' for p in rule.patterns)})"
                for i, rule in enumerate(self._rules)
            )
        )

    def check(self, text: str) -> Urgent | None:
        """The emergency this message describes, or None; the earliest mention in the text wins."""
        found = self._any.search(" ".join(tokens(text)))
        if found is None:
            return None
        name = next(name for name, value in found.groupdict().items() if value is not None)
        return Urgent(self._rules[int(name[1:])])
