"""How hard an answer is to read, measured the way a phone shows it.

Flesch-Kincaid counts sentences by their full stops, but an answer on a phone is read line by
line: a bullet or a heading without a full stop is still a unit the eye takes in one go. So each
visible line counts as one sentence, and the citation marks ([1], ¹) are not words.
"""

from __future__ import annotations

import re

import textstat

from bot.knowledge.telegram_html import visible_text

MAX_GRADE = 8.0
_CITATION = re.compile(r"\s*(\[\d+(?:[,-]\s*\d+)*\]|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_END = re.compile(r"[.!?:]$")


def phone_lines(markup: str) -> list[str]:
    """The non-empty lines a reader sees, bullets and citation marks removed."""
    text = _CITATION.sub("", visible_text(markup))
    return [line.strip().lstrip("•-– ").strip() for line in text.splitlines() if line.strip()]


def grade(markup: str) -> float:
    """Flesch-Kincaid grade of the text, one sentence per visible line."""
    lines = [line if _END.search(line) else f"{line}." for line in phone_lines(markup)]
    if not lines:
        return 0.0
    return float(textstat.flesch_kincaid_grade(" ".join(lines)))
