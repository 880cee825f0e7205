"""Decide which topic a question is about: one clear answer, a few to choose from, or none.

Every topic question is scored against the message with rapidfuzz; a topic scores as its best
question. Two scorers are combined on purpose: token_set_ratio forgives extra words (a long
story around a short question) but rates a one-word query 100 against any question containing
that word; token_sort_ratio penalises the length difference. Their weighted mean keeps the
first's tolerance without the second's blind spot; `benchmarks/calibrate.py` measures both alone,
their mix and a WRatio baseline on the labelled dev set, and calibrates the thresholds below.
A wrong answer is worse than a clarify, and a clarify is worse than a right answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.catalog import Topic
from bot.knowledge.normalise import Normaliser, Words, sentences

Scorer = Callable[..., float]
MAX_CANDIDATES = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated on ../shared/eval/dev.jsonl by benchmarks/calibrate.py."""

    answer: float = 70.0  # the best topic must score at least this to be answered...
    margin: float = 6.0  # ...and beat the runner-up by this much
    clarify: float = 55.0  # below this nothing is close: fall back
    window: float = 12.0  # clarify offers the topics within this distance of the best


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each rapidfuzz scorer counts; see the module docstring for why two."""

    token_set: float = 0.5
    token_sort: float = 0.5
    wratio: float = 0.0
    partial_ratio: float = 0.0

    def scorers(self) -> list[tuple[Scorer, float]]:
        pairs = (
            (fuzz.token_set_ratio, self.token_set),
            (fuzz.token_sort_ratio, self.token_sort),
            (fuzz.WRatio, self.wratio),
            (fuzz.partial_ratio, self.partial_ratio),
        )
        return [(scorer, weight) for scorer, weight in pairs if weight]


@dataclass(frozen=True, slots=True)
class Answer:
    topic: str
    score: float
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Clarify:
    score: float
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fallback:
    score: float
    candidates: tuple[str, ...] = ()


Match = Answer | Clarify | Fallback


class Matcher:
    """Scores a message against every topic's questions; built once per catalog."""

    def __init__(
        self,
        topics: Mapping[str, Topic],
        normaliser: Normaliser,
        thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so sharing is safe
        weights: Weights = Weights(),  # noqa: B008
    ) -> None:
        self.thresholds = thresholds
        self._scorers = weights.scorers()
        self._normaliser = normaliser
        self._owners: list[str] = []
        self._choices: list[str] = []
        for topic in topics.values():
            for question in topic.questions:
                text = normaliser.words(question).text
                if text and text not in self._choices:
                    self._owners.append(topic.id)
                    self._choices.append(text)

    def scores(self, text: str) -> dict[str, float]:
        """Each topic's best score over every part of the message, highest first."""
        best: dict[str, float] = {}
        for part in _parts(text):
            words = self._normaliser.words(part).text
            if not words:
                continue
            for owner, score in zip(self._owners, self._score(words), strict=True):
                if score > best.get(owner, 0.0):
                    best[owner] = score
        return dict(sorted(best.items(), key=lambda item: -item[1]))

    def _score(self, query: str) -> list[float]:
        combined = [0.0] * len(self._choices)
        for scorer, weight in self._scorers:
            for _, score, index in process.extract(
                query, self._choices, scorer=scorer, processor=None, limit=None
            ):
                combined[index] += weight * score
        return combined

    def words(self, text: str) -> Words:
        return self._normaliser.words(text)

    def match(self, text: str) -> Match:
        """Answer, Clarify or Fallback for one message (triage has already run)."""
        words = self._normaliser.words(text)
        if words.mentions_never_b12 or (words.mentions_other_subject and not words.mentions_b12):
            return Fallback(score=0.0)
        return decide(self.scores(text), self.thresholds)


def decide(scores: Mapping[str, float], thresholds: Thresholds) -> Match:
    """Turn ranked topic scores into an outcome; pure, so calibration can replay it cheaply."""
    ranked: Sequence[tuple[str, float]] = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked:
        return Fallback(score=0.0)
    best_topic, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    close = tuple(
        topic for topic, score in ranked[:MAX_CANDIDATES]
        if score >= thresholds.clarify and best - score <= thresholds.window
    )
    if best >= thresholds.answer and best - runner_up >= thresholds.margin:
        return Answer(topic=best_topic, score=round(best, 1), candidates=close or (best_topic,))
    if best >= thresholds.clarify:
        return Clarify(score=round(best, 1), candidates=close)
    return Fallback(score=round(best, 1), candidates=tuple(t for t, _ in ranked[:MAX_CANDIDATES]))


def _parts(text: str) -> list[str]:
    """The whole message, and each of its sentences when there is more than one."""
    parts = sentences(text)
    return [text, *parts] if len(parts) > 1 else [text]
