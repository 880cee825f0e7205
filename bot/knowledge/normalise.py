"""Turn a message into the canonical words the matcher compares.

People write "1000mcg", "1 mg", "B-12", "jab", "hydroxo", "cyanocobalamine" and "my mum's shot";
topics are written in their own words. Both sides go through the same steps so that rapidfuzz
compares like with like: fold case and accents, split numbers from units, map synonyms and
misspellings to one word, drop words that carry no meaning, and correct near-misses against the
content's own vocabulary.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from rapidfuzz import fuzz, process

from bot.knowledge.catalog import Vocabulary
from bot.knowledge.matching_content import Scope

# A Telegram message is at most 4096 characters; anything longer is not a question we can answer
# better by reading further, and reading it all would let one message stall the bot.
MAX_MATCH_CHARS = 4096
MIN_CORRECTABLE = 7
MIN_NAME_BY_ENDING = 8  # shorter words ending like a medicine name are too often ordinary words
NUMBER = "num"
JAB = "jab"  # the canonical word for an injection in synonyms.yaml
_TOKEN = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?")
_MICRO = re.compile(r"[µμ]\s*g", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\u00a0\u2010-\u2015\u2026\u2212\u3000]")  # spaces, dashes, ...
# Latin letters with no accent to strip, which fold() would drop from the middle of a word.
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "ß": "ss", "æ": "ae"}
)
_SENTENCE_END = re.compile(r"(?<=[?!.\n])\s+|\n+")


def fold(text: str) -> str:
    """Lower-case ASCII text: 'Hydroxocobalamine µg' -> 'hydroxocobalamine mcg'.

    Accents come off with their letters kept (é -> e); other scripts drop out, since no topic
    is written in them and only [a-z0-9] words are compared.
    """
    text = _MICRO.sub("mcg", text[:MAX_MATCH_CHARS])
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def tokens(text: str) -> list[str]:
    """Words and numbers, with letters and digits apart ('1000mcg' -> ['1000', 'mcg']).

    Dashes and the like separate words ("Ozempic—what" is two), where fold() alone would drop
    them and join the words; apostrophes still join ("can’t" -> "cant").
    """
    text = _SEPARATORS.sub(" ", text[:MAX_MATCH_CHARS]).translate(_PLAIN_LETTERS)
    return _TOKEN.findall(fold(text))


def sentences(text: str) -> list[str]:
    """Split a story-like message so the question inside it can be scored on its own."""
    return [part for part in _SENTENCE_END.split(text[:MAX_MATCH_CHARS]) if part.strip()]


@dataclass(frozen=True, slots=True)
class Words:
    """A message reduced to what the matcher needs."""

    content: tuple[str, ...]  # stemmed canonical words that carry meaning
    mentions_b12: bool
    mentions_other_subject: bool  # another medicine, vaccine or supplement (out_of_scope.yaml)
    mentions_never_b12: bool
    # A jab that is not another medicine's: not "flu jab", nor one named after an injected
    # medicine ("the shingles vaccine, is it 2 jabs?"). "Paracetamol after my jab" is ours.
    mentions_own_jab: bool

    @property
    def not_ours(self) -> bool:
        """About an animal, or about another treatment with nothing tying it to B12 injections."""
        return self.mentions_never_b12 or (
            self.mentions_other_subject and not self.mentions_b12 and not self.mentions_own_jab
        )

    @property
    def text(self) -> str:
        return " ".join(self.content)


class Normaliser:
    """Applies a Vocabulary; built once per catalog because it indexes the synonyms.

    Synonyms are matched on word stems, so one variant covers its inflections ("supplement"
    also catches "supplementation", "bleed" also "bleeding"), and everything that comes out is a
    stem too, so the two sides of a comparison always speak the same language.
    """

    def __init__(
        self, vocabulary: Vocabulary, known_words: Iterable[str] = (), scope: Scope | None = None
    ) -> None:
        self._stem = Stemmer.Stemmer(
            "english"
        ).stemWord  # the Snowball stemmer, in C, with its own cache
        # Variants match as written; a variant written in its base form ("bleed", "supplement")
        # also matches its inflections ("bleeding", "supplementation"). "weekly" stays exact,
        # or its stem "week" would turn every "2 weeks" into "every week".
        self._exact: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._inflected: dict[tuple[str, ...], tuple[str, ...]] = {}
        for variant, canonical in vocabulary.synonyms.items():
            key = tuple(tokens(variant))
            if not key:
                continue
            target = self._stems(canonical.split())
            self._exact.setdefault(key, target)
            if self._stems(key) == key:
                self._inflected.setdefault(key, target)
        # The longest variant starting with each word, so most words need no phrase look-up.
        self._longest: dict[str, int] = {}
        for key in (*self._exact, *self._inflected):
            self._longest[key[0]] = max(self._longest.get(key[0], 0), len(key))
        self._stopwords = frozenset(self._stem(w) for w in vocabulary.stopwords)
        self._vocabulary = vocabulary
        self._b12 = self._phrase_set(vocabulary.b12_words)
        scope = self._scope = scope or Scope()
        self._other = self._phrase_set(vocabulary.other_subjects | scope.medicines)
        self._injected = self._phrase_set(scope.injected)
        self._never = self._phrase_set(vocabulary.never_b12 | scope.animals)
        self._known = frozenset(known_words)
        self._known_list = sorted(self._known)
        self._correct = lru_cache(maxsize=4096)(self._closest_known)

    def _stems(self, words: Iterable[str]) -> tuple[str, ...]:
        return tuple(self._stem(w) for w in words)

    def _phrase_set(self, phrases: Iterable[str]) -> Phrases:
        return Phrases(frozenset(tuple(self._expand(tokens(p))) for p in phrases))

    def with_known_words(self, known_words: Iterable[str]) -> Normaliser:
        """A normaliser that also corrects misspellings towards these words (the content's vocabulary)."""
        return Normaliser(self._vocabulary, known_words, self._scope)

    @property
    def known_words(self) -> frozenset[str]:
        return self._known

    def fingerprint(self) -> str:
        """A hash of every mapping that shapes the words out (what the topic index learns from)."""
        vocabulary = self._vocabulary
        parts = [
            sorted(vocabulary.synonyms.items()),
            sorted(vocabulary.stopwords),
            self._known_list,
        ]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def _expand(self, words: Sequence[str]) -> list[str]:
        """Stems with synonyms mapped (longest phrase first) and every number one placeholder."""
        stems = self._stems(words)
        out: list[str] = []
        i = 0
        while i < len(words):
            longest = max(self._longest.get(words[i], 0), self._longest.get(stems[i], 0))
            for size in range(min(longest, len(words) - i), 0, -1):
                canonical = self._exact.get(tuple(words[i : i + size])) or self._inflected.get(
                    stems[i : i + size]
                )
                if canonical is not None:
                    out.extend(canonical)
                    i += size
                    break
            else:
                out.append(NUMBER if stems[i][0].isdigit() else stems[i])
                i += 1
        return out

    def _closest_known(self, word: str) -> str:
        # Short words are left alone: "making" is one letter from "masking", and both are real words.
        if word in self._known or len(word) < MIN_CORRECTABLE or not self._known_list:
            return word
        cutoff = 88 if len(word) < 10 else 82
        match = process.extractOne(word, self._known_list, scorer=fuzz.ratio, score_cutoff=cutoff)
        return match[0] if match else word

    def words(self, text: str) -> Words:
        """The canonical stems of a message, spelling corrected towards the content's vocabulary."""
        expanded = self._expanded(text)
        others = _covered(expanded, self._other) | self._named_by_ending(expanded)
        first_injected = min(_covered(expanded, self._injected), default=len(expanded))
        return Words(
            content=self._content(expanded),
            mentions_b12=_contains_any(expanded, self._b12),
            mentions_other_subject=bool(others),
            mentions_never_b12=_contains_any(expanded, self._never),
            mentions_own_jab=any(
                w == JAB and i not in others and i < first_injected for i, w in enumerate(expanded)
            ),
        )

    def content(self, text: str) -> tuple[str, ...]:
        """`words(text).content` without asking what the words name: for the thousands of topic
        questions and phrasings read at start-up, where only the stems count."""
        return self._content(self._expanded(text))

    def _expanded(self, text: str) -> list[str]:
        return self._expand([self._correct(w) for w in tokens(text)])

    def _content(self, expanded: list[str]) -> tuple[str, ...]:
        return tuple(w for w in expanded if w not in self._stopwords)

    def _named_by_ending(self, words: list[str]) -> set[int]:
        """Positions of words that end like a medicine's name ("-cillin"), and the word after."""
        positions: set[int] = set()
        for i, word in enumerate(words):
            if len(word) >= MIN_NAME_BY_ENDING and word.endswith(self._scope.name_endings):
                positions.update((i, i + 1))
        return positions


class Phrases:
    """Phrases as tuples of stems, with their lengths worked out once: every message is looked
    up in several sets of hundreds of phrases (other medicines, animals, B12's names)."""

    __slots__ = ("phrases", "sizes")

    def __init__(self, phrases: frozenset[tuple[str, ...]]) -> None:
        self.phrases = phrases
        self.sizes = tuple(sorted({len(phrase) for phrase in phrases}))


def _covered(words: list[str], phrases: Phrases) -> set[int]:
    """Positions inside each phrase found, and the word right after it ("insulin" -> "jab")."""
    positions: set[int] = set()
    for size in phrases.sizes:
        for start in range(len(words) - size + 1):
            if tuple(words[start : start + size]) in phrases.phrases:
                positions.update(range(start, start + size + 1))
    return positions


def _contains_any(words: list[str], phrases: Phrases) -> bool:
    grams = {tuple(words[i : i + n]) for n in phrases.sizes for i in range(len(words) - n + 1)}
    return not phrases.phrases.isdisjoint(grams)
