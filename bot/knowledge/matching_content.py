"""Load the matcher's own content files: what is not ours (out_of_scope.yaml), which topics are
siblings and what counts as small talk (matching.yaml), and the common words of other languages
(languages.yaml). Data people can edit; a malformed file stops start-up with one line naming it,
like every other content file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.catalog import ContentError

try:  # the C loader is ten times faster; start-up time matters for `b12bot classify`
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

SCOPE_FILE = "out_of_scope.yaml"
PHRASINGS_FILE = "phrasings.yaml"
MATCHING_FILE = "matching.yaml"
LANGUAGES_FILE = "languages.yaml"
SMALL_TALK_KINDS = ("hello", "thanks", "ok", "help", "dose")
# The parts of a longer dose report, in the order they come (matching.yaml, dose_report).
DOSE_REPORT_PARTS = (
    "who",
    "auxiliary",
    "did",
    "to_whom",
    "whose",
    "which",
    "named",
    "general",
    "routine",
    "signoff",
)


@dataclass(frozen=True, slots=True)
class Scope:
    """Other medicines and animals: see out_of_scope.yaml for what each part means."""

    medicines: frozenset[str] = frozenset()  # every other medicine, injected or not
    injected: frozenset[str] = frozenset()  # those given by injection
    animals: frozenset[str] = frozenset()
    name_endings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Phrasings:
    """How people ask, in their own words (phrasings.yaml): what the topic classifier learns from
    beside each topic's own questions, and the near-misses it learns are none of ours."""

    topics: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    off_topic: tuple[str, ...] = ()


NO_PHRASINGS = Phrasings()


@dataclass(frozen=True, slots=True)
class MatchingContent:
    scope: Scope
    siblings: tuple[frozenset[str], ...]
    small_talk: Mapping[str, frozenset[str]]  # kind -> phrases
    dose_report: Mapping[str, frozenset[str]]  # part -> phrases (DOSE_REPORT_PARTS)
    languages: Mapping[str, frozenset[str]]  # language -> its common words
    phrasings: Phrasings = NO_PHRASINGS


def load_phrasings(root: Path, topic_ids: frozenset[str]) -> Phrasings:
    path = root / PHRASINGS_FILE
    data = _mapping(path, _read(path), {"topics", "off_topic"})
    topics = _mapping(path, data.get("topics") or {}, None, "topics")
    unknown = sorted(set(topics) - topic_ids)
    if unknown:
        raise ContentError(path, f"topics.{unknown[0]}", "is not a topic id")
    return Phrasings(
        topics={
            str(topic): tuple(_texts(path, texts, f"topics.{topic}"))
            for topic, texts in sorted(topics.items())
        },
        off_topic=tuple(_texts(path, data.get("off_topic") or [], "off_topic")),
    )


def load_matching_content(root: Path, topic_ids: frozenset[str]) -> MatchingContent:
    scope_path, matching_path = root / SCOPE_FILE, root / MATCHING_FILE
    scope = _mapping(
        scope_path, _read(scope_path), {"injected", "other_medicines", "animals", "name_endings"}
    )
    injected = _grouped(scope_path, scope.get("injected") or {}, "injected")
    others = scope.get("other_medicines") or {}
    medicines = injected | _grouped(scope_path, others, "other_medicines")
    matching = _mapping(
        matching_path, _read(matching_path), {"siblings", "small_talk", "dose_report"}
    )
    siblings = []
    for index, group in enumerate(matching.get("siblings") or []):
        members = _words(matching_path, group, f"siblings[{index}]")
        unknown = sorted(set(members) - topic_ids)
        if unknown:
            raise ContentError(matching_path, f"siblings[{index}]", f"unknown topic {unknown[0]!r}")
        siblings.append(frozenset(members))
    talk = _mapping(
        matching_path, matching.get("small_talk") or {}, set(SMALL_TALK_KINDS), "small_talk"
    )
    report = _mapping(
        matching_path, matching.get("dose_report") or {}, set(DOSE_REPORT_PARTS), "dose_report"
    )
    languages_path = root / LANGUAGES_FILE
    languages = _mapping(languages_path, _read(languages_path), None)
    return MatchingContent(
        scope=Scope(
            medicines=medicines,
            injected=injected,
            animals=frozenset(_words(scope_path, scope.get("animals") or [], "animals")),
            name_endings=tuple(_words(scope_path, scope.get("name_endings") or [], "endings")),
        ),
        siblings=tuple(siblings),
        small_talk={
            kind: frozenset(_words(matching_path, talk.get(kind) or [], f"small_talk.{kind}"))
            for kind in SMALL_TALK_KINDS
        },
        dose_report={
            part: frozenset(_words(matching_path, report.get(part) or [], f"dose_report.{part}"))
            for part in DOSE_REPORT_PARTS
        },
        languages={
            str(name): frozenset(_words(languages_path, words, str(name)))
            for name, words in languages.items()
        },
        phrasings=load_phrasings(root, topic_ids),
    )


def _read(path: Path) -> Any:
    """A file's data; a file that is not there is empty (a content folder may leave them out)."""
    if not path.exists():
        return {}
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except OSError as error:
        raise ContentError(path, "(file)", f"cannot be read ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise ContentError(path, "(file)", f"is not valid YAML ({error})") from None


def _mapping(path: Path, data: Any, known: set[str] | None, where: str = "(file)") -> dict:
    if not isinstance(data, dict):
        raise ContentError(path, where, "must be a mapping")
    for key in data:
        if known is not None and key not in known:
            raise ContentError(path, str(key), "is not a known field")
    return data


def _grouped(path: Path, data: Any, where: str) -> frozenset[str]:
    groups = _mapping(path, data, None, where)
    return frozenset(
        w for name, words in groups.items() for w in _words(path, words, f"{where}.{name}")
    )


def _words(path: Path, data: Any, where: str) -> list[str]:
    return [text.lower() for text in _texts(path, data, where)]


def _texts(path: Path, data: Any, where: str) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(w, str) and w.strip() for w in data):
        raise ContentError(path, where, "must be a list of words or phrases")
    return [w.strip() for w in data]
