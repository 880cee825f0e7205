from pathlib import Path

import pytest
import yaml

from bot.knowledge.catalog import ContentError, load_catalog
from bot.knowledge.content_check import required_topic_ids


def _edit(path: Path, **changes: object) -> None:
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True))


def test_real_content_loads_every_topic_in_the_menu(catalog) -> None:
    listed = [t for section in catalog.menu for t in section.topics]
    assert sorted(listed) == sorted(catalog.topics)
    assert sorted(catalog.topics) == sorted(required_topic_ids(catalog.root / "topics.md"))


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"id": "something-else"}, "id", "but the file is named"),
        ({"title": ""}, "title", "must be non-empty text"),
        ({"questions": ["only one"]}, "questions", "at least 11"),
        ({"related": ["no-such-topic"]}, "related", "unknown topic 'no-such-topic'"),
        ({"related": ["frequency"]}, "related", "names the topic itself"),
        ({"reviewed": "last week"}, "reviewed", "must be a date"),
        ({"sources": []}, "sources", "needs at least one source"),
        ({"colour": "blue"}, "colour", "is not a known field"),
        ({"answer": None}, "answer", "must be non-empty text"),
        (
            {"sources": [{"title": "NHS", "url": "https://www.nhs.uk/", "link": "no"}]},
            "sources[0].link",
            "must be true or false",
        ),
        (
            {"sources": [{"title": "NHS", "url": "https://www.nhs.uk/", "tag": "A"}]},
            "sources[0].tag",
            "is not a known field",
        ),
    ],
)
def test_a_broken_topic_names_its_file_and_field(
    content_copy: Path, changes, field, problem
) -> None:
    path = content_copy / "topics" / "frequency.yaml"
    _edit(path, **changes)
    with pytest.raises(ContentError) as raised:
        load_catalog(content_copy)
    assert raised.value.path == str(path)
    assert raised.value.field == field
    assert problem in raised.value.problem


def test_repeated_question_is_refused(content_copy: Path) -> None:
    path = content_copy / "topics" / "frequency.yaml"
    questions = yaml.safe_load(path.read_text())["questions"]
    _edit(path, questions=[*questions, questions[1]])
    with pytest.raises(ContentError, match="questions: repeats"):
        load_catalog(content_copy)


def test_invalid_yaml_gives_a_line_number(content_copy: Path) -> None:
    path = content_copy / "topics" / "frequency.yaml"
    path.write_text("id: frequency\nquestions: [unclosed\n")
    with pytest.raises(ContentError, match=r"frequency.yaml: line \d+: is not valid YAML"):
        load_catalog(content_copy)


def test_topic_missing_from_menu_is_refused(content_copy: Path) -> None:
    (content_copy / "topics" / "extra-topic.yaml").write_text(
        (content_copy / "topics" / "privacy.yaml")
        .read_text()
        .replace("id: privacy", "id: extra-topic")
    )
    with pytest.raises(
        ContentError, match=r"index\.yaml: sections: does not list topic 'extra-topic'"
    ):
        load_catalog(content_copy)


def test_a_triage_sign_naming_an_unknown_family_is_refused(content_copy: Path) -> None:
    path = content_copy / "triage.yaml"
    path.write_text(path.read_text().replace("- SWELL & FACEPART", "- SWELL & FACEPARTS", 1))
    with pytest.raises(
        ContentError, match=r"triage.yaml: categories\[0\].strong\[0\]: unknown family 'FACEPARTS'"
    ):
        load_catalog(content_copy)


def test_a_happening_now_cue_naming_an_unknown_family_is_refused(content_copy: Path) -> None:
    path = content_copy / "triage.yaml"
    path.write_text(path.read_text().replace("now: [NOW, PLAN_TIME]", "now: [NOW, PLAN_TIMES]", 1))
    with pytest.raises(ContentError, match=r"triage.yaml: categories\[\d+\].now: unknown family"):
        load_catalog(content_copy)


def test_triage_without_the_self_harm_category_is_refused(content_copy: Path) -> None:
    """The self-harm net names its emergencies and banners by it: without it, a reply would fail
    where it matters most, not at start-up."""
    path = content_copy / "triage.yaml"
    path.write_text(path.read_text().replace("- id: self-harm", "- id: self-hurt", 1))
    with pytest.raises(ContentError, match=r"triage.yaml: categories: needs .*'self-harm'"):
        load_catalog(content_copy)


def test_an_unquoted_yes_or_no_in_triage_is_refused(content_copy: Path) -> None:
    """YAML reads a bare no as false: the family would silently lose the word."""
    path = content_copy / "triage.yaml"
    path.write_text(path.read_text().replace('NEG: [not, "no",', "NEG: [not, no,", 1))
    with pytest.raises(ContentError, match=r"triage.yaml: families.NEG: must be a list"):
        load_catalog(content_copy)


def test_a_variant_under_two_canonical_words_is_refused(content_copy: Path) -> None:
    path = content_copy / "synonyms.yaml"
    data = yaml.safe_load(path.read_text())
    data["synonyms"]["dose"].append("shot")
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(
        ContentError, match=r"synonyms\.yaml: synonyms\.(dose|jab): 'shot' is also under"
    ):
        load_catalog(content_copy)


def test_a_source_is_linked_unless_it_says_link_false(content_copy: Path) -> None:
    path = content_copy / "topics" / "frequency.yaml"
    sources = yaml.safe_load(path.read_text())["sources"]
    sources[0]["link"] = False
    sources[1].pop("link", None)
    _edit(path, sources=sources)
    loaded = load_catalog(content_copy).topics["frequency"].sources
    assert [source.link for source in loaded[:2]] == [False, True]
