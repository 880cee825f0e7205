"""Everything `b12bot content-check` holds the content to, beyond what loading already checks.

Loading (catalog.py) rejects malformed files; this finds content that loads but would break a
rule: markup Telegram refuses, answers too long for a phone screen or too hard to read on one,
uncited paragraphs, citations out of order, sources a patient should not be sent to (see
sources.py), a missing topic, a medical answer, clarify or fallback not ending with the
clinician line, or a `medical: false` topic (about the bot, privacy) that carries it anyway.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.catalog import Catalog, ContentError, Topic
from bot.knowledge.readability import MAX_GRADE, grade
from bot.knowledge.render import MESSAGES, Renderer
from bot.knowledge.sources import SourceRules
from bot.knowledge.telegram_html import TelegramHTMLError, utf16_length, visible_text

MAX_ANSWER_CHARS = 900
# The urgent page gives them first; every other reply carries them too (the safety net).
EMERGENCY_NUMBERS = ("999", "112", "911")
NUMBERS_SHOWN = "the emergency numbers 999, 112 and 911"
MAX_MESSAGE_CHARS = (
    4096  # telegram.constants.MessageLimit.MAX_TEXT_LENGTH, kept here to stay Telegram-free
)
_TOPIC_ROW = re.compile(r"^\|\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*\|", re.MULTILINE)


def required_topic_ids(topics_md: Path) -> list[str]:
    """The fixed topic ids: the first column of topics.md's table."""
    return [m for m in _TOPIC_ROW.findall(topics_md.read_text(encoding="utf-8")) if m != "id"]


def grades(catalog: Catalog, renderer: Renderer) -> list[tuple[str, float]]:
    """Reading grade of each medical answer and of the clinician line, as a phone shows them."""
    rows = [("clinician line", grade(renderer.clinician_line))]
    for topic in catalog.topics.values():
        if topic.medical:
            try:
                rows.append((topic.id, grade(renderer.cited(topic)[0])))
            except ContentError:
                continue  # check() reports the broken answer itself
    return rows


def check(catalog: Catalog) -> list[str]:
    """Every problem found, each as 'file: field: problem'; empty when the content is fit to ship."""
    problems: list[str] = []
    root = catalog.root
    required = required_topic_ids(root / "topics.md")
    for topic_id in required:
        if topic_id not in catalog.topics:
            problems.append(
                f"{root / 'topics' / (topic_id + '.yaml')}: (file): missing; topics.md requires it"
            )
    for topic_id, topic in catalog.topics.items():
        if topic_id not in required:
            problems.append(f"{topic.path}: id: {topic_id!r} is not a topic id in topics.md")
    try:
        renderer = Renderer(catalog)
    except ContentError as error:
        return [*problems, str(error)]
    rules = SourceRules.load(root)
    for topic in catalog.topics.values():
        problems.extend(
            f"{topic.path}: {field}: {problem}"
            for field, problem in _topic_problems(topic, renderer, rules)
        )
    problems.extend(_layout_problems(catalog, renderer))
    clinician = grade(renderer.clinician_line)
    if clinician > MAX_GRADE:
        problems.append(
            f"{root / 'templates' / '_clinician.j2'}: (template): {_too_hard(clinician)}"
        )
    return problems


def _too_hard(value: float) -> str:
    return f"reads at grade {value:.1f} on a phone (Flesch-Kincaid); the limit is {MAX_GRADE:.1f}"


def _topic_problems(topic: Topic, renderer: Renderer, rules: SourceRules) -> list[tuple[str, str]]:
    try:
        body, cited = renderer.cited(topic)
        reply = renderer.answer(topic)
    except ContentError as error:
        return [(error.field, error.problem)]
    problems: list[tuple[str, str]] = []
    try:
        shown = visible_text(body)
        if len(shown) > MAX_ANSWER_CHARS:
            problems.append(
                ("answer", f"is {len(shown)} characters of text; the limit is {MAX_ANSWER_CHARS}")
            )
        message = visible_text(reply.html)
    except TelegramHTMLError as error:
        return [("answer", f"Telegram would refuse it: {error}")]
    if utf16_length(message) > MAX_MESSAGE_CHARS:
        problems.append(
            ("answer", f"the whole message is over Telegram's {MAX_MESSAGE_CHARS} characters")
        )
    if not all(number in message for number in EMERGENCY_NUMBERS):
        problems.append(("answer", f"the rendered reply does not show {NUMBERS_SHOWN}"))
    if message.rstrip().endswith(visible_text(renderer.clinician_line)) != topic.medical:
        problems.append(
            ("answer", "the rendered reply does not end with the clinician line")
            if topic.medical
            else ("answer", "ends with the clinician line, which only medical answers carry")
        )
    if topic.medical:
        if (reading := grade(body)) > MAX_GRADE:
            problems.append(("answer", _too_hard(reading)))
        problems.extend(_citation_problems(topic, cited, rules))
    elif cited:
        problems.append(("answer", "a non-medical topic cites sources it does not list"))
    return problems


def _citation_problems(topic: Topic, cited: list[int], rules: SourceRules) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for number, source in enumerate(topic.sources, start=1):
        if number not in cited:
            problems.append((f"sources[{number - 1}]", "is never cited in the answer"))
        problems.extend(
            (f"sources[{number - 1}].{field}", problem) for field, problem in rules.problems(source)
        )
    if topic.sources and not any("A" in rules.tags(s) for s in topic.sources):
        problems.append(("sources", "needs at least one source tagged [A] in facts.md"))
    first_use = list(dict.fromkeys(cited))
    for position, number in enumerate(first_use, start=1):
        if number != position:
            problems.append(
                (
                    "sources",
                    f"cite({number}) comes before the first cite({position}): number sources "
                    "in the order the answer first cites them",
                )
            )
            break
    for paragraph in re.split(r"\n\s*\n", topic.answer.strip()):
        if "cite(" not in paragraph:
            problems.append(("answer", f"paragraph without a citation: {paragraph.strip()[:60]!r}"))
    return problems


def _layout_problems(catalog: Catalog, renderer: Renderer) -> list[str]:
    problems: list[str] = []
    any_topics = list(catalog.topics)[:3]
    replies = {"clarify": renderer.clarify(any_topics), "fallback": renderer.fallback()}
    replies |= {f"urgent ({rule.id})": renderer.urgent(rule) for rule in catalog.triage.categories}
    for name in sorted(renderer.message_names() - set(MESSAGES)):
        # Without a sample it is never rendered here, so a broken one would reach a person first.
        problems.append(
            f"{catalog.root / 'templates' / 'messages.j2'}: {name}: no sample values in "
            "bot/knowledge/render.py MESSAGES"
        )
    for name, values in MESSAGES.items():
        try:
            text = visible_text(renderer.message(name, **values))
        except (ContentError, TelegramHTMLError) as error:
            problems.append(f"{catalog.root / 'templates' / 'messages.j2'}: {name}: {error}")
            continue
        if not text.strip():
            problems.append(f"{catalog.root / 'templates' / 'messages.j2'}: {name}: renders empty")
    for name, reply in replies.items():
        template = catalog.root / "templates" / f"{name.split()[0]}.j2"
        try:
            text = visible_text(reply.html)
        except TelegramHTMLError as error:
            problems.append(f"{template}: (template): Telegram would refuse it: {error}")
            continue
        if not name.startswith("urgent") and not text.endswith(
            visible_text(renderer.clinician_line)
        ):
            problems.append(f"{template}: (template): does not end with the clinician line")
        if not all(number in text for number in EMERGENCY_NUMBERS):
            problems.append(f"{template}: (template): must show {NUMBERS_SHOWN}")
    return problems
