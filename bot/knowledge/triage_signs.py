"""Find the signs of triage.yaml in a message: which emergency is described, and how.

A regular expression per example only catches the wording it was written from. Here a message is
read as words: misspellings and text-speak are mapped first ("cnt brethe" -> "cant breathe"), each
word or phrase is tagged with the families it belongs to (SWELL, FACEPART, CANT, BREATHE...), and
a sign is a few families found close together in one sentence, in any order. So "my face has blown
up", "lips puffed right up" and "swelling in his throat" are one sign, written once.

Each sign found carries how it was said, because that decides between "call 999 now" and "here is
a safety banner": negated just before ("no chest pain"), in the past ("years ago"), asked about
in general ("can b12 cause seizures"), or hypothetical ("if my face swells"). triage.py turns
these findings into a level.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.knowledge.catalog import TriageCategory, TriageContent
from bot.knowledge.normalise import fold

SENTENCE_BREAK = "|"
_APOSTROPHE = re.compile(r"(?<=[a-z])['’`](?=[a-z])")
# "but" turns to something else even without a comma: in "not sure if it's related but today my
# legs went weak", the "if" and "related" do not reach the legs.
# A decimal point is no full stop: "a temperature of 38.5" is one sentence.
_BREAKS = re.compile(
    r"(?:[!?;:\n]|(?<!\d)\.|\.(?!\d))+|\s-\s|,\s*(?=(?:and then|so)\b)|,?\s+(?=but\b)"
)
_WORD = re.compile(r"[a-z]+|\d+|\|")
# Words that look like an amount taken and are not one (`_not_amounts`). A number said as a time
# of day: "took my tablets at 10" or "at 8.15" is a dose report, where "took 10 tablets" is an
# overdose (the AMOUNT of a poisoning sign). "am" is left out: "took 10 am i going to be ok" has
# lost its punctuation, not named a time.
_AMOUNT = "AMOUNT"  # the family of triage.yaml these words would otherwise be read as
_HYPOTHETICAL = "HYPOTHETICAL"  # triage.yaml's cue of a "what if"
# Asking whether to call an ambulance or go to A&E: about now, so its "should i" is no "what if".
CALL_HELP = "CALL_HELP"
# A plan to take something, and anything already taken (triage.yaml): whether an overdose's page
# is self-harm's. They only choose a page's name: never whether there is a page or a banner, and
# the nets never read them.
PLAN_TO_TAKE = "PLAN_TO_TAKE"
TAKEN = "TAKEN"
NAMES_ONLY = frozenset({PLAN_TO_TAKE, TAKEN})
_CLOCK_BEFORE = frozenset(["at", "by", "till", "til", "until", "past"])
_CLOCK_AFTER = frozenset(["pm", "oclock"])
_LAST_MINUTE = 59
# ... and "all" said of how things went: "nan had her tablets, all sorted", "had my ampoule, all
# fine", "the chemist had my ampoules after all". ("All day" and "all week" stay amounts:
# paracetamol taken all week for toothache can be an overdose.)
_HOW_IT_WENT = frozenset(["good", "done", "fine", "ok", "okay", "sorted", "well", "set"])
# ... and "all" of one scheduled dose: "nan took all her morning tablets", "took all of my usual
# meds" name the set a dose is, not a supply swallowed. Someone's word must stand between: "all
# night" and "all morning" say for how long, which stays an amount.
# "Mum's" reads as mum, s.
_WHOSE = frozenset(
    [
        "of",
        "my",
        "his",
        "her",
        "their",
        "your",
        "our",
        "the",
        "mum",
        "mums",
        "dad",
        "dads",
        "nan",
        "nans",
        "s",
    ]
)
_SCHEDULED = frozenset(
    ["morning", "evening", "night", "bedtime", "lunchtime", "teatime", "daily", "usual", "regular"]
)
# A past-time cue makes a sign history only this close to it: in "diagnosed 3 years ago, lost my
# job, and I've been writing goodbye letters" the letters are now.
HISTORY_REACH = 12
# Words that may stand between a negation and the sign it negates: "no chest pain", "I don't
# have any chest pain", "not really had any chest pain". Anything else ends the negation's reach.
_NEGATION_FILLERS = frozenset(
    [
        "have",
        "even",
        "has",
        "had",
        "having",
        "any",
        "got",
        "get",
        "getting",
        "feel",
        "feeling",
        "felt",
        "a",
        "an",
        "the",
        "my",
        "his",
        "her",
        "their",
        "really",
        "much",
        "real",
        "been",
        "experienced",
        "experiencing",
        "noticed",
        "signs",
        "sign",
        "of",
        "suffer",
        "suffering",
        "with",
        "from",
        "actually",
        # what a person is not doing about the sign: "not thinking about suicide", "no thoughts
        # of ending my life", "not going to hurt myself", "don't want to end it"
        "thinking",
        "think",
        "thought",
        "thoughts",
        "about",
        "going",
        "gonna",
        "to",
        "want",
        "wanting",
        "wanna",
        "planning",
        "plans",
        "ever",
    ]
)
# A negation reaches each of a list: "not depressed or suicidal".
_ALTERNATIVES = frozenset(["or", "nor"])


def words(text: str, content: TriageContent) -> list[str]:
    """Lower-case words with sentence breaks as '|'; apostrophes dropped ("can't" -> "cant").

    Misspellings are mapped, and compounds that name something ("blood test") become one word,
    so their parts are not read as signs.
    """
    text = _BREAKS.sub(f" {SENTENCE_BREAK} ", _APOSTROPHE.sub("", fold(text)))
    spelled = [content.spelling.get(word, word) for word in _WORD.findall(text)]
    joined: list[str] = []
    for word in spelled:
        joined.append(word)
        # A compound just made may join the word before it ("overdose on" + "b 12" -> "b12").
        while len(joined) > 1 and (compound := content.compounds.get(" ".join(joined[-2:]))):
            joined[-2:] = [compound]
    return joined


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int  # exclusive


@dataclass(frozen=True, slots=True)
class Found:
    """One sign of one category, found in the message, with how it was said."""

    category: TriageCategory
    strong: bool
    span: Span
    negated: bool
    past: bool
    general_question: bool
    hypothetical: bool
    about_an_animal: bool
    figurative: bool  # a joke or a figure of speech: "lol", "gave me a heart attack"

    @property
    def talked_about(self) -> bool:
        """Not a person's emergency now: a negation, the past, a question, a "what if", a pet,
        a figure of speech."""
        return (
            self.negated
            or self.past
            or self.general_question
            or self.hypothetical
            or self.about_an_animal
            or self.figurative
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything the signs say about a message."""

    found: tuple[Found, ...]
    families: frozenset[str]  # every family present: cues, and features for the learned net

    @property
    def acute(self) -> bool:
        """A cue that something is happening now: "suddenly", "since the jab", "right now"."""
        return "ACUTE" in self.families or "NOW" in self.families


class _Entry:
    """One word or phrase of a family: exact words, or 'swell*' prefixes."""

    __slots__ = ("exact", "family", "parts")

    def __init__(self, family: str, phrase: str) -> None:
        self.family = family
        self.parts = tuple(phrase.split())
        self.exact: list[str] | None = None

    def spelled(self, spelling: Mapping[str, str]) -> _Entry:
        """The entry as messages read after spelling is mapped ("short of breath" too)."""
        self.parts = tuple(spelling.get(part, part) for part in self.parts)
        # Most phrases have no prefix: one list comparison, in C, instead of a loop per word.
        starred = any(part.endswith("*") for part in self.parts)
        self.exact = None if starred else list(self.parts)
        return self

    def matches(self, tokens: list[str], at: int) -> int:
        """The end of the match starting at `at`, or 0."""
        end = at + len(self.parts)
        if end > len(tokens):
            return 0
        if self.exact is not None:
            return end if tokens[at:end] == self.exact else 0
        for part, token in zip(self.parts, tokens[at:end], strict=True):
            if part.endswith("*"):
                if not token.startswith(part[:-1]):
                    return 0
            elif part != token:
                return 0
        return end


class SignReader:
    """triage.yaml compiled for fast reading: one dictionary look-up per word, then the signs."""

    def __init__(self, content: TriageContent) -> None:
        self._content = content
        families = dict(content.families)
        # A lower-case term in a sign ("sudden", "sepsis") is a family of one word.
        for category in content.categories:
            for sign in (*category.strong, *category.weak):
                for term in sign:
                    if not term.isupper():
                        families.setdefault(term, (term,))
        self._by_first: dict[str, list[_Entry]] = defaultdict(list)
        self._by_prefix: list[tuple[str, _Entry]] = []
        for family, phrases in families.items():
            for phrase in phrases:
                entry = _Entry(family, fold(phrase)).spelled(content.spelling)
                first = entry.parts[0]
                if first.endswith("*"):
                    self._by_prefix.append((first[:-1], entry))
                else:
                    self._by_first[first].append(entry)
        self._signs = [
            (category, strong, sign, frozenset(sign))
            for category in content.categories
            for strong, signs in ((True, category.strong), (False, category.weak))
            for sign in signs
        ]
        self._entries_for = lru_cache(maxsize=100_000)(self._entries_at)

    def _entries_at(self, word: str, following: str) -> tuple[_Entry, ...]:
        """The entries that may start at this word, given the next one: calling `matches` for
        every phrase that starts with "my" or "not" was a third of reading a message."""
        prefixed = [entry for prefix, entry in self._by_prefix if word.startswith(prefix)]
        return tuple(
            entry
            for entry in (*self._by_first.get(word, ()), *prefixed)
            if len(entry.parts) == 1 or _fits(entry.parts[1], following)
        )

    def tag(self, tokens: list[str]) -> dict[str, list[Span]]:
        """Where each family occurs in the message."""
        spans: dict[str, list[Span]] = defaultdict(list)
        not_amounts = _not_amounts(tokens)
        for at, token in enumerate(tokens):
            if token == SENTENCE_BREAK:
                continue
            following = tokens[at + 1] if at + 1 < len(tokens) else ""
            for entry in self._entries_for(token, following):
                # Only the amount is unsaid: "bleeding for the past 30 minutes" keeps its
                # "30 minutes", "got it all sorted" its resolve.
                if at in not_amounts and entry.family == _AMOUNT:
                    continue
                # An entry of one or two words already matched when it was looked up here.
                size = len(entry.parts)
                end = at + size if size <= 2 else entry.matches(tokens, at)
                if end:
                    spans[entry.family].append(Span(at, end))
        return spans

    def read(self, tokens: list[str]) -> Reading:
        """The signs in a message already split into `words`."""
        sentence_of = _sentence_numbers(tokens)
        spans = self.tag(tokens)
        cues = _as_cues(spans)
        found = []
        present = spans.keys()
        for category, strong, sign, terms in self._signs:
            if not terms <= present:
                continue
            placed = self._place(sign, spans, sentence_of, category.window)
            if placed is not None:
                found.append(
                    self._how_said(
                        category=category,
                        strong=strong,
                        placed=placed,
                        tokens=tokens,
                        spans=cues,
                        sentence_of=sentence_of,
                    )
                )
        return Reading(found=tuple(found), families=frozenset(spans))

    def _place(
        self,
        sign: tuple[str, ...],
        spans: Mapping[str, list[Span]],
        sentence_of: list[int],
        window: int | None,
    ) -> list[Span] | None:
        """The spans of one occurrence of every term within the window, in one sentence."""
        window = window or self._content.window
        for anchor in spans[sign[0]]:
            placed = [anchor]
            for term in sign[1:]:
                near = [
                    span
                    for span in spans[term]
                    if sentence_of[span.start] == sentence_of[anchor.start]
                    and abs(span.start - anchor.start) <= window
                    and not any(_overlap(span, other) for other in placed)
                ]
                if not near:
                    break
                placed.append(min(near, key=lambda span: abs(span.start - anchor.start)))
            else:
                return placed
        return None

    def _how_said(
        self,
        *,
        category: TriageCategory,
        strong: bool,
        placed: list[Span],
        tokens: list[str],
        spans: Mapping[str, list[Span]],
        sentence_of: list[int],
    ) -> Found:
        start = min(span.start for span in placed)
        end = max(span.end for span in placed)
        sentence = sentence_of[start]

        def in_sentence(family: str, before: int | None = None, near: int | None = None) -> bool:
            """A cue in the sign's sentence, not part of the sign itself ("the last time you'll
            hear from me" is no past event), and within `near` words of it when given."""
            return any(
                sentence_of[span.start] == sentence
                and (before is None or span.start < before)
                and (near is None or (span.start - end <= near and start - span.end <= near))
                and not any(_overlap(span, part) for part in placed)
                for span in spans.get(family, ())
            )

        now = any(in_sentence(cue) for cue in category.now)
        return Found(
            category=category,
            strong=strong,
            span=Span(start, end),
            negated=any(
                self._negated(tokens, span.start, placed, spans.get("NEG", ())) for span in placed
            ),
            past=(
                in_sentence("HISTORY", near=HISTORY_REACH)
                or (category.resolves and in_sentence("RESOLVED", near=HISTORY_REACH))
            )
            and not in_sentence("RECENT"),
            general_question=in_sentence("QUESTION") and not now and not in_sentence("ABOUT_THIS"),
            hypothetical=in_sentence(_HYPOTHETICAL, before=start) and not now,
            about_an_animal=category.animals
            and in_sentence("ANIMAL")
            and not any(
                sentence_of[span.start] == sentence
                for family in ("CHILD", "HUMAN")
                for span in spans.get(family, ())
            ),
            figurative=self._joking(spans, sentence_of, sentence, tokens) and not now,
        )

    def _joking(
        self,
        spans: Mapping[str, list[Span]],
        sentence_of: list[int],
        sentence: int,
        tokens: list[str],
    ) -> bool:
        """A joke cue in the sign's sentence ("lol"), unless the person says anywhere that they
        mean it: "for real", or a joke cue negated ("lol. I'm not joking", "not even kidding")."""
        jokes = spans.get("FIGURATIVE", ())
        negations = spans.get("NEG", ())
        meant = spans.get("SERIOUS") or any(
            self._negated(tokens, span.start, [span], negations) for span in jokes
        )
        return not meant and any(sentence_of[span.start] == sentence for span in jokes)

    def _negated(
        self, tokens: list[str], start: int, placed: list[Span], negations: Iterable[Span]
    ) -> bool:
        """A negation just before a term, with only filler words between ("no chest pain")."""
        for negation in negations:
            if any(_overlap(negation, span) for span in placed):
                continue  # part of the sign itself: "not breathing", "can't wake"
            between = tokens[negation.end : start]
            if len(between) >= 2 and between[-1] in _ALTERNATIVES:
                between = between[:-2]
            if (
                negation.end <= start
                and start - negation.end <= self._content.negation_window
                and all(word in _NEGATION_FILLERS for word in between)
            ):
                return True
        return False


def _as_cues(spans: Mapping[str, list[Span]]) -> Mapping[str, list[Span]]:
    """The families as cues of how a sign is said: the "should i" of "should i call an
    ambulance, dad is slurring" asks what to do now, so it is no "what if". Families (the nets'
    features) keep it: only the reading of the sign changes."""
    asking = spans.get(CALL_HELP)
    if not asking or _HYPOTHETICAL not in spans:
        return spans
    what_if = [
        cue
        for cue in spans[_HYPOTHETICAL]
        if not any(ask.start <= cue.start and cue.end <= ask.end for ask in asking)
    ]
    return {**spans, _HYPOTHETICAL: what_if}


def _fits(part: str, token: str) -> bool:
    """Whether a word of a phrase ("swell*" a prefix) is this word of the message."""
    if part.endswith("*"):
        return bool(token) and token.startswith(part[:-1])
    return part == token


def _overlap(one: Span, other: Span) -> bool:
    return one.start < other.end and other.start < one.end


def _not_amounts(tokens: list[str]) -> set[int]:
    """Where a word that looks like an amount is none: a time of day ("at 10", "10pm", "by
    9:30", its minutes included), "all" said of how things went ("all good", "after all") or of
    one scheduled dose ("all her morning tablets")."""
    found: set[int] = set()
    for at, word in enumerate(tokens):
        before = tokens[at - 1] if at else ""
        after = tokens[at + 1] if at + 1 < len(tokens) else ""
        if word == "all" and (
            after in _HOW_IT_WENT or before == "after" or _of_one_dose(tokens, at + 1)
        ):
            found.add(at)
        elif word.isdigit() and (before in _CLOCK_BEFORE or after in _CLOCK_AFTER):
            found.add(at)
            # "at 8.15" reads as 8, 15; "at 9:30" as 9, a break (the colon), 30
            minutes = at + (2 if after == SENTENCE_BREAK else 1)
            if minutes < len(tokens) and _are_minutes(tokens[minutes]):
                found.add(minutes)
    return found


def _of_one_dose(tokens: list[str], start: int) -> bool:
    """Whether someone's scheduled dose follows: "[all] her morning", "[all] of mum's usual"."""
    at = start
    while at < len(tokens) and tokens[at] in _WHOSE:
        at += 1
    return start < at < len(tokens) and tokens[at] in _SCHEDULED


def _are_minutes(word: str) -> bool:
    return word.isdigit() and len(word) == 2 and int(word) <= _LAST_MINUTE


def _sentence_numbers(tokens: list[str]) -> list[int]:
    numbers, current = [], 0
    for token in tokens:
        if token == SENTENCE_BREAK:
            current += 1
        numbers.append(current)
    return numbers
