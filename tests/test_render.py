import re
from dataclasses import replace

import pytest

from bot.knowledge.render import Kind, citation_mark
from bot.knowledge.telegram_html import check_entities, visible_text

DOSE_NUMBER = re.compile(r"\b\d+(\.\d+)?\s*(ml|mL)\b")


def test_every_topic_renders_valid_html_and_medical_ones_end_with_the_clinician_line(
    catalog, renderer
) -> None:
    clinician = visible_text(renderer.clinician_line)
    for topic in catalog.topics.values():
        reply = renderer.answer(topic)
        assert check_entities(reply.html) == [], topic.id
        text = visible_text(reply.html)
        assert text.endswith(clinician) == topic.medical, topic.id
        # The safety net: an emergency triage missed still finds a number under any answer,
        # at its end (above the clinician line where there is one).
        numbers = [text.rfind(n) for n in ("999", "112", "911")]
        assert min(numbers) > len(text) - len(clinician) - 120, topic.id
        assert reply.kind is Kind.ANSWER
        assert reply.topic == topic.id
        assert [c.topic for c in reply.choices] == list(topic.related)


def test_clinician_line_sends_people_to_their_clinician(renderer) -> None:
    line = visible_text(renderer.clinician_line).lower()
    assert all(word in line for word in ("doctor", "nurse", "pharmacist"))


def test_answers_cite_sources_with_numbered_marks(catalog, renderer) -> None:
    topic = catalog.topics["maintenance-dose"]
    html = renderer.answer(topic).html
    assert citation_mark(1) in html
    for source in topic.sources:
        assert f'<a href="{source.url}">' in html


def test_an_unlinked_source_shows_its_title_without_a_link(catalog, renderer) -> None:
    topic = catalog.topics["maintenance-dose"]
    hidden = replace(topic.sources[0], link=False)
    html = renderer.answer(replace(topic, sources=(hidden, *topic.sources[1:]))).html
    assert f"{citation_mark(1)} {hidden.title}\n" in html
    assert f'href="{hidden.url}"' not in html
    assert check_entities(html) == []


def test_no_answer_tells_anyone_a_volume_to_draw_up(catalog, renderer) -> None:
    # Volumes appear only as label strengths (per mL), never as "draw up 0.5 ml".
    for topic in catalog.topics.values():
        text = visible_text(renderer.cited(topic)[0])
        for match in DOSE_NUMBER.finditer(text):
            context = text[max(0, match.start() - 30) : match.end() + 30].lower()
            assert "/" in context or "per" in context or "vial" in context or "=" in context, (
                topic.id,
                context,
            )


def test_urgent_reply_gives_emergency_numbers_first(catalog, renderer) -> None:
    for rule in (*catalog.triage.categories, catalog.triage.general):
        if rule.level != "emergency":
            continue
        reply = renderer.urgent(rule)
        text = visible_text(reply.html)
        assert all(number in text for number in ("999", "112", "911")), rule.id
        # triage.yaml is plain text and the template escapes it: an entity written there shows
        # to the person as "&amp;"
        assert "&amp;" not in text, rule.id
        assert "&lt;" not in text, rule.id
        assert text.index("emergency") < 80
        assert reply.choices == ()


def test_clarify_offers_the_candidates_as_choices(renderer) -> None:
    reply = renderer.clarify(["frequency", "maintenance-dose"])
    assert [c.topic for c in reply.choices] == ["frequency", "maintenance-dose"]
    assert check_entities(reply.html) == []


def test_fallback_asks_for_the_menu(renderer) -> None:
    reply = renderer.fallback()
    assert reply.show_menu
    assert "B12" in visible_text(reply.html)


@pytest.mark.parametrize("title", ["Doses & timing <fast>", "A&E"])
def test_titles_are_escaped(catalog, renderer, title) -> None:
    topic = replace(catalog.topics["frequency"], title=title)
    assert check_entities(renderer.answer(topic).html) == []
