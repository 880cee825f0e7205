"""Telegram's HTML subset: validate it as the Bot API would, and turn it into plain text.

Telegram rejects a whole message with "can't parse entities" when one tag is wrong, so content
is checked against the same rules before it can reach a user.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from html.parser import HTMLParser

# https://core.telegram.org/bots/api#html-style: "Only the tags mentioned above are currently supported."
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(),
    "strong": frozenset(),
    "i": frozenset(),
    "em": frozenset(),
    "u": frozenset(),
    "ins": frozenset(),
    "s": frozenset(),
    "strike": frozenset(),
    "del": frozenset(),
    "span": frozenset({"class"}),
    "tg-spoiler": frozenset(),
    "a": frozenset({"href"}),
    "tg-emoji": frozenset({"emoji-id"}),
    "code": frozenset({"class"}),
    "pre": frozenset(),
    "blockquote": frozenset({"expandable"}),
}
_NAMED_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})


class TelegramHTMLError(ValueError):
    """The text would be refused by Telegram with "Bad Request: can't parse entities"."""


@dataclass
class _Checker(HTMLParser):
    """Walks the markup once, collecting the visible text and the first problem found."""

    problems: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    _open: list[str] = field(default_factory=list)
    _hrefs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=False)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        allowed = ALLOWED_TAGS.get(tag)
        if allowed is None:
            self.problems.append(f'Unsupported start tag "{tag}"')
            return
        for name, _ in attrs:
            if name not in allowed:
                self.problems.append(f'Unsupported attribute "{name}" in tag "{tag}"')
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                self.problems.append('Tag "a" must have an href')
            self._hrefs.append(href or "")
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            self.problems.append('Tag "span" must have class "tg-spoiler"')
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f'Unsupported self-closing tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1] != tag:
            self.problems.append(f'Unmatched end tag "{tag}"')
            return
        self._open.pop()
        if tag == "a":
            self.plain.append(f" <{self._hrefs.pop()}>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append("Unescaped < or > in text")
        if "&" in data:
            self.problems.append('Unescaped "&" in text')
        self._emit(data)

    def _emit(self, visible: str) -> None:
        self.text.append(visible)
        self.plain.append(visible)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            self.problems.append(f'Unsupported HTML entity "&{name};"')
        self._emit(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._emit(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.problems.append("Comments are not supported")

    def handle_decl(self, decl: str) -> None:
        self.problems.append("Declarations are not supported")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("Declarations are not supported")


def _parse(markup: str) -> _Checker:
    checker = _Checker()
    checker.feed(markup)
    checker.close()
    if checker.rawdata:
        checker.problems.append("Unterminated tag or entity")
    if checker._open:
        checker.problems.append(f'Unclosed tag "{checker._open[-1]}"')
    return checker


def visible_text(markup: str) -> str:
    """The text a reader sees once Telegram has parsed the entities; raises if Telegram would refuse it."""
    checker = _parse(markup)
    if checker.problems:
        raise TelegramHTMLError(f"can't parse entities: {checker.problems[0]}")
    return "".join(checker.text)


def utf16_length(text: str) -> int:
    """Telegram measures message length in UTF-16 code units, so an emoji can count twice."""
    return len(text.encode("utf-16-le")) // 2


def to_plain_text(markup: str) -> str:
    """What a terminal shows for a Telegram message: the text, with each link's address after it."""
    return "".join(_parse(markup).plain)


def check_entities(markup: str) -> list[str]:
    """Every reason Telegram would refuse this markup (empty when it would accept it)."""
    return _parse(markup).problems
