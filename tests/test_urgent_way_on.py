"""An emergency page the learned nets doubt (they alone called it, or a sign called it and they
would not have) offers, under it, the answer the message would otherwise have had; a page a
sign called with the nets agreeing, or one with the crisis lines, offers nothing."""

from __future__ import annotations

import pytest

from bot.knowledge.faq import FAQ, UnsureUrgent
from bot.knowledge.matcher import Answer, Fallback, Reason
from bot.knowledge.telegram_html import visible_text
from bot.knowledge.triage import Urgent
from bot.knowledge.triage_model import Thresholds
from bot.telegram.keyboards import OpenTopic, decode
from bot.telegram.replies import keyboard_for
from tests.test_triage import stub_nets

CUT = Thresholds(emergency=0.5, caution=0.1, self_harm=0.5, self_harm_banner=0.3)
QUESTION = "how often should i have my injection"  # a word the taxonomy knows ("injection")
SIGN = "how often should i have my injection? my lips are swelling up"  # a sign said plainly
MISREAD = "Did I misread you?"


def test_a_page_the_nets_alone_called_keeps_what_would_have_been_answered(catalog) -> None:
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=0.9))
    decision = faq.decide(QUESTION)
    assert isinstance(decision, UnsureUrgent)
    assert decision.otherwise == faq.matcher.match(QUESTION)
    assert isinstance(decision.otherwise, Answer)
    assert decision.otherwise.topic == "frequency"


@pytest.mark.parametrize(
    ("text", "general"),
    [
        (QUESTION, 0.9),  # the nets alone called it
        (SIGN, 0.2),  # a sign called it, which the nets dispute
    ],
)
def test_a_page_with_the_crisis_lines_offers_no_way_on(catalog, text, general) -> None:
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=general, self_harm=0.95))
    decision = faq.decide(text)
    assert type(decision) is Urgent
    assert decision.helplines


def test_a_self_harm_page_offers_no_way_on_even_where_the_nets_dispute_it(catalog) -> None:
    """Its page shows the crisis lines whatever the nets say, so it is a crisis page too."""
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=0.2, self_harm=0.4))
    decision = faq.decide("i cant keep safe tonight")
    assert type(decision) is Urgent
    assert decision.category.id == "self-harm"


def test_a_page_the_nets_are_certain_of_offers_no_way_on(catalog) -> None:
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=0.9995))
    decision = faq.decide(QUESTION)
    assert type(decision) is Urgent
    assert not decision.helplines


def test_a_sign_said_plainly_offers_no_way_on_where_the_nets_agree(catalog) -> None:
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=0.9))
    decision = faq.decide(SIGN)
    assert type(decision) is Urgent


def test_a_sign_the_nets_would_not_have_called_keeps_what_would_have_been_answered(
    catalog,
) -> None:
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=0.2))
    decision = faq.decide(SIGN)
    assert isinstance(decision, UnsureUrgent)
    assert decision.category.id == "anaphylaxis"
    assert decision.otherwise == faq.matcher.match(SIGN)


def test_a_disputed_sign_pages_whatever_the_words_are_matched_to(catalog, monkeypatch) -> None:
    """Small talk is never paged by the nets alone; a sign still pages it."""
    faq = FAQ(catalog, triage_model=stub_nets(CUT, general=0.2))
    thanks = Fallback(score=0.0, reason=Reason.THANKS)
    monkeypatch.setattr(faq.matcher, "match", lambda text: thanks)
    decision = faq.decide(SIGN)
    assert isinstance(decision, Urgent)
    assert decision.category.id == "anaphylaxis"


def test_under_a_poisoning_page_the_way_on_names_the_overdose(catalog, renderer) -> None:
    """Someone who has taken too much may feel well: "if nobody is unwell" would wave them off."""
    answer = Answer(topic="frequency", score=90.0, candidates=("frequency",))
    poisoning = catalog.triage.category("poisoning")
    text = visible_text(renderer.reply(UnsureUrgent(poisoning, otherwise=answer)).html)
    way_on = text.split(MISREAD)[1]
    assert "usual dose" in way_on
    assert "unwell" not in way_on
    general = visible_text(
        renderer.reply(UnsureUrgent(catalog.triage.general, otherwise=answer)).html
    )
    assert "nobody is unwell" in general.split(MISREAD)[1]


def test_the_way_on_is_below_the_whole_page_and_opens_the_answer_anew(catalog, renderer) -> None:
    answer = Answer(topic="frequency", score=90.0, candidates=("frequency", "maintenance-dose"))
    unsure = renderer.reply(UnsureUrgent(catalog.triage.general, otherwise=answer))
    page = renderer.reply(Urgent(catalog.triage.general))
    text = visible_text(unsure.html)
    assert text.startswith(visible_text(page.html))  # the page itself is unchanged
    assert MISREAD in text.split("999")[-1]  # after every emergency number
    assert [c.topic for c in unsure.choices] == ["frequency", "maintenance-dose"]
    markup = keyboard_for(unsure, catalog)
    buttons = [button for row in markup.inline_keyboard for button in row]
    # A new message, not an edit: the emergency guidance stays on screen above the answer.
    opened = [decode(b.callback_data, catalog) for b in buttons]
    assert opened == [OpenTopic("frequency"), OpenTopic("maintenance-dose")]
    assert keyboard_for(page, catalog) is None


@pytest.mark.parametrize("reason", [Reason.OFF_TOPIC, Reason.OTHER_LANGUAGE])
def test_nothing_to_offer_means_no_line_and_no_buttons(catalog, renderer, reason) -> None:
    otherwise = Fallback(score=0.0, candidates=("frequency",), reason=reason)
    reply = renderer.reply(UnsureUrgent(catalog.triage.general, otherwise=otherwise))
    assert reply.choices == ()
    assert MISREAD not in visible_text(reply.html)
