"""The FAQ brain's front door: triage first, then matching, exactly as a message flows."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.catalog import Catalog, load_catalog
from bot.knowledge.matcher import Answer, Clarify, Fallback, Matcher, Thresholds
from bot.knowledge.normalise import Normaliser, tokens
from bot.knowledge.triage import Triage, Urgent

Decision = Urgent | Answer | Clarify | Fallback


class FAQ:
    """Everything needed to decide what a question is about, built once from the catalog."""

    def __init__(self, catalog: Catalog, thresholds: Thresholds | None = None) -> None:
        self.catalog = catalog
        self.triage = Triage(catalog.triage)
        base = Normaliser(catalog.vocabulary)
        known = {w for topic in catalog.topics.values() for q in topic.questions for w in tokens(q)}
        known |= {w for variant in catalog.vocabulary.synonyms for w in tokens(variant)}
        known |= catalog.vocabulary.stopwords
        self.matcher = Matcher(
            catalog.topics, base.with_known_words(known), thresholds or Thresholds()
        )

    @classmethod
    def load(cls, root: Path | None = None) -> FAQ:
        return cls(load_catalog(root))

    def decide(self, text: str) -> Decision:
        """Urgent if triage says so, else the matcher's Answer, Clarify or Fallback."""
        return self.triage.check(text) or self.matcher.match(text)


def record(text: str, decision: Decision) -> dict[str, object]:
    """The `b12bot classify` JSON shape for one decision."""
    match decision:
        case Urgent():
            return {
                "text": text,
                "outcome": "urgent",
                "topic": None,
                "score": 100.0,
                "candidates": [],
            }
        case Answer(topic=topic, score=score, candidates=candidates):
            outcome, chosen = "answer", topic
        case Clarify(score=score, candidates=candidates):
            outcome, chosen = "clarify", None
        case Fallback(score=score, candidates=candidates):
            outcome, chosen = "fallback", None
    return {
        "text": text,
        "outcome": outcome,
        "topic": chosen,
        "score": float(score),
        "candidates": list(candidates),
    }
