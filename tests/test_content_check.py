"""content-check, on a small content folder built here: it passes clean, so each test's one
change is the only thing that can produce the problem it expects."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.knowledge.catalog import Source, default_content_dir, load_catalog
from bot.knowledge.content_check import check
from bot.knowledge.sources import SourceRules

NHS = "https://nhs.uk/medicines/hydroxocobalamin/about-hydroxocobalamin"
GP = "https://unimed.co.uk/self-administering-a-vitamin-b12-injection"
COPY = "https://copies.example.org/about-hydroxocobalamin"
MIRROR = "http://govwire.co.uk/news/cobalt"
RECORD = "https://api.fda.gov/drug/label.json?search=set_id%3Aabc"
DAILYMED = "https://dailymed.nlm.nih.gov/dailymed/search.cfm?query=cyanocobalamin+injection"

FACTS = f"""# Facts

- **Injections:** "It is given as an injection."
  - Cite as: NHS — About hydroxocobalamin — {NHS} [A]
  - Verified in: {COPY} (copy of the NHS text; do not link)
- **At home:** "off-licence but still effective". — Unimed — Self-administering — {GP} [L, GP practice]
- **Cobalt:** Cite as: MHRA — Drug Safety Update — no primary found. Read at {MIRROR} [M, do not link]
- **US label:** Cite as: US FDA — Cyanocobalamin label — {RECORD} [A]
- **Test servers:** https://uat.sps.nhs.uk/?p=1 [M, do not link]; https://m.booksci.cn/lit/1.htm [M];
  https://spsuat.devitup.co/?p=2 [M, do not link]
"""
LOW_TRUST = {
    "hosts": [
        {"domain": "booksci.cn", "reason": "an aggregator's copy"},
        {"prefix": "uat.", "reason": "a test server"},
        {"word": "devitup", "reason": "an agency's development servers"},
    ]
}
READABLE = {
    "pages": [
        {
            "readable": DAILYMED,
            "title": "US FDA label: cyanocobalamin injection",
            "records": [RECORD],
            "why": "the same label, readable",
        }
    ]
}
ANSWER = "Most people have the jab every few months{{ cite(1) }}.\n\nSome learn to give it at home{{ cite(2) }}."
SOURCES = [{"title": "NHS: About hydroxocobalamin", "url": NHS}, {"title": "Unimed", "url": GP}]
HARD = (
    "Intramuscular hydroxocobalamin administration necessitates comprehensive haematological"
    " monitoring and individualised pharmacological consideration{{ cite(1) }}{{ cite(2) }}."
)


def _write_yaml(path: Path, data: object) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def _topic(topic_id: str, **fields: object) -> dict[str, object]:
    return {
        "id": topic_id,
        "title": topic_id.replace("-", " ").capitalize(),
        "reviewed": "2026-12-03",
        "questions": [f"question {n} about the jab" for n in range(11)],
        "related": [],
        **fields,
    }


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """Two topics, the real layouts and vocabulary, and just enough facts and lists to pass."""
    root = tmp_path / "content"
    (root / "topics").mkdir(parents=True)
    (root / "templates").mkdir()
    for template in (default_content_dir() / "templates").glob("*.j2"):
        (root / "templates" / template.name).write_text(template.read_text())
    (root / "topics.md").write_text("| id | what |\n|---|---|\n| jab-basics | x |\n| about | y |\n")
    (root / "facts.md").write_text(FACTS)
    _write_yaml(root / "low_trust_sources.yaml", LOW_TRUST)
    _write_yaml(root / "readable_sources.yaml", READABLE)
    _write_yaml(
        root / "index.yaml", {"sections": [{"title": "All", "topics": ["jab-basics", "about"]}]}
    )
    for name in ("synonyms.yaml", "triage.yaml"):  # not under test here: the real ones
        (root / name).write_text((default_content_dir() / name).read_text())
    _write_yaml(
        root / "topics" / "jab-basics.yaml", _topic("jab-basics", answer=ANSWER, sources=SOURCES)
    )
    _write_yaml(
        root / "topics" / "about.yaml",
        _topic("about", medical=False, answer="I am a bot that answers questions."),
    )
    return root


def _change(content: Path, **fields: object) -> Path:
    path = content / "topics" / "jab-basics.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(fields)
    _write_yaml(path, data)
    return path


def _with_source(content: Path, source: dict[str, object]) -> Path:
    return _change(content, sources=[SOURCES[0], source])


def test_the_fixture_passes(content: Path) -> None:
    assert check(load_catalog(content)) == []


def test_real_content_passes(catalog) -> None:
    assert check(catalog) == []


def test_unsupported_html_is_reported_with_file_and_field(content: Path) -> None:
    path = _change(content, answer="<p>Every 2-3 months{{ cite(1) }}{{ cite(2) }}</p>")
    problems = check(load_catalog(content))
    assert any(p.startswith(f"{path}: answer: Telegram would refuse it") for p in problems)


def test_uncited_paragraph_and_uncited_source_are_reported(content: Path) -> None:
    path = _change(content, answer="Every 2-3 months in the UK.")
    problems = check(load_catalog(content))
    assert (
        f"{path}: answer: paragraph without a citation: 'Every 2-3 months in the UK.'" in problems
    )
    assert f"{path}: sources[0]: is never cited in the answer" in problems


def test_citation_of_a_missing_source_is_reported(content: Path) -> None:
    path = _change(content, answer="Monthly{{ cite(9) }}.")
    problems = check(load_catalog(content))
    assert f"{path}: answer: cite(9) has no matching entry in sources" in problems


def test_too_long_answer_is_reported(content: Path) -> None:
    path = _change(content, answer="Every 2-3 months. " * 80 + "{{ cite(1, 2) }}")
    problems = check(load_catalog(content))
    assert any(p.startswith(f"{path}: answer: is ") and "the limit is 900" in p for p in problems)


def test_citations_must_be_numbered_in_order_of_first_use(content: Path) -> None:
    path = _change(
        content,
        answer=ANSWER.replace("cite(1)", "cite(X)")
        .replace("cite(2)", "cite(1)")
        .replace("cite(X)", "cite(2)"),
    )
    assert check(load_catalog(content)) == [
        f"{path}: sources: cite(2) comes before the first cite(1): number sources in the order "
        "the answer first cites them"
    ]


def test_a_later_repeat_of_an_earlier_citation_is_in_order(content: Path) -> None:
    _change(content, answer=ANSWER + "\n\nAsk your nurse{{ cite(1) }}.")
    assert check(load_catalog(content)) == []


@pytest.mark.parametrize(
    ("url", "host", "reason"),
    [
        ("https://m.booksci.cn/lit/1.htm", "m.booksci.cn", "an aggregator's copy"),
        ("https://uat.sps.nhs.uk/?p=1", "uat.sps.nhs.uk", "a test server"),
        ("https://spsuat.devitup.co/?p=2", "spsuat.devitup.co", "an agency's development servers"),
    ],
)
def test_low_trust_host_is_refused_even_unlinked(content: Path, url, host, reason) -> None:
    path = _with_source(content, {"title": "Copy", "url": url, "link": False})
    assert check(load_catalog(content)) == [
        f"{path}: sources[1].url: {host} is on the low-trust list: {reason}"
    ]


def test_verified_in_address_is_never_a_source(content: Path) -> None:
    path = _with_source(content, {"title": "NHS text", "url": COPY})
    assert check(load_catalog(content)) == [
        f"{path}: sources[1].url: is only a copy in facts.md ('Verified in' / 'read at'), never a source"
    ]


def test_address_not_in_facts_is_refused(content: Path) -> None:
    path = _with_source(content, {"title": "Elsewhere", "url": "https://example.com/b12"})
    assert check(load_catalog(content)) == [
        f"{path}: sources[1].url: does not appear in facts.md as a 'Cite as' address"
    ]


def test_do_not_link_entry_needs_link_false(content: Path) -> None:
    path = _with_source(content, {"title": "MHRA: Drug Safety Update", "url": MIRROR})
    assert check(load_catalog(content)) == [
        f"{path}: sources[1].link: facts.md says no primary found / do not link: set link: false"
    ]
    _with_source(content, {"title": "MHRA: Drug Safety Update", "url": MIRROR, "link": False})
    assert check(load_catalog(content)) == []


def test_raw_record_is_linked_through_its_readable_page(content: Path) -> None:
    path = _with_source(content, {"title": "US FDA label", "url": RECORD})
    assert check(load_catalog(content)) == [
        f"{path}: sources[1].url: is raw data a reader can't use: link {DAILYMED}"
    ]
    _with_source(content, {"title": "US FDA label: cyanocobalamin injection", "url": DAILYMED})
    assert check(load_catalog(content)) == []


def test_readable_page_keeps_its_plain_title(content: Path) -> None:
    path = _with_source(content, {"title": "DailyMed search", "url": DAILYMED})
    assert check(load_catalog(content)) == [
        f"{path}: sources[1].title: must be 'US FDA label: cyanocobalamin injection' "
        "(readable_sources.yaml)"
    ]


def test_readable_page_carries_its_records_trust_tag(content: Path) -> None:
    _change(
        content,
        answer="It is a jab{{ cite(1) }}.",
        sources=[{"title": "US FDA label: cyanocobalamin injection", "url": DAILYMED}],
    )
    assert check(load_catalog(content)) == []


def test_a_topic_needs_an_authoritative_source(content: Path) -> None:
    path = _change(
        content,
        answer="Some learn to give it at home{{ cite(1) }}.",
        sources=[SOURCES[1]],
    )
    assert check(load_catalog(content)) == [
        f"{path}: sources: needs at least one source tagged [A] in facts.md"
    ]


@pytest.mark.parametrize(
    "title",
    [
        "US cyanocobalamin label (mirror)",
        "MHRA Drug Safety Update (verbatim copy)",
        "Vitamin B12 preparations (textbook extract)",
        "NHS: About hydroxocobalamin [A]",
        "MHRA: Drug Safety Update [M, do not link]",
    ],
)
def test_titles_with_editors_notes_are_refused(content: Path, title) -> None:
    path = _change(content, sources=[{"title": title, "url": NHS}, SOURCES[1]])
    problems = check(load_catalog(content))
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: sources[0].title: ")
    assert problems[0].endswith("is a note for editors: write the title plainly")


def test_hard_answer_fails_the_reading_grade(content: Path) -> None:
    path = _change(content, answer=HARD)
    problems = check(load_catalog(content))
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: answer: reads at grade ")
    assert problems[0].endswith("the limit is 8.0")


def test_hard_clinician_line_fails_the_reading_grade(content: Path) -> None:
    line = content / "templates" / "_clinician.j2"
    line.write_text(
        "Consultation with appropriately qualified healthcare professionals regarding "
        "individualised therapeutic decisions is recommended."
    )
    problems = check(load_catalog(content))
    assert len(problems) == 1
    assert problems[0].startswith(f"{line}: (template): reads at grade ")


def test_readability_flag_prints_every_grade_and_plain_check_fails_on_a_hard_answer(
    content: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("B12BOT_CONTENT_DIR", str(content))
    assert main(["content-check", "--readability"]) == 0
    table = capsys.readouterr().out.split("\n\n")[0].splitlines()
    rows = dict(reversed(line.split(None, 1)) for line in table[1:])
    assert set(rows) == {"jab-basics", "clinician line"}
    assert all(float(value) <= 8.0 for value in rows.values())

    _change(content, answer=HARD)
    assert main(["content-check"]) == 1
    assert "reads at grade" in capsys.readouterr().out
    assert main(["content-check", "--readability"]) == 1
    assert "jab-basics  (too hard)" in capsys.readouterr().out


def test_missing_topic_is_reported(content: Path) -> None:
    (content / "topics.md").write_text((content / "topics.md").read_text() + "| dose | z |\n")
    problems = check(load_catalog(content))
    assert problems == [
        f"{content / 'topics' / 'dose.yaml'}: (file): missing; topics.md requires it"
    ]


def test_layout_without_clinician_line_is_reported(content: Path) -> None:
    layout = content / "templates" / "answer.j2"
    layout.write_text(layout.read_text().replace('{% include "_clinician.j2" %}', ""))
    problems = check(load_catalog(content))
    assert any("does not end with the clinician line" in p for p in problems)


def test_an_answer_without_the_emergency_numbers_is_reported(content: Path) -> None:
    """The safety net under every answer, medical or not: a triage miss answered from any topic
    must still leave the person a number."""
    path = content / "templates" / "answer.j2"
    text = path.read_text()
    assert '{% include "_safety_net.j2" %}' in text
    path.write_text(text.replace('{% include "_safety_net.j2" %}', ""))
    problems = check(load_catalog(content))
    for name in ("jab-basics.yaml", "about.yaml"):  # the fixture's medical and other topic
        assert any(
            f"{name}: answer: the rendered reply does not show the emergency numbers" in p
            for p in problems
        ), name


@pytest.mark.parametrize("layout", ["clarify", "fallback"])
def test_a_reply_without_the_emergency_numbers_is_reported(content: Path, layout: str) -> None:
    """The safety net: a triage miss must still leave the person a number, whatever the reply."""
    path = content / "templates" / f"{layout}.j2"
    text = path.read_text()
    assert '{% include "_safety_net.j2" %}' in text
    path.write_text(text.replace('{% include "_safety_net.j2" %}', ""))
    problems = check(load_catalog(content))
    assert any(
        f"{layout}.j2: (template): must show the emergency numbers 999, 112 and 911" in p
        for p in problems
    )


def test_a_message_with_no_sample_values_is_reported(content: Path) -> None:
    """content-check renders every message with samples; one without would first render for a
    person."""
    messages = content / "templates" / "messages.j2"
    messages.write_text(
        messages.read_text() + "\n{% macro untried(x) -%}{{ x.y.z }}{%- endmacro %}\n"
    )
    problems = check(load_catalog(content))
    assert any("untried: no sample values" in p for p in problems)


def test_clinician_line_on_a_non_medical_topic_is_reported(content: Path) -> None:
    layout = content / "templates" / "answer.j2"
    text = layout.read_text()
    assert "{% if topic.medical %}" in text
    layout.write_text(text.replace("{% if topic.medical %}", "{% if true %}"))
    problems = check(load_catalog(content))
    assert any(
        "about.yaml: answer: ends with the clinician line, which only medical answers carry" in p
        for p in problems
    )


def test_command_exits_non_zero_naming_the_file(content: Path) -> None:
    path = content / "topics" / "jab-basics.yaml"
    path.write_text(path.read_text().replace("id: jab-basics", "id: jab-wrong"))
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "content-check"],
        capture_output=True,
        text=True,
        env={"B12BOT_CONTENT_DIR": str(content), "PATH": ""},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"b12bot: content error: {path}: id: is 'jab-wrong' but the file is named jab-basics.yaml"
    )
    assert "Traceback" not in result.stderr


# Hosts facts.md's "What changed" removed as sources, and the others issue 9 names.
REMOVED = [
    "https://www.recallguide.org/manufacturer/rx-pharma-pack-inc/",
    "https://globalrph.com/rx-list/cyanocobalamin-drug",
    "http://edrugswiki.com/drug/b-12-compliance-injection",
    "https://fda.report/DailyMed/7e10c47d-1036-47c1-a0ed-6929636366c2",
    "https://vdocuments.site/cyanocobalamin.html",
    "https://www.scribd.com/document/540537437/Cyanocobalamin",
    "https://fanyv88.com:443/https/www.scribd.com/document/540537437/Cyanocobalamin",
    "https://myhealthbox.eu/en/cyanocobalamin-injection/3841800",
    "https://uat.mimsdev.com/hongkong/drug/info/hydroxocobalamin",
    "https://m.booksci.cn/literature/145079507.htm",
    "https://www.clicktocurecancer.info/vitamin-b12",
    "https://twnlivestorage1.blob.core.windows.net/audio/b12.pdf",
    "https://healthunlocked.com/tag/hydroxocobalamin",
    "https://scienceinsights.org/b12",
    "https://gendergp.com/b12",
    "https://medank.com/b12",
    "https://premierhormonehealth.com/b12",
    "https://222health.com/b12",
    "https://a4medicine.co.uk/b12",
    "https://docslib.org/doc/1/b12",
    "https://pharmamedix.com/b12",
    "https://prescriber.org.uk/b12",
    "https://thefitnessmanual.com/b12",
    "https://drpharmacy.uk/health-detail/?topic=vitamin-b12-or-folate-deficiency-anaemia",
    "https://staging.formulary.nhs.scot/east/nutrition-and-blood/blood/megaloblastic-anaemia",
    "https://www.epgonline.org/drugs/hydroxocobalamin/",
    "https://imedi.co.uk/cytamen-injection-1000mcg/g/a58b:e239:ad71?doc=1",
    "https://download.skyscape.com/download/ota/ebmg/tn13.htm",
    "https://www.realvalueproducts.com/products/hydroxocobalamin-injection",
    "https://uat.sps.nhs.uk/?p=94259",
    "https://spsuat.devitup.co/?p=74928",
]


@pytest.mark.parametrize("url", REMOVED)
def test_the_real_low_trust_list_refuses_every_removed_host(url: str) -> None:
    rules = SourceRules.load(default_content_dir())
    problems = rules.problems(Source("A page", url, link=False))
    assert any(field == "url" and "low-trust list" in problem for field, problem in problems)


def test_the_real_lists_let_primary_sources_through() -> None:
    rules = SourceRules.load(default_content_dir())
    for url in (NHS, "https://www.nice.org.uk/guidance/ng239/chapter/Recommendations"):
        assert rules.problems(Source("A page", url)) == []
    for page in rules.readable.values():
        assert rules.problems(Source(page.title, page.url)) == []
        assert all(rules.cite_as[record].tag == "A" for record in page.records)
