"""Tell a message in another language from an English one, offline and in microseconds.

Questions are full of function words ("how", "my", "with"), so counting a language's function
words (content/languages.yaml) against the English words the bot knows is enough to recognise
"¿Con qué frecuencia debo ponerme la inyección?" without a model. Letters of another script
count on their own. It errs towards English: a short or mixed message is read as English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from bot.knowledge.normalise import MAX_MATCH_CHARS, tokens

MIN_CUES = 2  # one foreign-looking word ("hola") is too little to be sure


def _latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN")


class LanguageCheck:
    def __init__(self, languages: Mapping[str, frozenset[str]], english: frozenset[str]) -> None:
        self._english = english
        self._cues = [
            frozenset(t for word in words for t in tokens(word)) - english
            for words in languages.values()
        ]

    def is_other_language(self, text: str) -> bool:
        text = text[:MAX_MATCH_CHARS]
        letters = [char for char in text if char.isalpha()]
        other_script = sum(not _latin(char) for char in letters)
        if other_script >= MIN_CUES and other_script * 2 >= len(letters):
            return True
        words = [word for word in tokens(text) if len(word) > 1 and word.isalpha()]
        english = sum(word in self._english for word in words)
        cues = max((sum(word in group for word in words) for group in self._cues), default=0)
        return cues >= MIN_CUES and cues > english
