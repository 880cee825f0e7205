"""Other medicines stay out: the lists in content/out_of_scope.yaml and what they may not catch."""

import json
from pathlib import Path

import pytest

from bot.knowledge.catalog import ContentError
from bot.knowledge.faq import Cautioned
from bot.knowledge.matcher import Answer, Clarify, Fallback, Reason
from bot.knowledge.matching_content import load_matching_content


def test_no_topic_question_is_taken_for_another_medicine(faq, catalog) -> None:
    gated = [
        q for t in catalog.topics.values() for q in t.questions if faq.matcher.words(q).not_ours
    ]
    assert gated == []


def test_a_b12_question_no_topic_covers_is_not_covered_with_the_closest_topics(
    faq, renderer
) -> None:
    decision = faq.matcher.match("does b12 make my hair turn orange on a full moon")
    if isinstance(decision, Fallback):
        assert decision.reason is Reason.NOT_COVERED
        assert decision.candidates
        reply = renderer.reply(decision)
        assert "reliable information" in reply.html
        assert [c.topic for c in reply.choices] == list(decision.candidates)
    else:  # a close call is offered, never answered
        assert isinstance(decision, Clarify)


def test_an_off_topic_message_gets_the_menu_not_b12_topics(faq, renderer) -> None:
    decision = faq.matcher.match("how often do I take my mounjaro jab")
    reply = renderer.reply(decision)
    assert reply.show_menu
    assert not reply.choices
    assert renderer.clinician_line in reply.html


# 240 messages by a writer who read no project file (written after out_of_scope.yaml was widened
# by kind, and measured once): 120 about other medicines, vaccines or animals that never name
# B12, 120 about the person's own B12 jab beside one of them.
OTHER_MEDICINES = Path(__file__).parent / "data" / "other_medicines.jsonl"
NOT_OURS = (Reason.OFF_TOPIC, Reason.OTHER_MEDICINE)


def test_other_medicines_written_blind_are_told_no_and_b12_beside_them_stays_ours(faq) -> None:
    rows = [json.loads(line) for line in OTHER_MEDICINES.read_text().splitlines()]
    told_no = answered = 0
    for row in rows:
        decision = faq.decide(row["q"])
        if isinstance(decision, Cautioned):
            decision = decision.decision
        screened = isinstance(decision, Fallback) and decision.reason in NOT_OURS
        if row["ours"] and row["kind"] != "pets_animals":  # a pet's B12 is a vet's question
            assert not screened, row["q"]
        elif not row["ours"]:
            told_no += screened
            answered += isinstance(decision, Answer)
    # Measured: 104 told no and 4 answered a B12 topic (the lists before: 90 and 7).
    assert told_no >= 100
    assert answered <= 5


def test_a_named_diet_is_not_ours_unless_b12_is_named(faq) -> None:
    assert faq.matcher.words("what are the phases of the keto diet").not_ours
    assert not faq.matcher.words("im on keto, do i need more b12").not_ours


def test_a_sibling_answer_offers_the_runner_ups_first(renderer) -> None:
    reply = renderer.reply(Answer("frequency", 70.0, ("frequency", "maintenance-dose")))
    assert reply.topic == "frequency"
    assert reply.choices[0].topic == "maintenance-dose"
    assert len({c.topic for c in reply.choices}) == len(reply.choices)


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("out_of_scope.yaml", "injected: [not, a, mapping]\n", "injected"),
        (
            "matching.yaml",
            "siblings: [[frequency, no-such-topic]]\nsmall_talk: {}\n",
            "siblings[0]",
        ),
        ("languages.yaml", "spanish: hola\n", "spanish"),
        ("phrasings.yaml", "topics: {no-such-topic: [hi]}\n", "topics.no-such-topic"),
        ("phrasings.yaml", "topics: {frequency: how often}\n", "topics.frequency"),
        ("phrasings.yaml", "off_topic: [1, 2]\n", "off_topic"),
    ],
)
def test_a_malformed_matching_file_names_itself(catalog, content_copy, name, text, field) -> None:
    (content_copy / name).write_text(text)
    with pytest.raises(ContentError) as raised:
        load_matching_content(content_copy, frozenset(catalog.topics))
    assert raised.value.path.endswith(name)
    assert raised.value.field == field
