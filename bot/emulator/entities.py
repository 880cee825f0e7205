"""Message text as Telegram stores it: HTML parsed into entities, trimmed, commands detected.

Offsets and lengths are in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from bot.knowledge.telegram_html import utf16_length

JSON = dict[str, Any]

_TRIMMED = " \t\n\r\v\f"  # Telegram strips these from both ends of a message

# Entities Telegram detects by itself in any message text.
_BOT_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{3,32}(?![\w@])")
_URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)\]]")
_DETECTED = (("bot_command", _BOT_COMMAND), ("mention", _MENTION), ("url", _URL))
_OPAQUE_ENTITIES = frozenset({"code", "pre", "text_link", "text_mention"})

_HTML_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


@dataclass
class _OpenTag:
    tag: str
    attrs: dict[str, str | None]
    offset: int
    language: str | None = None


class _EntityParser(HTMLParser):
    """Turns markup that `check_entities` accepted into Telegram's text and entities.

    Offsets and lengths are in UTF-16 code units, as Telegram counts them.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.parts: list[str] = []
        self.entities: list[JSON] = []
        self._offset = 0
        self._open: list[_OpenTag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(_OpenTag(tag, dict(attrs), self._offset))

    def handle_endtag(self, tag: str) -> None:
        opened = self._open.pop()
        parent = self._open[-1] if self._open else None
        if tag == "code" and parent is not None and parent.tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            parent.language = (opened.attrs.get("class") or "").removeprefix("language-") or None
            return
        length = self._offset - opened.offset
        if length:
            self.entities.append(_html_entity(opened, length))

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._emit(html.unescape(f"&#{name};"))

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self._offset += utf16_length(text)


def _html_entity(opened: _OpenTag, length: int) -> JSON:
    entity: JSON = {"type": _HTML_ENTITIES[opened.tag], "offset": opened.offset, "length": length}
    if opened.tag == "a":
        entity["url"] = opened.attrs.get("href") or ""
    elif opened.tag == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    elif opened.tag == "pre" and opened.language:
        entity["language"] = opened.language
    elif opened.tag == "tg-emoji":
        entity["custom_emoji_id"] = opened.attrs.get("emoji-id") or ""
    return entity


def parse_html(markup: str) -> tuple[str, list[JSON]]:
    """Text and entities from markup that `check_entities` accepted, as parse_mode=HTML gives."""
    parser = _EntityParser()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts), parser.entities


def trimmed(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram drops leading and trailing white space, and the entities' parts over it."""
    stripped = text.strip(_TRIMMED)
    if stripped == text:
        return text, entities
    lead = utf16_length(text[: len(text) - len(text.lstrip(_TRIMMED))])
    size = utf16_length(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def detected_entities(text: str, explicit: list[JSON]) -> list[JSON]:
    """The commands, mentions and links Telegram marks by itself, outside code and links."""
    opaque = [
        (e["offset"], e["offset"] + e["length"]) for e in explicit if e["type"] in _OPAQUE_ENTITIES
    ]
    found = []
    for kind, pattern in _DETECTED:
        for match in pattern.finditer(text):
            offset = utf16_length(text[: match.start()])
            length = utf16_length(match.group())
            if not any(offset < end and start < offset + length for start, end in opaque):
                found.append({"type": kind, "offset": offset, "length": length})
    return found


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The text an entity covers: Telegram's offsets count UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le")
