from pathlib import Path

import pytest
import yaml

from bot.knowledge.matcher import Answer, Clarify, Fallback, Thresholds, decide

NEAR_MISSES = Path(__file__).parent / "data" / "near_misses"
T = Thresholds(answer=60, margin=10, clarify=40, window=8)


def test_one_clear_winner_is_answered() -> None:
    assert decide({"frequency": 80, "maintenance-dose": 60}, T) == Answer(
        "frequency", 80, ("frequency",)
    )


def test_two_close_topics_are_offered_not_answered() -> None:
    decision = decide({"frequency": 80, "maintenance-dose": 75, "missed-dose": 30}, T)
    assert decision == Clarify(80, ("frequency", "maintenance-dose"))


def test_a_weak_best_is_offered() -> None:
    assert decide({"frequency": 50, "children": 20}, T) == Clarify(50, ("frequency",))


def test_nothing_close_falls_back() -> None:
    assert isinstance(decide({"frequency": 30}, T), Fallback)
    assert decide({}, T) == Fallback(0.0)


def test_clarify_offers_at_most_three() -> None:
    scores = {f"t{i}": 70 - i for i in range(6)}
    assert len(decide(scores, T).candidates) == 3


def test_every_canonical_question_is_answered_with_its_topic(faq, catalog) -> None:
    wrong = {}
    for topic in catalog.topics.values():
        decision = faq.decide(topic.questions[0])
        if not (isinstance(decision, Answer) and decision.topic == topic.id):
            wrong[topic.id] = decision
    assert wrong == {}


# Misses we know of and have not fixed: listed so they cannot pass or fail unnoticed.
KNOWN_MISSES = {
    "my folate is normal but my b12 is low, what could be causing that?": (
        "'folate' weighs more in folic-acid's profile than 'causing' in deficiency-causes'"
    ),
    "do I need a blood test during the loading doses, and when?": (
        "'loading doses' outweighs 'blood test': answered loading-dose by a margin of 7"
    ),
    "delete everything you have stored about me": (
        "triage's learned net, with no sign to check it, reads 'delete everything' as an emergency"
    ),
    "my dog chewed up a vitamin B12 tablet, will he be ok?": (
        "triage reads a pet's swallowed tablet as poisoning: pets are not a category yet"
    ),
}


def _near_misses() -> list[object]:
    cases = []
    for path in sorted(NEAR_MISSES.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text()):
            marks = []
            if item["text"] in KNOWN_MISSES:
                marks = [pytest.mark.xfail(reason=KNOWN_MISSES[item["text"]], strict=True)]
            cases.append(pytest.param(path.stem, item["text"], item["expect"], marks=marks))
    return cases


@pytest.mark.parametrize(("topic", "text", "expect"), _near_misses())
def test_near_misses_are_not_answered_with_the_topic_they_resemble(
    faq, topic, text, expect
) -> None:
    decision = faq.decide(text)
    assert not (isinstance(decision, Answer) and decision.topic == topic)
    assert (type(decision).__name__ == "Urgent") == (expect == "urgent")


@pytest.mark.parametrize(
    "text",
    [
        "how often do I need a vitamin D injection",
        "dose of testosterone shot",
        "insulin injection how much",
        "b12 for my dog how much",
        "how often do cats need b12 shots",
        "flu jab side effects",
    ],
)
def test_other_subjects_fall_back(faq, text: str) -> None:
    assert isinstance(faq.decide(text), Fallback)


def test_the_question_inside_a_story_is_found(faq) -> None:
    story = (
        "My mum has had pernicious anaemia for years and the practice nurse usually comes round. "
        "This time the nurse is off sick and mum's jab is now ten days overdue. "
        "What should we do about the late injection?"
    )
    decision = faq.decide(story)
    assert isinstance(decision, Answer | Clarify)
    assert "missed-dose" in (
        (decision.topic,) if isinstance(decision, Answer) else decision.candidates
    )
