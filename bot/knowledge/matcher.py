"""Decide which topic a question is about: one clear answer, a few to choose from, or none.

Four signals are fused into one score per topic; `benchmarks/calibrate.py` measures each alone:

- rapidfuzz over the questions of the few topics the other signals rank highest, a topic scoring
  as its best question. token_set_ratio forgives extra words (a story around a short question);
  where one side is a single word, token_sort_ratio stands in, since token_set_ratio rates a
  one-word query 100 against any question containing that word.
- a topic profile: every word of all a topic's questions and of its phrasings (how people ask,
  content/phrasings.yaml), weighted by how rare it is across topics (TF-IDF), compared with the
  message's words by cosine, so "fridge" counts for storage even when no single question says
  it with the user's other words.
- meaning: the mean cosine similarity between the message's static embedding and the topic's
  three nearest questions ("does the jab hurt" ~ "is the injection painful").
- a linear classifier trained on the content's own questions and phrasings, with the near-miss
  questions of phrasings.yaml as one more class, "none of ours" (topic_index.py); it generalises
  across a topic's wordings. It also holds a veto: the bot answers directly only when the
  classifier's own first choice is the fused best topic; otherwise it offers both.

A message scores as its best part: the whole text, or one of its sentences, so the question in the
middle of a story is found. A wrong answer is worse than a clarify, and a clarify is worse than a
right answer: the thresholds are calibrated for that order, by cross-validation.

Before any of that, small talk, another language and other medicines are recognised, so they get
a reply that fits instead of a B12 topic they happen to share words with.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge import topic_index
from bot.knowledge.catalog import Catalog, ContentError, Topic
from bot.knowledge.embedding import StaticEmbedder, model_dir
from bot.knowledge.language import LanguageCheck
from bot.knowledge.matching_content import NO_PHRASINGS, MatchingContent, load_matching_content
from bot.knowledge.normalise import Normaliser, Words, sentences, tokens
from bot.knowledge.small_talk import SmallTalk

Scorer = Callable[..., float]
MAX_CANDIDATES = 3
# A "did you mean" that takes turns between the best-scoring topics and the classifier's offers up
# to four: with three, the right topic was among them less often (cross-validated 93.4% right or
# offered instead of 95.0%; on fresh.jsonl, never tuned on, 92.5% instead of 93.5%).
MAX_OFFERED = 4
SHORTLIST = 5  # topics whose questions are fuzzy-scored, from the top of the profile...
SHORTLIST_OTHERS = 3  # ...and from the top of the classifier and of meaning
MAX_SENTENCES = 4  # sentences of a long story scored on their own, beside the whole
RANKED = 10  # topics kept in a message's ranking: decide() looks at the first three


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Calibrated by 5-fold cross-validation in benchmarks/calibrate.py."""

    answer: float = 40.0  # the best topic must score at least this to be answered...
    margin: float = 6.0  # ...and beat the runner-up by this much (unless they are siblings)
    clarify: float = 30.0  # below this nothing is close: fall back
    window: float = 15.0  # clarify offers the topics within this distance of the best
    confidence: float = 0.3  # the classifier's probability for its choice, to answer directly
    single: float = 0.7  # ...and to answer a lone close topic (below `answer`) rather than not
    offer: float = 0.0  # ...and to offer topics at all: below it, they are likely all wrong
    # The classifier's probability from which its choice, agreeing with the best-ranked topic,
    # is answered even when the words score only a close call: it learned how people ask.
    trust: float = 1.01  # above 1: never
    # The classifier's probability from which its own first choices are offered when the words
    # score too low to offer anything: it learned wordings the topics' questions do not share.
    lead: float = 0.2


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each signal counts; see the module docstring for why these."""

    token_set: float = 0.4
    token_sort: float = 0.0
    profile: float = 0.6
    wratio: float = 0.0
    partial_ratio: float = 0.0
    # Cross-validation chose the lexical score alone, with the classifier as a veto: once the
    # profiles hold the phrasings, every fold dropped the nearest-question similarity (it had
    # chosen a quarter of it before), and adding the classifier's probability to the score did
    # not do better (calibrate.py prints each signal alone and the folds' choices).
    semantic: float = 0.0  # x 100 x mean cosine of the topic's 3 nearest questions
    classifier: float = 0.0  # x the classifier's probability for the topic
    veto: bool = True  # answer directly only when the classifier's first choice agrees

    def scorers(self) -> list[tuple[Scorer, float]]:
        pairs = (
            (fuzz.token_set_ratio, self.token_set),
            (fuzz.token_sort_ratio, self.token_sort),
            (fuzz.WRatio, self.wratio),
            (fuzz.partial_ratio, self.partial_ratio),
        )
        return [(scorer, weight) for scorer, weight in pairs if weight]


class Reason(StrEnum):
    """Why no topic answers: each gets its own reply."""

    OFF_TOPIC = "off_topic"  # not about B12 injections (a pet, a poem)
    # about another medicine, vaccine or supplement, with nothing tying it to B12: told plainly
    # that it is not covered and who can help, not "try asking in other words"
    OTHER_MEDICINE = "other_medicine"
    NOT_COVERED = "not_covered"  # about B12, but no topic covers it
    OTHER_LANGUAGE = "other_language"
    # How the person feels, not a question (FAQ.decide: the self-harm banner above it, no topic)
    HARD_TIMES = "hard_times"
    # Asks whether to call an ambulance and says nothing triage can name (FAQ.decide: under the
    # banner, when to call, not topics)
    CALL_HELP = "call_help"
    HELLO = "hello"
    THANKS = "thanks"
    OK = "ok"
    HELP = "help"
    DOSE = "dose"  # "took it", "had my jab": a dose reported, as a reply to a reminder


@dataclass(frozen=True, slots=True)
class Answer:
    topic: str
    score: float
    candidates: tuple[str, ...]  # the topic first, then runner-ups worth offering as buttons


@dataclass(frozen=True, slots=True)
class Clarify:
    score: float
    candidates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fallback:
    score: float
    candidates: tuple[str, ...] = ()  # the closest real topics, best first
    reason: Reason = Reason.OFF_TOPIC


Match = Answer | Clarify | Fallback


@dataclass(frozen=True, slots=True)
class Signals:
    """Everything decide() needs about one message, so calibration can replay it cheaply."""

    scores: Mapping[str, float]  # fused score of the best-scoring topics, highest first
    pick: str | None  # the classifier's first choice
    probability: float  # how sure the classifier is of it
    ours: bool  # the message names B12 or the person's own jab: "not covered", not "off topic"
    # The classifier's next choices after `pick`, best first: a "did you mean" offers them beside
    # the best-scoring topics, since the classifier ranks the right topic in its first three more
    # often than the words do.
    runners_up: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PartSignals:
    """One part's raw signals; fused by Weights, so calibration can try weights without rescoring."""

    profile: Mapping[str, float]
    fuzzy: Mapping[str, float]
    semantic: np.ndarray  # per topic, index order
    probability: np.ndarray  # per topic, index order
    exact: str | None  # the topic one of whose questions this part is, word for word


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


@cache
def _embedder(folder: Path) -> StaticEmbedder:
    """One model per process: every FAQ built in tests or a bot shares the 8 MB read."""
    return StaticEmbedder.load(folder)


class Matcher:
    """Scores a message against every topic; built once per catalog."""

    def __init__(
        self,
        topics: Mapping[str, Topic],
        normaliser: Normaliser,
        thresholds: Thresholds = Thresholds(),
        weights: Weights = Weights(),
        *,
        embedder: StaticEmbedder | None = None,
        index: topic_index.TopicIndex | None = None,
        content: MatchingContent | None = None,
    ) -> None:
        self.thresholds = thresholds
        self.weights = weights
        self._normaliser = normaliser
        self._scorers = weights.scorers()
        self._embedder = embedder or _embedder(model_dir())
        self.index = index or topic_index.current(
            topics,
            normaliser,
            self._embedder,
            topic_index.index_file(),
            content.phrasings if content else NO_PHRASINGS,
        )
        if set(self.index.topic_ids) != set(topics):
            raise ValueError("the topic index was built for other topics")
        self._order = self.index.topic_ids
        self._position = {topic: i for i, topic in enumerate(self._order)}
        self._content = content
        self._siblings = content.siblings if content else ()
        self._small_talk = (
            SmallTalk(content.small_talk, content.dose_report, content.scope.medicines)
            if content
            else SmallTalk({})
        )
        self._language = LanguageCheck(content.languages if content else {}, normaliser.known_words)
        self._questions: dict[str, list[str]] = {}
        documents: dict[str, list[tuple[str, ...]]] = {}
        seen: set[str] = set()
        for topic in topics.values():
            documents[topic.id] = []
            self._questions[topic.id] = []
            for question in (topic.title, *topic.questions):
                words = normaliser.content(question)
                documents[topic.id].append(words)
                text = " ".join(words)
                if text and text not in seen:
                    seen.add(text)
                    self._questions[topic.id].append(text)
        # How people ask (phrasings.yaml) widens each topic's profile with their words ("shot",
        # "jab", typos); fuzzy scoring stays on the topic's own questions, which read best.
        for topic_id, asked in (content.phrasings.topics if content else {}).items():
            documents[topic_id] += [normaliser.content(text) for text in asked]
        self._profiles = _Profiles(documents)
        self._several = {t: [q for q in qs if " " in q] for t, qs in self._questions.items()}
        self._single = {t: [q for q in qs if " " not in q] for t, qs in self._questions.items()}
        self._word_for_word = {
            " ".join(sorted(q.split())): topic for topic, qs in self._questions.items() for q in qs
        }

    @classmethod
    def for_catalog(cls, catalog: Catalog, thresholds: Thresholds | None = None) -> Matcher:
        """The matcher a bot uses: the catalog's words, the model, the matcher's content files."""
        content = load_matching_content(catalog.root, frozenset(catalog.topics))
        normaliser = cls.normaliser_for(catalog, content)
        return cls(catalog.topics, normaliser, thresholds or Thresholds(), content=content)

    @staticmethod
    def normaliser_for(catalog: Catalog, content: MatchingContent | None = None) -> Normaliser:
        """The catalog's words, other medicines from out_of_scope.yaml, spelling towards both."""
        content = content or load_matching_content(catalog.root, frozenset(catalog.topics))
        base = Normaliser(catalog.vocabulary, scope=content.scope)
        return base.with_known_words(known_words(catalog))

    def words(self, text: str) -> Words:
        return self._normaliser.words(text)

    def parts(
        self, text: str, whole: Words | None = None, *, every_signal: bool = False
    ) -> list[PartSignals]:
        """Raw signals for the whole message and for each of its sentences.

        Only what the matcher's weights use is computed, unless `every_signal` (calibration,
        which tries other weights on the same signals).
        """
        weights = None if every_signal else self.weights
        found = []
        for part in _parts(text):
            words = (
                whole.content
                if whole is not None and part is text
                else self._normaliser.content(part)
            )
            if words:
                found.append(self._part(part, words, weights))
        return found

    def _part(self, text: str, words: tuple[str, ...], weights: Weights | None) -> PartSignals:
        vector = self._embedder.embed(text)
        semantic = (
            self.index.nearest(vector)
            if weights is None or weights.semantic
            else np.zeros(len(self._order), dtype=np.float32)
        )
        probability = self.index.probabilities(self.index.features(vector, words))
        profile = self._profiles.scores(words)
        shortlist = self._shortlist(profile, probability, semantic, weights)
        query = " ".join(words)
        fuzzy = {t: self._best_fuzzy(query, t, len(words) == 1) for t in shortlist}
        # A message that is, word for word, one of a topic's questions is that topic: the
        # profile alone would dilute a perfect match with the topic's other vocabulary.
        # One word ("what?") is too little to be sure of.
        exact = self._word_for_word.get(" ".join(sorted(words))) if len(words) >= 2 else None
        return PartSignals(profile, fuzzy, semantic, probability, exact)

    def _shortlist(
        self,
        profile: Mapping[str, float],
        probability: np.ndarray,
        semantic: np.ndarray,
        weights: Weights | None,
    ) -> set[str]:
        """The topics whose questions are fuzzy-scored: the top of each signal the weights use
        (all signals when weights is None). The rest cannot win, and scoring every question
        would cost many times as much per message."""
        chosen = set(sorted(profile, key=profile.__getitem__, reverse=True)[:SHORTLIST])
        if weights is None or weights.classifier or weights.veto:
            chosen.update(self._order[i] for i in np.argsort(-probability)[:SHORTLIST_OTHERS])
        if weights is None or weights.semantic:
            chosen.update(self._order[i] for i in np.argsort(-semantic)[:SHORTLIST_OTHERS])
        return chosen

    def fuse(
        self, parts: Sequence[PartSignals], ours: bool, weights: Weights | None = None
    ) -> Signals:
        """One score per topic, 0-100 (its best over the parts), and the classifier's choice.

        Lexical signals give at most 100; meaning and the classifier add theirs on top, and the
        sum is scaled back to 100, so thresholds read the same whatever the weights.
        """
        weights = weights or self.weights
        # Fuzzy scores were weighted when the matcher was built; other weights only switch them off.
        fuzzy_on = 1.0 if weights.scorers() else 0.0
        lexical = weights.profile + fuzzy_on * sum(weight for _, weight in self._scorers)
        ceiling = 100.0 * (lexical + weights.semantic) + weights.classifier or 1.0
        best = np.full(len(self._order), -math.inf)
        pick, pick_probability, runners_up = None, -1.0, ()
        for part in parts:
            score = weights.semantic * 100.0 * part.semantic + weights.classifier * part.probability
            score = score.astype(np.float64)
            for topic, value in part.profile.items():
                score[self._position[topic]] += weights.profile * value
            if fuzzy_on:
                for topic in self._shortlist(
                    part.profile, part.probability, part.semantic, weights
                ):
                    score[self._position[topic]] += part.fuzzy.get(topic, 0.0)
            score *= 100.0 / ceiling
            if part.exact is not None:
                score[self._position[part.exact]] = 100.0
            best = np.maximum(best, score)
            first, *others = np.argsort(-part.probability)[:MAX_CANDIDATES]
            if part.probability[first] > pick_probability:
                pick, pick_probability = self._order[first], float(part.probability[first])
                runners_up = tuple(self._order[i] for i in others)
        ranked = (
            {self._order[i]: float(best[i]) for i in np.argsort(-best, kind="stable")[:RANKED]}
            if parts
            else {}
        )
        if not weights.veto:
            pick, pick_probability, runners_up = None, 1.0, ()
        return Signals(ranked, pick, max(pick_probability, 0.0), ours, runners_up)

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

    def screen(self, text: str, words: Words) -> Fallback | None:
        """Small talk, another language or another medicine: a reply of its own, no topic."""
        kind = self._small_talk.kind(text)
        if kind is not None:
            return Fallback(score=0.0, reason=Reason(kind))
        if self._language.is_other_language(text):
            return Fallback(score=0.0, reason=Reason.OTHER_LANGUAGE)
        if words.not_ours:
            medicine = words.mentions_other_subject and not words.mentions_never_b12
            return Fallback(
                score=0.0, reason=Reason.OTHER_MEDICINE if medicine else Reason.OFF_TOPIC
            )
        return None

    def signals(self, text: str, words: Words) -> Signals:
        return self.fuse(self.parts(text, whole=words), ours=ours(words))

    def match(self, text: str) -> Match:
        """Answer, Clarify or Fallback for one message (triage has already run)."""
        words = self._normaliser.words(text)
        screened = self.screen(text, words)
        if screened is not None:
            return screened
        return decide(self.signals(text, words), self.thresholds, self._siblings)


def model_problems(catalog: Catalog) -> list[str]:
    """For content-check: a missing or damaged model file, or a malformed matching file.

    A stale topic index is not one: a bot rebuilds it in memory, and the test suite fails until
    tools/train_classifier.py has rebuilt the shipped file.
    """
    try:
        StaticEmbedder.load()
        topic_index.load(topic_index.index_file())
        load_matching_content(catalog.root, frozenset(catalog.topics))
    except ContentError as error:
        return [str(error)]
    return []


def known_words(catalog: Catalog) -> set[str]:
    """The words spelling is corrected towards: the content's own vocabulary."""
    known = {w for topic in catalog.topics.values() for q in topic.questions for w in tokens(q)}
    known |= {w for variant in catalog.vocabulary.synonyms for w in tokens(variant)}
    return known | catalog.vocabulary.stopwords


def ours(words: Words) -> bool:
    """Names B12 or the person's own jab: a miss is then "not covered", not "off topic"."""
    return words.mentions_b12 or words.mentions_own_jab


def _all_scores(query: str, choices: list[str], scorer: Scorer) -> list[float]:
    """One scorer's score for every choice, in order, computed in one call into rapidfuzz."""
    scores = [0.0] * len(choices)
    for _, score, index in process.extract(
        query, choices, scorer=scorer, processor=None, limit=None
    ):
        scores[index] = score
    return scores


def decide(
    signals: Signals, thresholds: Thresholds, siblings: Iterable[frozenset[str]] = ()
) -> Match:
    """Turn ranked topic scores into an outcome; pure, so calibration can replay it cheaply.

    A direct answer needs a high score, the classifier's agreement (its own first choice, with
    enough confidence), and either a clear margin or runner-ups that are all the best topic's
    siblings (offered as buttons beside the answer). A single close topic is never offered alone
    (see _close_call). When the words are too far to offer anything, a sure classifier's own
    choices are offered. Otherwise: "not covered" with the closest topics when the message is
    about B12, "off topic" when it is not.
    """
    ranked = list(signals.scores.items())
    reason = Reason.NOT_COVERED if signals.ours else Reason.OFF_TOPIC
    if not ranked:
        return Fallback(score=0.0, reason=reason)
    best_topic, best = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    close = tuple(
        topic
        for topic, score in ranked[:MAX_CANDIDATES]
        if score >= thresholds.clarify and best - score <= thresholds.window
    )
    agrees = signals.pick in (None, best_topic)
    sure = agrees and signals.probability >= thresholds.confidence
    clear = best >= thresholds.answer and (
        best - runner_up >= thresholds.margin
        or any(best_topic in group and set(close) <= group for group in siblings)
    )
    trusted = signals.pick is not None and signals.probability >= thresholds.trust
    if sure and (clear or (trusted and best >= thresholds.clarify)):
        return Answer(topic=best_topic, score=round(best, 1), candidates=close or (best_topic,))
    if best >= thresholds.clarify:
        call = _close_call(signals, thresholds, close)
        if call is not None:
            return call
    elif signals.pick and signals.runners_up and signals.probability >= thresholds.lead:
        offered = (signals.pick, *signals.runners_up)[:MAX_CANDIDATES]
        return Clarify(score=round(best, 1), candidates=offered)
    return Fallback(
        score=round(best, 1), candidates=tuple(t for t, _ in ranked[:MAX_CANDIDATES]), reason=reason
    )


def _close_call(
    signals: Signals, thresholds: Thresholds, close: tuple[str, ...]
) -> Answer | Clarify | None:
    """Close enough to offer, not to answer outright; None when nothing is worth offering.

    A single topic is never offered alone: it is answered when the classifier is sure of it,
    offered beside the classifier's own choice (when that is as sure) or the runner-up, or else
    not offered at all.
    """
    ranked = list(signals.scores.items())
    best_topic, best = ranked[0]
    score = round(best, 1)
    if signals.pick is not None and signals.probability < thresholds.offer:
        return None  # the classifier finds no topic likely: say so rather than guess three
    if len(close) >= 2:
        return Clarify(score=score, candidates=_with_classifiers_choices(close, signals))
    runner_ups = tuple(t for t, s in ranked[1:MAX_CANDIDATES] if s >= thresholds.clarify)
    sure = signals.pick is None or signals.probability >= thresholds.single
    if signals.pick is not None and signals.pick != best_topic:
        # The classifier's own choice is put forward only when it is as sure as a lone answer.
        pair = (best_topic, signals.pick) if sure else None
    elif sure:
        return Answer(topic=best_topic, score=score, candidates=(best_topic, *runner_ups))
    else:
        pair = (best_topic, runner_ups[0]) if runner_ups else None
    if pair is None and signals.pick is not None and signals.probability >= thresholds.lead:
        # Nothing to pair the lone topic with, but the classifier leans somewhere: its choices.
        offered = _with_classifiers_choices((best_topic,), signals)
        pair = offered if len(offered) >= 2 else None
    return Clarify(score=score, candidates=pair) if pair else None


def _with_classifiers_choices(close: tuple[str, ...], signals: Signals) -> tuple[str, ...]:
    """The close topics, best first, taking turns with the classifier's own first choices."""
    if signals.pick is None:
        return close
    taking_turns = itertools.chain.from_iterable(
        itertools.zip_longest(close, (signals.pick, *signals.runners_up))
    )
    return tuple(dict.fromkeys(t for t in taking_turns if t is not None))[:MAX_OFFERED]


def _parts(text: str) -> list[str]:
    """The whole message, and each of its sentences when there is more than one.

    A long story is read whole, and then only by its questions and its last sentence, where
    people put what they ask: scoring every sentence of a long story costs more than it finds.
    """
    parts = sentences(text)
    if len(parts) <= 1:
        return [text]
    if len(parts) > MAX_SENTENCES:
        asked = [p for p in parts[:-1] if p.rstrip().endswith("?")]
        parts = [*asked[-(MAX_SENTENCES - 1) :], parts[-1]]
    return [text, *parts]
