from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.knowledge.matcher import Answer, Clarify, Fallback, Reason, Signals, Thresholds, decide

NEAR_MISSES = Path(__file__).parent / "data" / "near_misses"
T = Thresholds(answer=60, margin=10, clarify=40, window=8, confidence=0.5, single=0.5)
DOSES = frozenset({"dose-general", "maintenance-dose", "frequency"})


def signals(scores: dict[str, float], pick: str | None = None, probability: float = 0.9):
    """Scores as decide() gets them; the classifier agrees with the best unless told otherwise."""
    ranked = dict(sorted(scores.items(), key=lambda item: -item[1]))
    return Signals(ranked, pick or next(iter(ranked), None), probability, ours=True)


def test_one_clear_winner_is_answered() -> None:
    assert decide(signals({"frequency": 80, "maintenance-dose": 60}), T) == Answer(
        "frequency", 80, ("frequency",)
    )


def test_two_close_topics_are_offered_not_answered() -> None:
    decision = decide(signals({"frequency": 80, "maintenance-dose": 75, "children": 30}), T)
    assert decision == Clarify(80, ("frequency", "maintenance-dose"))


def test_close_siblings_are_answered_with_the_others_as_buttons() -> None:
    scores = {"frequency": 80, "maintenance-dose": 75, "dose-general": 74}
    assert decide(signals(scores), T, [DOSES]) == Answer(
        "frequency", 80, ("frequency", "maintenance-dose", "dose-general")
    )
    # One close topic that is not a sibling is enough to ask instead.
    mixed = {"frequency": 80, "maintenance-dose": 75, "children": 74}
    assert isinstance(decide(signals(mixed), T, [DOSES]), Clarify)


def test_a_did_you_mean_takes_turns_between_the_words_and_the_classifiers_choices() -> None:
    """The classifier ranks the right topic among its first three more often than the words do,
    so its choices are offered beside the best-scoring topics, never more than four."""
    scores = {"frequency": 80, "maintenance-dose": 75, "children": 74, "storage": 20}
    classifier = Signals(
        dict(scores), "storage", 0.4, ours=True, runners_up=("frequency", "travel")
    )
    assert decide(classifier, T) == Clarify(
        80, ("frequency", "storage", "maintenance-dose", "children")
    )
    # Agreeing on the first, the classifier's turn passes to its runner-up.
    agreeing = Signals(dict(scores), "frequency", 0.4, ours=True, runners_up=("storage",))
    assert decide(agreeing, T) == Clarify(
        80, ("frequency", "maintenance-dose", "storage", "children")
    )


def test_the_classifier_vetoes_a_direct_answer_it_disagrees_with() -> None:
    decision = decide(signals({"frequency": 80, "children": 50}, pick="children"), T)
    assert decision == Clarify(80, ("frequency", "children"))


def test_an_unsure_classifier_vetoes_too() -> None:
    decision = decide(signals({"frequency": 80, "children": 50}, probability=0.3), T)
    assert decision == Clarify(80, ("frequency", "children"))


def test_a_trusted_classifier_answers_a_close_call_it_agrees_with() -> None:
    close = {"frequency": 50, "maintenance-dose": 48}
    trusting = Thresholds(answer=60, margin=10, clarify=40, window=8, confidence=0.5, trust=0.9)
    assert decide(signals(close, probability=0.95), trusting) == Answer(
        "frequency", 50, ("frequency", "maintenance-dose")
    )
    assert isinstance(decide(signals(close, probability=0.85), trusting), Clarify)
    disagreeing = signals(close, pick="maintenance-dose", probability=0.95)
    assert isinstance(decide(disagreeing, trusting), Clarify)


def test_a_single_close_topic_is_answered_never_offered_alone() -> None:
    decision = decide(signals({"frequency": 50, "children": 20}), T)
    assert decision == Answer("frequency", 50, ("frequency",))
    unsure = decide(signals({"frequency": 50, "children": 20}, probability=0.2), T)
    assert unsure == Fallback(50, ("frequency", "children"), Reason.NOT_COVERED)
    with_runner_up = decide(signals({"frequency": 50, "children": 41}, probability=0.2), T)
    assert with_runner_up == Clarify(50, ("frequency", "children"))


def test_a_lone_close_topic_the_classifier_doubts_is_offered_beside_its_choices() -> None:
    """One topic close, the classifier unsure of it but leaning (at least `lead`) to others it
    ranks: a "did you mean" with both, rather than "I don't have that"; below `lead`, nothing."""
    leaning = Signals({"frequency": 50, "children": 20}, "missed-dose", 0.3, True, ("storage",))
    assert decide(leaning, T) == Clarify(50, ("frequency", "missed-dose", "storage"))
    assert decide(replace(leaning, probability=0.1), T) == Fallback(
        50, ("frequency", "children"), Reason.NOT_COVERED
    )


@pytest.mark.parametrize(
    "scores",
    [
        {"frequency": 50, "children": 20},
        {"frequency": 65, "children": 58},
        {"frequency": 50, "children": 41, "privacy": 40},
        {"frequency": 90},
        {"frequency": 45, "children": 44, "privacy": 43},
    ],
)
@pytest.mark.parametrize("pick", [None, "children", "privacy"])
@pytest.mark.parametrize("probability", [0.1, 0.9])
def test_a_clarify_always_offers_at_least_two(scores, pick, probability) -> None:
    decision = decide(signals(scores, pick, probability), T, [DOSES])
    if isinstance(decision, Clarify):
        assert len(set(decision.candidates)) >= 2


def test_nothing_close_falls_back_with_the_closest_topics() -> None:
    unsure = signals({"frequency": 30, "children": 10}, probability=0.3)
    assert decide(unsure, T) == Fallback(30, ("frequency", "children"), Reason.NOT_COVERED)


def test_words_too_far_but_a_sure_classifier_offers_its_own_choices() -> None:
    """It learned wordings that the topics' questions do not share ("jag", "top-up")."""
    sure = Signals(
        {"frequency": 30, "children": 10}, "missed-dose", 0.8, True, ("frequency", "aftercare")
    )
    assert decide(sure, T) == Clarify(30, ("missed-dose", "frequency", "aftercare"))
    assert decide(sure, replace(T, lead=0.9)) == Fallback(
        30, ("frequency", "children"), Reason.NOT_COVERED
    )
    off_topic = Signals({}, None, 0.0, ours=False)
    assert decide(off_topic, T) == Fallback(0.0, (), Reason.OFF_TOPIC)


def test_clarify_offers_at_most_three_close_topics_and_four_with_the_classifiers() -> None:
    scores = {f"t{i}": 70 - i for i in range(6)}
    assert len(decide(signals(scores), T).candidates) == 3
    both = Signals(scores, "t5", 0.4, True, ("t4", "t3"))
    assert decide(both, T).candidates == ("t0", "t5", "t1", "t4")


def test_every_canonical_question_is_answered_with_its_topic(faq, catalog) -> None:
    wrong = {}
    for topic in catalog.topics.values():
        decision = faq.matcher.match(topic.questions[0])
        if not (isinstance(decision, Answer) and decision.topic == topic.id):
            wrong[topic.id] = decision
    assert wrong == {}


def _near_misses() -> list[object]:
    return [
        pytest.param(path.stem, item["text"], item["expect"], id=f"{path.stem}: {item['text']}")
        for path in sorted(NEAR_MISSES.glob("*.yaml"))
        for item in yaml.safe_load(path.read_text())
        if item["expect"] != "urgent"  # triage's, tested in test_triage.py
    ]


@pytest.mark.parametrize(("topic", "text", "expect"), _near_misses())
def test_near_misses_are_not_answered_with_the_topic_they_resemble(
    faq, topic, text, expect
) -> None:
    decision = faq.matcher.match(text)
    assert not (isinstance(decision, Answer) and decision.topic == topic)


@pytest.mark.parametrize(
    "text",
    [
        "how often do I need a vitamin D injection",
        "dose of testosterone shot",
        "insulin injection how much",
        "flu jab side effects",
        "how often do I take my weight loss jab",
        "I missed my mounjaro dose yesterday",
        "what's the dose of amoxicillin",
        "is levofloxacin safe with alcohol",
        "how often is the depo shot",
        "I have been on the depo shot for years and was due for a shot last week",
        "is the shingles vaccine 1 or 2 jabs",
        "best needles for insulin pens",
        "I Missed My Weekly Dose of Ozempic—What Should I Do?",
    ],
)
def test_other_medicines_are_told_who_can_help(faq, renderer, text: str) -> None:
    decision = faq.matcher.match(text)
    assert decision == Fallback(0.0, (), Reason.OTHER_MEDICINE)
    reply = renderer.reply(decision)
    assert "another medicine, vaccine or supplement" in reply.html
    assert "Try asking in other words" not in reply.html


@pytest.mark.parametrize("text", ["b12 for my dog how much", "how often do cats need b12 shots"])
def test_animals_fall_back_as_off_topic(faq, text: str) -> None:
    assert faq.matcher.match(text) == Fallback(0.0, (), Reason.OFF_TOPIC)


@pytest.mark.parametrize(
    "text",
    [
        "are b12 jabs ok if I'm on warfarin",
        "can I have my covid vaccine the same day as my b12",
        "can I take paracetamol after my jab",
    ],
)
def test_b12_questions_that_name_another_medicine_are_ours(faq, text: str) -> None:
    decision = faq.matcher.match(text)
    assert not (
        isinstance(decision, Fallback)
        and decision.reason in (Reason.OFF_TOPIC, Reason.OTHER_MEDICINE)
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hi", Reason.HELLO),
        ("Hello there!", Reason.HELLO),
        ("good morning 🙂", Reason.HELLO),
        ("thanks", Reason.THANKS),
        ("thank you so much x", Reason.THANKS),
        ("ok thanks", Reason.THANKS),
        ("ok", Reason.OK),
        ("Got it.", Reason.OK),
        ("help", Reason.HELP),
        ("hi, help please", Reason.HELP),
        ("taken, thanks", Reason.DOSE),
        ("had my jab this morning", Reason.DOSE),
    ],
)
def test_small_talk_gets_its_own_reply(faq, text: str, reason: Reason) -> None:
    assert faq.matcher.match(text) == Fallback(0.0, (), reason)


@pytest.mark.parametrize(
    "text", ["hi, how often do I need my b12 jab?", "thanks, and what about the loading dose?"]
)
def test_a_question_after_a_greeting_is_still_a_question(faq, text: str) -> None:
    assert isinstance(faq.matcher.match(text), Answer | Clarify)


def test_the_question_inside_a_story_is_found(faq) -> None:
    story = (
        "My mum has had pernicious anaemia for years and the practice nurse usually comes round. "
        "This time the nurse is off sick and mum's jab is now ten days overdue. "
        "What should we do about the late injection?"
    )
    decision = faq.matcher.match(story)
    assert isinstance(decision, Answer | Clarify)
    assert "missed-dose" in decision.candidates


def test_the_question_inside_a_long_story_is_found(faq) -> None:
    story = (
        "My mum has had pernicious anaemia for years. The practice nurse usually comes round. "
        "This time the nurse is off sick. Mum's jab is now ten days overdue. "
        "What should we do about the late injection? She seems fine in herself. "
        "Her neighbour is keeping an eye on her. We live two hours away."
    )
    decision = faq.matcher.match(story)
    assert isinstance(decision, Answer | Clarify)
    assert "missed-dose" in decision.candidates
