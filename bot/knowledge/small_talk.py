"""Recognise a message that is only small talk ("hi", "thanks!", "ok", "help", "took it"), so it
gets a short friendly reply instead of "I can only help with B12 injections".

A dose reported in a few words ("taken", "had my jab") is small talk too: it is the commonest
reply to a reminder, and the learned nets, which may not page a message that is all small talk
(FAQ.decide), read "i took it" as half an overdose (0.53, the emergency page)."""

from __future__ import annotations

from collections.abc import Mapping

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


class SmallTalk:
    def __init__(self, phrases: Mapping[str, frozenset[str]]) -> None:
        self._phrases = {
            tuple(tokens(phrase)): kind for kind, group in phrases.items() for phrase in group
        }
        self._phrases.pop((), None)
        self._longest = max((len(key) for key in self._phrases), default=0)

    def kind(self, text: str) -> str | None:
        """The kind of small talk this whole message is, or None if any part of it is more."""
        words = tokens(text)
        if not words or len(words) > MAX_WORDS:
            return None
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
