"""Recognise a message that is only small talk ("hi", "thanks!", "ok", "help", "took it"), so it
gets a short friendly reply instead of "I can only help with B12 injections".

A dose reported in a few words ("taken", "had my jab") is small talk too: it is the commonest
reply to a reminder, and the learned nets, which may not page a message that is all small talk
(FAQ.decide), read "i took it" as half an overdose (0.53, the emergency page). So is a longer
report of the usual dose ("took my tablets with breakfast"), read as a pattern of parts
(`DoseReport`): the nets page 1 in 5 of the ordinary dose talk of holdout47
(tests/data/triage/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.knowledge.matching_content import DOSE_REPORT_PARTS
from bot.knowledge.normalise import tokens

# Longer than any greeting: past this a message is a question, whatever words it starts with.
MAX_WORDS = 8
# Words that may pad small talk without making it a question: "thanks so much bot x".
_FILLER = frozenset(
    [
        "so",
        "very",
        "much",
        "a",
        "lot",
        "again",
        "there",
        "bot",
        "b12bot",
        "all",
        "everyone",
        "guys",
        "and",
        "please",
        "pls",
        "x",
        "xx",
        "xxx",
        "lol",
        "you",
        "u",
        "just",  # "just taken it", "taken just now, thanks"
        "now",
        "today",
        "this",  # "took it this morning": "morning" is a greeting
    ]
)
# Filler that says how much: "took it all" is no report of the usual dose.
_QUANTITY = frozenset(["all", "lot"])
# When a message mixes kinds, the one it most needs answered: "hi, help" asks for help, "taken,
# thanks" reports a dose.
_PRIORITY = ("help", "dose", "thanks", "hello", "ok")
# The small talk that may come before or after a dose report: "morning! took my meds, thanks".
_AROUND = ("hello", "thanks", "ok")
# Longer than any dose report: "ok mum's had her morning tablets with her porridge, thanks x".
MAX_REPORT_WORDS = 20
# A time of day beside a dose: "at 9", "at 9:30", "at 10pm".
_CLOCK = r"at \d+(?: \d+)?(?: (?:am|pm))?"
# How long ago: "took it 10 mins ago", "had it half an hour ago". The nets read a time ago as an
# event just happened and paged such reports (the gate of a command, b12bot chat).
_AGO = (
    r"(?:(?:about|around) )?(?:\d+|a|an|a few|a couple of|half an) "
    r"(?:min|mins|minute|minutes|hr|hrs|hour|hours) ago"
)


def _either(phrases: Iterable[str]) -> str:
    """A pattern for any of the phrases, as the message's words read them, longest first."""
    spelled = {" ".join(tokens(phrase)) for phrase in phrases} - {""}
    if not spelled:
        return "(?!)"  # a part left empty matches nothing
    return "(?:" + "|".join(re.escape(p) for p in sorted(spelled, key=len, reverse=True)) + ")"


class DoseReport:
    """A longer report of the usual dose (matching.yaml, dose_report): "took my tablets with
    breakfast", "mum's had her morning meds". The whole message must be its parts in order, so
    "took all my tablets with breakfast" or "gave dad his insulin again" is none; tablets in
    general need a routine or a which ("morning") beside them, since "i took my tablets" alone
    could be all of them."""

    def __init__(
        self,
        parts: Mapping[str, frozenset[str]],
        around: Iterable[str],
        medicines: Iterable[str] = (),
    ) -> None:
        if not parts.get("did") or not (parts.get("named") or parts.get("general")):
            self._pattern = None
            return
        part = {name: _either(parts.get(name, ())) for name in DOSE_REPORT_PARTS}
        # Every other medicine the bot knows of (out_of_scope.yaml) is a dose too, but needs a
        # routine beside it like tablets in general: "took my sertraline with breakfast".
        part["general"] = _either([*parts.get("general", ()), *medicines])
        routine = f"(?:{part['routine']}|{_CLOCK}|{_AGO})"
        greeting = f"(?:{part['signoff']}|{_either(around)})"
        aside = f"(?:{routine}|{greeting})"
        start = (
            f"(?:{greeting} )*(?:{part['who']} )?(?:{part['auxiliary']} )*{part['did']} "
            f"(?:{part['to_whom']} )?(?:{part['whose']} )?"
        )
        named = f"(?:{part['which']} )*{part['named']}(?: {aside})*"
        general = (
            f"(?:(?:{part['which']} )+{part['general']}(?: {aside})*"
            f"|{part['general']}(?: {aside})* {routine}(?: {aside})*)"
        )
        self._pattern = re.compile(f"{start}(?:{named}|{general})")

    def matches(self, words: list[str]) -> bool:
        if self._pattern is None or len(words) > MAX_REPORT_WORDS:
            return False
        return self._pattern.fullmatch(" ".join(words)) is not None


# A reply made only of symbols: "✅" after a reminder reports the dose, "👍" agrees. They got the
# whole topic menu (a QA pass). Variation selectors and skin tones are no part of the meaning.
_SYMBOLS = {"✅": "dose", "☑": "dose", "✔": "dose", "👍": "ok", "👌": "ok", "🙏": "thanks"}
_MODIFIERS = re.compile("[\ufe0f\U0001f3fb-\U0001f3ff\\s]")


def _symbols_kind(text: str) -> str | None:
    """The kind of a message made only of acknowledging symbols, the most needed first."""
    symbols = _MODIFIERS.sub("", text)
    if not symbols or len(symbols) > MAX_WORDS or any(c not in _SYMBOLS for c in symbols):
        return None
    kinds = {_SYMBOLS[c] for c in symbols}
    return next(kind for kind in _PRIORITY if kind in kinds)


class SmallTalk:
    def __init__(
        self,
        phrases: Mapping[str, frozenset[str]],
        dose_report: Mapping[str, frozenset[str]] | None = None,
        medicines: Iterable[str] = (),
    ) -> None:
        self._phrases = {
            tuple(tokens(phrase)): kind for kind, group in phrases.items() for phrase in group
        }
        self._phrases.pop((), None)
        self._longest = max((len(key) for key in self._phrases), default=0)
        around = [phrase for kind in _AROUND for phrase in phrases.get(kind, ())]
        self._report = DoseReport(dose_report or {}, around, medicines)

    def kind(self, text: str) -> str | None:
        """The kind of small talk this whole message is, or None if any part of it is more."""
        words = tokens(text)
        if not words:
            return _symbols_kind(text)
        found = self._phrased(words) if len(words) <= MAX_WORDS else None
        if found is None and self._report.matches(words):
            return "dose"
        return found

    def _phrased(self, words: list[str]) -> str | None:
        """The kind of a short message made only of small-talk phrases and filler."""
        kinds: set[str] = set()
        padding: set[str] = set()
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                kind = self._phrases.get(tuple(words[i : i + size]))
                if kind is not None:
                    kinds.add(kind)
                    i += size
                    break
            else:
                if words[i] not in _FILLER:
                    return None
                padding.add(words[i])
                i += 1
        if "dose" in kinds and padding & _QUANTITY:
            return None
        return next((kind for kind in _PRIORITY if kind in kinds), None)
