"""Load content/ into typed, validated objects, so a broken file stops start-up with one clear line."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # the C loader is ten times faster; start-up time matters for `b12bot classify`
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

TOPIC_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TRIAGE_FILE = "triage.yaml"
MIN_QUESTIONS = 11


class ContentError(Exception):
    """A content file is missing, malformed or inconsistent; the message names the file and field."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path, self.field, self.problem = str(path), field, problem
        super().__init__(f"{self.path}: {field}: {problem}")


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str
    # False: shown as a plain title, for a fact whose only source may not be linked (facts.md [M])
    link: bool = True


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    title: str
    questions: tuple[str, ...]
    answer: str
    sources: tuple[Source, ...]
    reviewed: dt.date
    related: tuple[str, ...]
    medical: bool
    path: Path


@dataclass(frozen=True, slots=True)
class MenuSection:
    title: str
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TriageCategory:
    """One kind of emergency (or same-day problem) and the signs that point to it."""

    id: str
    level: str  # "emergency" or "caution"
    advice: str
    strong: tuple[tuple[str, ...], ...]  # each sign: terms that must appear close together
    weak: tuple[tuple[str, ...], ...]  # signs that need an acute cue to count as emergencies
    promoted_by: tuple[str, ...] = ("ACUTE",)  # the cue families that make a weak sign count
    window: int | None = None  # how close a sign's terms must be, if not the file's default
    # The cue families that say a sign is happening now, overruling a joke, a "what if" or a
    # general question; self-harm adds a time set for it ("tonight", "this weekend").
    now: tuple[str, ...] = ("NOW",)
    # Whether a pet in the sentence makes a sign the animal's ("the dog ate my tablets"): never
    # for self-harm, where "look after my cat when I'm gone" is a farewell.
    animals: bool = True
    # Whether a sign said to be over ("fine now") is a past event: never for an overdose.
    resolves: bool = True
    # Who "Did I misread you?" under its page is for, where that is not "nobody is unwell right
    # now": someone who has taken too much of a medicine may feel well for hours.
    misread: str = ""
    # Whether it is often how people harm themselves (an overdose, a cut, hanging): its page
    # then has the helplines wherever the self-harm net would put them on a banner.
    means_of_self_harm: bool = False
    # Whether a plan to take it, with nothing taken yet, is a suicidal plan: its page is then
    # self-harm's ("i'm going to take all my tablets tonight" is no overdose yet).
    planned_is_self_harm: bool = False
    # The emergency in a few words ("trouble breathing or blue lips"), for the list of when to
    # call that answers "should i call an ambulance?": every emergency category has one.
    red_flag: str = ""


@dataclass(frozen=True, slots=True)
class TriageContent:
    """triage.yaml: see that file's header for what each part means."""

    spelling: Mapping[str, str]
    compounds: Mapping[str, str]  # "blood test" -> "bloodtest": names of things, not signs
    families: Mapping[str, tuple[str, ...]]
    categories: tuple[TriageCategory, ...]
    general: TriageCategory  # for an emergency only the learned net saw: no sign to name it
    window: int
    negation_window: int
    scope_breaks: frozenset[str]

    def category(self, category_id: str) -> TriageCategory:
        return next(c for c in self.categories if c.id == category_id)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The words the matcher needs beyond the topics: see synonyms.yaml for what each part means."""

    synonyms: Mapping[str, str]
    stopwords: frozenset[str]
    b12_words: frozenset[str]
    other_subjects: frozenset[str]
    never_b12: frozenset[str]


@dataclass(frozen=True, slots=True)
class Catalog:
    topics: Mapping[str, Topic]
    menu: tuple[MenuSection, ...]
    vocabulary: Vocabulary
    triage: TriageContent
    root: Path


def default_content_dir() -> Path:
    """Where content lives: $B12BOT_CONTENT_DIR, the copy inside an installed wheel, or the checkout."""
    if override := os.environ.get("B12BOT_CONTENT_DIR"):
        return Path(override)
    package = Path(__file__).resolve().parent.parent
    installed = package / "content"
    return installed if installed.is_dir() else package.parent / "content"


def load_catalog(root: Path | None = None) -> Catalog:
    """Read and validate every content file; raise ContentError on the first problem."""
    root = root or default_content_dir()
    topics = _load_topics(root / "topics")
    menu = _load_menu(root / "index.yaml", topics)
    vocabulary = _load_vocabulary(root / "synonyms.yaml")
    triage = _load_triage(root / TRIAGE_FILE)
    return Catalog(topics=topics, menu=menu, vocabulary=vocabulary, triage=triage, root=root)


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContentError(path, "(file)", f"cannot be read ({error.strerror or error})") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ContentError(
            path, where, f"is not valid YAML ({getattr(error, 'problem', error)})"
        ) from None


class Fields:
    """Typed access to one YAML mapping, turning every mismatch into a ContentError."""

    def __init__(self, path: Path, data: Any, where: str = "") -> None:
        if not isinstance(data, dict):
            raise ContentError(path, where or "(file)", "must be a mapping of fields")
        self.path, self.data, self.where = path, data, where

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise ContentError(self.path, self._name(key), "must be non-empty text")
        return value.strip()

    def texts(self, key: str, *, minimum: int = 0) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ContentError(self.path, self._name(key), "must be a list of non-empty texts")
        if len(value) < minimum:
            raise ContentError(self.path, self._name(key), f"needs at least {minimum} entries")
        return tuple(v.strip() for v in value)

    def mappings(self, key: str) -> list[Fields]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise ContentError(self.path, self._name(key), "must be a list")
        return [Fields(self.path, item, f"{self._name(key)}[{i}]") for i, item in enumerate(value)]

    def date(self, key: str) -> dt.date:
        value = self.data.get(key)
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ContentError(
                self.path, self._name(key), "must be a date like 2026-11-26"
            ) from None

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ContentError(self.path, self._name(key), "must be true or false")
        return value

    def reject_unknown(self, known: set[str]) -> None:
        for key in self.data:
            if key not in known:
                raise ContentError(self.path, self._name(str(key)), "is not a known field")


_TOPIC_FIELDS = {"id", "title", "questions", "answer", "sources", "reviewed", "related", "medical"}


def _load_topic(path: Path) -> Topic:
    fields = Fields(path, read_yaml(path))
    fields.reject_unknown(_TOPIC_FIELDS)
    topic_id = fields.text("id")
    if topic_id != path.stem:
        raise ContentError(path, "id", f"is {topic_id!r} but the file is named {path.name}")
    medical = fields.flag("medical", default=True)
    sources = tuple(_source(s) for s in fields.mappings("sources"))
    if medical and not sources:
        raise ContentError(path, "sources", "a medical topic needs at least one source")
    for number, source in enumerate(sources, start=1):
        if not source.url.startswith(("https://", "http://")):
            raise ContentError(path, f"sources[{number - 1}].url", "must be a web address")
    questions = fields.texts("questions", minimum=MIN_QUESTIONS)
    duplicates = {q for q in questions if questions.count(q) > 1}
    if duplicates:
        raise ContentError(path, "questions", f"repeats {sorted(duplicates)[0]!r}")
    return Topic(
        id=topic_id,
        title=fields.text("title"),
        questions=questions,
        answer=fields.text("answer"),
        sources=sources,
        reviewed=fields.date("reviewed"),
        related=fields.texts("related"),
        medical=medical,
        path=path,
    )


def _source(fields: Fields) -> Source:
    fields.reject_unknown({"title", "url", "link"})
    return Source(fields.text("title"), fields.text("url"), fields.flag("link", default=True))


def _load_topics(folder: Path) -> dict[str, Topic]:
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ContentError(folder, "(folder)", "holds no topic files")
    topics: dict[str, Topic] = {}
    for path in paths:
        if not TOPIC_ID.match(path.stem):
            raise ContentError(
                path, "(file name)", "must be a topic id: lower-case words and dashes"
            )
        topics[path.stem] = _load_topic(path)
    for topic in topics.values():
        for related in topic.related:
            if related not in topics:
                raise ContentError(topic.path, "related", f"names unknown topic {related!r}")
            if related == topic.id:
                raise ContentError(topic.path, "related", "names the topic itself")
    return topics


def _load_menu(path: Path, topics: Mapping[str, Topic]) -> tuple[MenuSection, ...]:
    fields = Fields(path, read_yaml(path))
    fields.reject_unknown({"sections"})
    sections = tuple(
        MenuSection(section.text("title"), section.texts("topics", minimum=1))
        for section in fields.mappings("sections")
    )
    listed = [topic_id for section in sections for topic_id in section.topics]
    for topic_id in listed:
        if topic_id not in topics:
            raise ContentError(
                path, "sections", f"lists {topic_id!r}, which has no topics/{topic_id}.yaml"
            )
        if listed.count(topic_id) > 1:
            raise ContentError(path, "sections", f"lists {topic_id!r} twice")
    missing = sorted(set(topics) - set(listed))
    if missing:
        raise ContentError(path, "sections", f"does not list topic {missing[0]!r}")
    return sections


def _words(fields: Fields, key: str) -> frozenset[str]:
    return frozenset(word.lower() for word in fields.texts(key))


def _load_vocabulary(path: Path) -> Vocabulary:
    fields = Fields(path, read_yaml(path))
    fields.reject_unknown({"synonyms", "stopwords", "b12_words", "other_subjects", "never_b12"})
    groups = fields.data.get("synonyms")
    if not isinstance(groups, dict):
        raise ContentError(path, "synonyms", "must map each canonical word to a list of variants")
    synonyms: dict[str, str] = {}
    for canonical, variants in groups.items():
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise ContentError(path, f"synonyms.{canonical}", "must be a list of variants")
        for variant in variants:
            key = variant.lower().strip()
            if synonyms.get(key, canonical) != canonical:
                raise ContentError(
                    path, f"synonyms.{canonical}", f"{variant!r} is also under {synonyms[key]!r}"
                )
            synonyms[key] = str(canonical)
    return Vocabulary(
        synonyms=synonyms,
        stopwords=_words(fields, "stopwords"),
        b12_words=_words(fields, "b12_words"),
        other_subjects=_words(fields, "other_subjects"),
        never_b12=_words(fields, "never_b12"),
    )


TRIAGE_LEVELS = ("emergency", "caution")
# The category the self-harm net names its emergencies and banners by: its advice carries the
# crisis lines, so triage.yaml must have it.
SELF_HARM = "self-harm"
# Families the triage code itself reads, so triage.yaml cannot lose one by accident.
TRIAGE_CUES = (
    "NEG",
    "HISTORY",
    "RESOLVED",
    "RECENT",
    "QUESTION",
    "ABOUT_THIS",
    "HYPOTHETICAL",
    "ACUTE",
    "NOW",
    "ANIMAL",
    "CHILD",
    "FIGURATIVE",
)


def _load_triage(path: Path) -> TriageContent:
    fields = Fields(path, read_yaml(path))
    fields.reject_unknown(
        {"spelling", "compounds", "families", "categories", "general", "modifiers"}
    )
    spelling = _word_map(fields, "spelling")
    compounds = _word_map(fields, "compounds")
    families = fields.data.get("families") or {}
    if not isinstance(families, dict):
        raise ContentError(path, "families", "must map family names to lists of words")
    family_words = {
        str(name): Fields(path, families, "families").texts(str(name), minimum=1)
        for name in families
    }
    for cue in TRIAGE_CUES:
        if cue not in family_words:
            raise ContentError(path, f"families.{cue}", "is missing; triage needs it")
    categories = []
    for entry in fields.mappings("categories"):
        entry.reject_unknown(
            {
                "id",
                "level",
                "advice",
                "strong",
                "weak",
                "promoted_by",
                "window",
                "now",
                "animals",
                "resolves",
                "misread",
                "means_of_self_harm",
                "planned_is_self_harm",
                "red_flag",
            }
        )
        level = entry.text("level")
        if level not in TRIAGE_LEVELS:
            raise ContentError(path, f"{entry.where}.level", f"must be one of {TRIAGE_LEVELS}")
        signs = {kind: _signs(entry, kind, family_words) for kind in ("strong", "weak")}
        if not signs["strong"]:
            raise ContentError(path, f"{entry.where}.strong", "needs at least one sign")
        promoted_by = entry.texts("promoted_by") or ("ACUTE",)
        now = entry.texts("now") or ("NOW",)
        for key, cues in (("promoted_by", promoted_by), ("now", now)):
            for cue in cues:
                if cue not in family_words:
                    raise ContentError(path, f"{entry.where}.{key}", f"unknown family {cue!r}")
        window = _count(entry, "window") if "window" in entry.data else None
        red_flag = entry.text("red_flag", required=level == "emergency")
        categories.append(
            TriageCategory(
                entry.text("id"),
                level,
                entry.text("advice"),
                **signs,
                promoted_by=promoted_by,
                window=window,
                now=now,
                animals=entry.flag("animals", default=True),
                resolves=entry.flag("resolves", default=True),
                misread=entry.text("misread", required=False),
                means_of_self_harm=entry.flag("means_of_self_harm", default=False),
                planned_is_self_harm=entry.flag("planned_is_self_harm", default=False),
                red_flag=red_flag,
            )
        )
    if not any(c.id == SELF_HARM and c.level == "emergency" for c in categories):
        raise ContentError(
            path, "categories", f"needs the emergency category {SELF_HARM!r}; triage names by it"
        )
    modifiers = Fields(path, fields.data.get("modifiers") or {}, "modifiers")
    general = Fields(path, fields.data.get("general"), "general")
    general.reject_unknown({"advice"})
    return TriageContent(
        spelling=spelling,
        compounds=compounds,
        families=family_words,
        categories=tuple(categories),
        general=TriageCategory("general", "emergency", general.text("advice"), (), ()),
        window=_count(modifiers, "window"),
        negation_window=_count(modifiers, "negation_window"),
        scope_breaks=frozenset(modifiers.texts("scope_breaks")),
    )


def _signs(
    entry: Fields, kind: str, families: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[str, ...], ...]:
    signs = []
    for index, sign in enumerate(entry.texts(kind)):
        terms = tuple(term.strip() for term in sign.split("&"))
        for term in terms:
            if not term or (term.isupper() and term not in families):
                raise ContentError(
                    entry.path, f"{entry.where}.{kind}[{index}]", f"unknown family {term!r}"
                )
        signs.append(terms)
    return tuple(signs)


def _count(fields: Fields, key: str) -> int:
    value = fields.data.get(key)
    if not isinstance(value, int) or value < 1:
        raise ContentError(fields.path, f"{fields.where}.{key}", "must be a whole number above 0")
    return value


def _word_map(fields: Fields, key: str) -> dict[str, str]:
    value = fields.data.get(key) or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ContentError(fields.path, key, "must map words to words (quote yes, no, on, off)")
    return dict(value)
