"""Which addresses an answer may show a patient, and how: the rules content-check holds sources to.

A source must be a fact's "Cite as" address in facts.md, never the copy the wording was verified
in; a mirror ([M]) or "do not link" entry may back a statement only as a plain title; hosts on
the low-trust list are refused outright; raw data records are linked through a readable page.
All of it is data in content/, so an editor can see why a source was refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.knowledge.catalog import ContentError, Fields, Source, read_yaml

# A cite-as address is followed by its trust tag: "— NHS — About hydroxocobalamin — URL [A]".
_TAGGED = re.compile(r"(https?://[^\s\]]+?)\)?[.,;]?\s*\[([AML])([^\]]*)\]")
_ANY_URL = re.compile(r"https?://[^\s\])]+")
# Notes that belong in facts.md, never in a title a patient reads.
_BAD_TITLE = re.compile(
    r"\([^)]*\b(?:mirror|verbatim|cop(?:y|ied)|textbook|extract|reproduc\w*|quot\w*)\b[^)]*\)"
    r"|\[\s*[AML]\s*(?:[,\]])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CiteAs:
    """A fact's shown source: its trust tag, and whether a patient may be sent to it."""

    tag: str  # A, M or L, as in facts.md
    linkable: bool  # False for [M] and "do not link" entries


@dataclass(frozen=True, slots=True)
class LowTrustHost:
    kind: str  # domain, prefix or word; see low_trust_sources.yaml
    value: str
    reason: str

    def matches(self, host: str) -> bool:
        if self.kind == "domain":
            return host == self.value or host.endswith("." + self.value)
        if self.kind == "prefix":
            return host.startswith(self.value)
        return self.value in host


@dataclass(frozen=True, slots=True)
class ReadablePage:
    """A readable page that stands for raw data records facts.md cites (openFDA -> DailyMed)."""

    url: str
    title: str
    records: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceRules:
    cite_as: Mapping[str, CiteAs]
    mentioned: frozenset[str]  # every address in facts.md, to tell a copy from a stranger
    low_trust: tuple[LowTrustHost, ...]
    readable: Mapping[str, ReadablePage]

    @classmethod
    def load(cls, root: Path) -> SourceRules:
        facts = root / "facts.md"
        try:
            text = facts.read_text(encoding="utf-8")
        except OSError as error:
            raise ContentError(facts, "(file)", f"cannot be read ({error.strerror})") from None
        pages = _load_readable(root / "readable_sources.yaml")
        return cls(
            cite_as=parse_cite_as(text),
            mentioned=frozenset(url.rstrip(".,;") for url in _ANY_URL.findall(text)),
            low_trust=_load_low_trust(root / "low_trust_sources.yaml"),
            readable={page.url: page for page in pages},
        )

    def tags(self, source: Source) -> list[str]:
        """The trust tags behind a source: its own, or its records' for a readable page."""
        page = self.readable.get(source.url)
        urls = page.records if page else (source.url,)
        return [self.cite_as[url].tag for url in urls if url in self.cite_as]

    def problems(self, source: Source) -> list[tuple[str, str]]:
        """What is wrong with one source, as (field, problem); field is 'title', 'url' or 'link'."""
        problems: list[tuple[str, str]] = []
        if note := _BAD_TITLE.search(source.title):
            problems.append(
                ("title", f"{note.group(0)!r} is a note for editors: write the title plainly")
            )
        host = (urlsplit(source.url).hostname or "").lower()
        for entry in self.low_trust:
            if entry.matches(host):
                problems.append(("url", f"{host} is on the low-trust list: {entry.reason}"))
                return problems
        page = self.readable.get(source.url)
        if page is not None:
            if source.title != page.title:
                problems.append(("title", f"must be {page.title!r} (readable_sources.yaml)"))
            return problems
        for readable in self.readable.values():
            if source.url in readable.records:
                problems.append(("url", f"is raw data a reader can't use: link {readable.url}"))
                return problems
        fact = self.cite_as.get(source.url)
        if fact is None:
            where = "is only a copy in facts.md ('Verified in' / 'read at'), never a source"
            if source.url not in self.mentioned:
                where = "does not appear in facts.md as a 'Cite as' address"
            problems.append(("url", where))
        elif not fact.linkable and source.link:
            problems.append(
                ("link", "facts.md says no primary found / do not link: set link: false")
            )
        return problems


def parse_cite_as(facts_md: str) -> dict[str, CiteAs]:
    """Every address facts.md tags with [A], [M] or [L]; one marked unlinkable anywhere stays so."""
    found: dict[str, CiteAs] = {}
    for address, tag, note in _TAGGED.findall(facts_md):
        url = address.rstrip(".,;")
        linkable = tag != "M" and "do not link" not in note and "no primary" not in note
        earlier = found.get(url)
        found[url] = (
            CiteAs(earlier.tag, linkable and earlier.linkable) if earlier else CiteAs(tag, linkable)
        )
    return found


def _load_low_trust(path: Path) -> tuple[LowTrustHost, ...]:
    fields = Fields(path, read_yaml(path))
    fields.reject_unknown({"hosts"})
    hosts = []
    for entry in fields.mappings("hosts"):
        entry.reject_unknown({"domain", "prefix", "word", "reason"})
        kinds = [kind for kind in ("domain", "prefix", "word") if kind in entry.data]
        if len(kinds) != 1:
            raise ContentError(path, entry.where, "needs exactly one of domain, prefix or word")
        value = entry.text(kinds[0]).lower()
        hosts.append(LowTrustHost(kinds[0], value, entry.text("reason")))
    return tuple(hosts)


def _load_readable(path: Path) -> tuple[ReadablePage, ...]:
    fields = Fields(path, read_yaml(path))
    fields.reject_unknown({"pages"})
    pages = []
    for entry in fields.mappings("pages"):
        entry.reject_unknown({"readable", "title", "records", "why"})
        entry.text("why")  # the reason is part of the data: a mapping nobody can explain is refused
        pages.append(
            ReadablePage(
                entry.text("readable"), entry.text("title"), entry.texts("records", minimum=1)
            )
        )
    return tuple(pages)
