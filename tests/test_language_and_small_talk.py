"""Another language and small talk are recognised without mistaking an English question."""

import json
from pathlib import Path

import pytest

from bot.knowledge.faq import Urgent
from bot.knowledge.matcher import Fallback, Reason
from bot.knowledge.matching_content import SMALL_TALK_KINDS

DATA = Path(__file__).parent / "data"
OTHER_LANGUAGES = [
    line for line in (DATA / "other_languages.txt").read_text().splitlines() if line.strip()
]


@pytest.mark.parametrize("text", OTHER_LANGUAGES)
def test_a_question_in_another_language_is_told_english_only(faq, text: str) -> None:
    assert faq.matcher.match(text).reason is Reason.OTHER_LANGUAGE


def test_no_english_question_is_taken_for_another_language(faq, catalog) -> None:
    """Every topic question, every labelled check question and every near miss is English."""
    texts = [q for topic in catalog.topics.values() for q in topic.questions]
    for path in (DATA / "dev.jsonl", DATA / "dev2.jsonl"):
        texts += [json.loads(line)["q"] for line in path.read_text().splitlines() if line]
    flagged = [t for t in texts if faq.matcher._language.is_other_language(t)]
    assert flagged == []


@pytest.mark.parametrize(
    "text", ["b12 dose?", "hydroxocobalamin 1mg im", "ok", "Bonjour", "jab sore arm", "b12 la"]
)
def test_short_or_mixed_messages_are_read_as_english(faq, text: str) -> None:
    assert not faq.matcher._language.is_other_language(text)


def test_small_talk_replies_are_short_and_kind(renderer) -> None:
    for reason in (Reason.HELLO, Reason.THANKS, Reason.OK, Reason.DOSE):
        reply = renderer.fallback(reason)
        assert reply.html
        assert not reply.show_menu
        assert not reply.choices
    assert "/topics" in renderer.fallback(Reason.HELP).html
    assert "English" in renderer.fallback(Reason.OTHER_LANGUAGE).html
    assert "/taken" in renderer.fallback(Reason.DOSE).html  # how to log it, since this does not


@pytest.mark.parametrize("text", ["goodbye", "bye", "thanks, bye", "good night"])
def test_a_farewell_is_small_talk_not_the_emergency_page(faq, text: str) -> None:
    """Farewells are what suicidal messages say too, so the learned nets weigh them; a message
    that is nothing but a farewell the bot knows as small talk gets its short reply."""
    decision = faq.decide(text)
    assert isinstance(decision, Fallback), decision
    assert decision.reason.value in SMALL_TALK_KINDS


def test_the_learned_nets_still_answer_a_farewell_with_a_plan(faq) -> None:
    decision = faq.decide("the dog is at my sister's and the letters are written. goodbye")
    assert isinstance(decision, Urgent)


@pytest.mark.parametrize(
    "text",
    [
        "taken",
        "i took it",
        "I've taken it, thanks",
        "jab done 👍",
        "mum's had it",
        "took it just now",
        "done ✅",
        "✅",
        "all done",
    ],
)
def test_a_dose_reported_is_told_how_to_log_it_not_paged(faq, text: str) -> None:
    """The commonest reply to a reminder: the learned nets read "i took it" as half an overdose
    (the emergency page, before), and the bot cannot log a dose from a message."""
    decision = faq.decide(text)
    assert decision == Fallback(0.0, (), Reason.DOSE), decision


@pytest.mark.parametrize(
    ("text", "kind"), [("👍", Reason.OK), ("👍🏽", Reason.OK), ("🙏", Reason.THANKS)]
)
def test_a_reply_of_symbols_alone_is_small_talk(faq, text: str, kind: Reason) -> None:
    """They got the whole topic menu; a knife or a skull is no acknowledgement."""
    assert faq.decide(text) == Fallback(0.0, (), kind)
    assert faq.matcher.match("🔪") != Fallback(0.0, (), Reason.OK)


@pytest.mark.parametrize(
    "text", ["took it all", "i took them", "i took all my tablets", "took it all, goodbye"]
)
def test_an_amount_or_other_tablets_is_no_dose_reported(faq, text: str) -> None:
    """Only the usual dose is small talk: an amount, "them" or tablets in general stay for
    triage to weigh, and each of these gets the emergency page."""
    assert isinstance(faq.decide(text), Urgent), text


@pytest.mark.parametrize(
    "text",
    [
        "took me pills with me cuppa",
        "took my long acting insulin at 10pm as always",
        "took my tablets with my porridge",
        "gave dad his insulin at 8pm",
        "nan has had her bedtime tablets x",
        "sorted, took my meds after breakfast",
        "took my citalopram this morning thanks",
        "Mum's had her morning meds ✅",
        "done, gave her the jab left arm",
        # how long ago: the nets read "10 mins ago" as something just happened and paged them
        "took it 10 mins ago",
        "had it half an hour ago",
        "gave mum her jab an hour ago",
    ],
)
def test_a_longer_report_of_the_usual_dose_is_told_how_to_log_it(faq, text: str) -> None:
    """How people answer a reminder at more length: the learned nets paged the first two and put
    the banner on the rest; none of them is more than the usual dose, when and with what."""
    assert faq.decide(text) == Fallback(0.0, (), Reason.DOSE), text


@pytest.mark.parametrize(
    "text",
    [
        "i took my tablets",  # tablets in general, with nothing to say it was the usual dose
        "i took my tablets x",
        "took my citalopram",
        "took all my tablets with breakfast",
        "took the lot with my tea",
        "gave dad his insulin again",
        "had my insulin twice today",
        "took my tablets at 10 and again at 11",
        "i took my tablets with a bottle of wine",
        "took them with breakfast",
        "took all my tablets an hour ago",
        "took 20 tablets 10 mins ago",
    ],
)
def test_an_amount_a_repeat_or_an_unusual_word_is_no_report(faq, text: str) -> None:
    """Left for triage to weigh as any other message (most get the page or the banner)."""
    assert not _small_talk(faq, text), text


def test_no_labelled_emergency_or_caution_is_small_talk(faq) -> None:
    """The learned nets may not page small talk, so it must never claim an alarming message: of
    the 58,000 labelled messages of every triage set, small talk (a dose report included) is
    only ever an ordinary one."""
    claimed = [
        row["text"]
        for path in sorted((DATA / "triage").glob("*.jsonl"))
        for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if row["level"] != "none" and _small_talk(faq, row["text"])
    ]
    assert claimed == []


def _small_talk(faq, text: str) -> bool:
    matched = faq.matcher.match(text)
    return isinstance(matched, Fallback) and matched.reason.value in SMALL_TALK_KINDS
