"""Decide which topic a question is about: one clear answer, a few to choose from, or none.

Two signals are combined on purpose, and `benchmarks/calibrate.py` measures each alone:

- rapidfuzz over every topic question, a topic scoring as its best question. token_set_ratio
  forgives extra words (a story around a short question) but rates a one-word query 100 against any
  question containing that word; token_sort_ratio penalises the difference in length. Their mean
  keeps the first's tolerance without its blind spot. WRatio and partial_ratio inflate short
  queries against long questions the same way, which the benchmark shows.
- a topic profile: every word of all a topic's questions, weighted by how rare it is across topics
  (TF-IDF), compared with the message's words by cosine. One question can only use its own words;
  the profile lets "fridge" count for storage even when no single question says it with the user's
  other words, and weights a distinctive word above "b12" or "injection".

A message scores as its best part: the whole text, or one of its sentences, so the question in the
middle of a story is found. A wrong answer is worse than a clarify, and a clarify is worse than a
right answer: the thresholds are calibrated for that order.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.knowledge.catalog import Topic
from bot.knowledge.normalise import Normaliser, Words, sentences

Scorer = Callable[..., float]
MAX_CANDIDATES = 3
SHORTLIST = 5  # topics whose questions are fuzzy-scored, taken from the top of the profile


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated on ../shared/eval/dev.jsonl by benchmarks/calibrate.py."""

    answer: float = 46.0  # the best topic must score at least this to be answered...
    margin: float = 6.0  # ...and beat the runner-up by this much
    clarify: float = 30.0  # below this nothing is close: fall back
    window: float = 10.0  # clarify offers the topics within this distance of the best


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each signal counts; see the module docstring for why these."""

    token_set: float = 0.4
    token_sort: float = 0.0
    profile: float = 0.6
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


class _Profiles:
    """TF-IDF word weights per topic, unit length, indexed by word for sparse scoring."""

    def __init__(self, documents: Mapping[str, list[tuple[str, ...]]]) -> None:
        counts = {
            topic: Counter(w for words in docs for w in set(words))
            for topic, docs in documents.items()
        }
        frequency = Counter(w for counter in counts.values() for w in counter)
        total = len(counts)
        self.idf = {w: math.log((total + 1) / (n + 0.5)) for w, n in frequency.items()}
        self.by_word: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for topic, counter in counts.items():
            weights = {w: (1 + math.log(n)) * self.idf[w] for w, n in counter.items()}
            length = math.sqrt(sum(x * x for x in weights.values())) or 1.0
            for word, weight in weights.items():
                self.by_word[word].append((topic, weight / length))

    def scores(self, words: tuple[str, ...]) -> dict[str, float]:
        unique = set(words)
        length = math.sqrt(sum(self.idf.get(w, 0.0) ** 2 for w in unique))
        totals: dict[str, float] = defaultdict(float)
        if not length:
            return totals
        for word in unique:
            weight = self.idf.get(word, 0.0) / length
            for topic, topic_weight in self.by_word.get(word, ()):
                totals[topic] += 100.0 * weight * topic_weight
        return totals


class Matcher:
    """Scores a message against every topic; built once per catalog."""

    def __init__(
        self,
        topics: Mapping[str, Topic],
        normaliser: Normaliser,
        thresholds: Thresholds = Thresholds(),
        weights: Weights = Weights(),
    ) -> None:
        self.thresholds = thresholds
        self._normaliser = normaliser
        self._scorers = weights.scorers()
        self._profile_weight = weights.profile
        self._questions: dict[str, list[str]] = {}
        documents: dict[str, list[tuple[str, ...]]] = {}
        seen: set[str] = set()
        for topic in topics.values():
            documents[topic.id] = []
            self._questions[topic.id] = []
            for question in (topic.title, *topic.questions):
                words = normaliser.words(question).content
                documents[topic.id].append(words)
                text = " ".join(words)
                if text and text not in seen:
                    seen.add(text)
                    self._questions[topic.id].append(text)
        self._profiles = _Profiles(documents)
        self._several = {t: [q for q in qs if " " in q] for t, qs in self._questions.items()}
        self._single = {t: [q for q in qs if " " not in q] for t, qs in self._questions.items()}
        self._word_for_word = {
            " ".join(sorted(q.split())): topic for topic, qs in self._questions.items() for q in qs
        }

    def words(self, text: str) -> Words:
        return self._normaliser.words(text)

    def scores(self, text: str, whole: Words | None = None) -> dict[str, float]:
        """Each topic's best score over every part of the message, highest first."""
        best: dict[str, float] = {}
        for part in _parts(text):
            words = (
                whole.content if whole is not None and part is text else self.words(part).content
            )
            if words:
                for topic, score in self._score(words).items():
                    if score > best.get(topic, 0.0):
                        best[topic] = score
        return dict(sorted(best.items(), key=lambda item: -item[1]))

    def _score(self, words: tuple[str, ...]) -> dict[str, float]:
        profile = self._profiles.scores(words)
        combined = {topic: self._profile_weight * score for topic, score in profile.items()}
        # Fuzzy-score only the questions of the topics the profile ranks highest: the rest
        # cannot win, and scoring every question would cost six times as much per message.
        if self._profile_weight:
            shortlist = sorted(profile, key=profile.__getitem__, reverse=True)[:SHORTLIST]
        else:
            shortlist = list(self._questions)
        query = " ".join(words)
        for topic in shortlist:
            combined[topic] = combined.get(topic, 0.0) + self._best_fuzzy(
                query, topic, len(words) == 1
            )
        # A message that is, word for word, one of a topic's questions is that topic: the
        # profile alone would dilute a perfect match with the topic's other vocabulary.
        # One word ("what?") is too little to be sure of.
        exact = self._word_for_word.get(" ".join(sorted(words))) if len(words) >= 2 else None
        if exact is not None:
            combined[exact] = 100.0
        return combined

    def _best_fuzzy(self, query: str, topic: str, one_word_query: bool) -> float:
        """The topic's best question score under the weighted rapidfuzz scorers.

        token_set_ratio is 100 whenever one side's words are a subset of the other's: a one-word
        question would "match" any message containing that word, and a one-word message any
        question containing it. Where one side is a single word, token_sort_ratio stands in.
        """
        several, single = self._several[topic], self._single[topic]
        if one_word_query:
            several, single = [], [*several, *single]
        if len(self._scorers) == 1:
            # The usual case: extractOne raises its own cut-off as it goes, so it is the fast path.
            scorer, weight = self._scorers[0]
            best = (
                process.extractOne(query, several, scorer=scorer, processor=None)
                if several
                else None
            )
            score = best[1] if best else 0.0
            one_word_scorer = fuzz.token_sort_ratio if scorer is fuzz.token_set_ratio else scorer
            for question in single:
                score = max(score, one_word_scorer(query, question))
            return weight * score
        totals = [0.0] * len(several)
        for scorer, weight in self._scorers:
            for index, score in enumerate(_all_scores(query, several, scorer)):
                totals[index] += weight * score
        lone = [
            sum(
                w * (fuzz.token_sort_ratio if s is fuzz.token_set_ratio else s)(query, q)
                for s, w in self._scorers
            )
            for q in single
        ]
        return max([*totals, *lone], default=0.0)

    def match(self, text: str) -> Match:
        """Answer, Clarify or Fallback for one message (triage has already run)."""
        words = self._normaliser.words(text)
        if words.not_ours:
            return Fallback(score=0.0)
        return decide(self.scores(text, whole=words), self.thresholds)


def _all_scores(query: str, choices: list[str], scorer: Scorer) -> list[float]:
    """One scorer's score for every choice, in order, computed in one call into rapidfuzz."""
    scores = [0.0] * len(choices)
    for _, score, index in process.extract(
        query, choices, scorer=scorer, processor=None, limit=None
    ):
        scores[index] = score
    return scores


def decide(scores: Mapping[str, float], thresholds: Thresholds) -> Match:
    """Turn ranked topic scores into an outcome; pure, so calibration can replay it cheaply."""
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked:
        return Fallback(score=0.0)
    best_topic, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    close = tuple(
        topic
        for topic, score in ranked[:MAX_CANDIDATES]
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
