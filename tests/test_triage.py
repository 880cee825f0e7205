"""Triage: every category of the taxonomy, every way a sign can be talked about, and the figures.

The examples here are written for these tests, apart from the training and held-out sets; the
regression figures come from the held-out set and the shared check sets, never trained on.
"""

from __future__ import annotations

import html
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge.catalog import (
    SELF_HARM,
    ContentError,
    TriageContent,
    default_content_dir,
    load_catalog,
)
from bot.knowledge.faq import FAQ, Cautioned, record
from bot.knowledge.matcher import Answer, Clarify, Fallback, Reason
from bot.knowledge.matching_content import load_phrasings
from bot.knowledge.render import Renderer
from bot.knowledge.story_check import StoryCheck
from bot.knowledge.story_check_training import checks_left_out, paged_stories, story_sets
from bot.knowledge.telegram_html import visible_text
from bot.knowledge.triage import (
    STORY_ORDINARY,
    STORY_SURE,
    STORY_WORDS,
    SURE,
    Level,
    Triage,
    Urgent,
)
from bot.knowledge.triage_model import (
    DIMENSIONS,
    HIDDEN,
    HIDDEN_DIMENSIONS,
    MODEL_FILE,
    Hidden,
    Net,
    Thresholds,
    TriageModel,
    feature_indices,
)
from bot.knowledge.triage_signs import SignReader, words
from bot.knowledge.triage_training import (
    HIDDEN_SEEDS,
    Example,
    TrainingData,
    fingerprint,
    read_examples,
)

DATA = Path(__file__).resolve().parent / "data"
REPO = DATA.parent.parent

EMERGENCIES = {
    "anaphylaxis": [
        "my gums and tongue have ballooned since the jab",
        "itchy welts spreading everywhere and I feel faint",
        "think she's having an anaphylactic reaction",
    ],
    "breathing": [
        "he cnt breath properly",
        "my wife's lips are going blue",
        "struggling to get any air in",
    ],
    "chest-heart": [
        "crushing pressure in my chest and my left arm aches",
        "grandad says his heart hurts and he's grey",
        "pretty sure my husband is having a heart attack",
    ],
    "collapse": [
        "mum keeled over in the garden and won't come round",
        "my son is unconscious on the bathroom floor",
        "I'm about to pass out",
    ],
    "seizure": [
        "dad is convulsing on the sofa",
        "my toddler's having a fit and won't stop jerking",
        "she's seizing right now",
    ],
    "stroke": [
        "one side of her mouth has dropped and she's slurring",
        "his speech is garbled and his right arm is numb",
        "I think my nan is having a stroke",
    ],
    "nerve-sight": [
        "lost the sight in my right eye suddenly",
        "my legs have gone weak and I can't walk",
        "wet myself and my back and legs are numb",
    ],
    "self-harm": [
        "I want to kill myself",
        "there's no point going on, I've got the pills lined up",
        "I don't want to live anymore",
        "no need to book my next jab, I'll be dead by the weekend",
        "my sister says she's going to take her life tonight",
    ],
    "poisoning": [
        "my grandson ate some of my heart tablets",
        "I've taken a whole packet of paracetamol",
        "toddler drank bleach",
        "he's swallowed the whole box",
        "carer here, she's just swallowed a handful of her quetiapine",
    ],
    "infection": [
        "the jab site is hot and red, spreading up my arm, and I've got a fever",
        "I think I have sepsis",
        "skin is mottled and I'm shivering after my injection got infected",
    ],
    "bleeding": [
        "the needle hole won't stop bleeding, it's soaked through a towel",
        "I'm coughing up blood",
        "there's blood everywhere from the cut",
    ],
    "headache": [
        "sudden thunderclap headache",
        "the worst headache I've ever had came on in seconds",
        "bad headache and a stiff neck",
    ],
}
TALKED_ABOUT = {
    "negation": [
        "no chest pain, just a bit tired",
        "i dont have chest pain just tired",
        "I don't have any swelling in my face",
        "not short of breath or anything, only achy",
        # what a person is not doing, and a list, are negated as a whole
        "No I'm not thinking of suicide, my counsellor asked that too",
        "I'm not depressed or suicidal, I'm anaemic",
        "I haven't got any thoughts of ending my life, I'm just low",
        "I'm not going to hurt myself, I just feel flat",
    ],
    "history": [
        "I had a seizure years ago, is b12 safe for me",
        "my dad had a stroke in 2019, can he have the jab",
        "I used to faint when I had blood taken, will the jab be the same",
    ],
    "question": [
        "can b12 injections cause chest pain?",
        "is a swollen face a side effect of hydroxocobalamin",
        "what are the signs of an allergic reaction to the jab",
        "is a delayed allergic reaction to b12 a thing",
        "is b12 one of those vitamins you cant overdose on",
    ],
    "hypothetical": [
        "what should I do if my lips swell after the injection",
        "the nurse said if I get a tight throat to call 999",
        "in case I faint after my jab, should someone drive me",
    ],
}
SAME_DAY = [
    "I think I injected into a vein by mistake",
    "palpitations since my first loading jab",
    "I keep being sick and can't keep anything down",
    "the injection site is red and swollen today",
]
ORDINARY = [
    "how often do I need my b12 jab",
    "what dose is the maintenance injection",
    "can I drink alcohol after my injection",
    "my b12 was low, what does that mean",
    "do ampoules go in the fridge",
]


@pytest.fixture(scope="module")
def triage(catalog):
    return Triage(catalog.triage, TriageModel.load(), StoryCheck.load())


@pytest.fixture(scope="module")
def honest_triage(catalog, triage):
    """For each held-out set, triage with the story check fitted without it: the check was
    fitted to their stories, so only this way are its figures on them held out."""
    model = TriageModel.load()
    fitted = {path.name: read_examples(path) for path in story_sets(DATA / "triage")}
    stories = paged_stories(Triage(catalog.triage, model), fitted)
    left_out = checks_left_out(stories, model.thresholds.self_harm)
    # a blind set, or one none of whose stories the nets page, gave the check nothing: the
    # shipped check is the check without it
    return lambda name: (
        Triage(catalog.triage, model, left_out[name]) if name in left_out else triage
    )


@pytest.mark.parametrize(
    ("category", "text"), [(c, t) for c, texts in EMERGENCIES.items() for t in texts]
)
def test_every_category_of_emergency_is_caught(triage, category: str, text: str) -> None:
    assessment = triage.assess(text)
    assert assessment.level is Level.EMERGENCY, text
    assert assessment.category.id == category, text


@pytest.mark.parametrize(
    ("form", "text"), [(f, t) for f, texts in TALKED_ABOUT.items() for t in texts]
)
def test_a_sign_talked_about_is_caution_never_nothing(
    triage, catalog, form: str, text: str
) -> None:
    tokens = words(text, catalog.triage)
    assert triage.by_signs(tokens).level is Level.CAUTION, (form, text)
    assert triage.assess(text).level is not Level.NONE, (form, text)


@pytest.mark.parametrize("text", SAME_DAY)
def test_same_day_problems_are_caution(triage, text: str) -> None:
    assessment = triage.assess(text)
    assert assessment.level is Level.CAUTION, text


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_questions_raise_nothing(triage, text: str) -> None:
    assert triage.assess(text).level is Level.NONE, text


# Everyday words that suicidal and overdose messages use too: the learned net once gave "goodbye"
# and "my injection is tonight" the emergency page, having seen them mostly in emergencies
# (train9.jsonl now holds such messages; none of these is in it). "I will do it tonight" was here
# until the self-harm net learned train11.jsonl: alone, with no context, it now reads as a plan
# with a time (recall first; a known cost, in tests/data/triage/README.md).
EVERYDAY_WORDS = [
    "what time is the match on tonight",
    "the nurse is coming tonight for my jab",
    "cheers, bye",
    "night night, speak tomorrow",
    "can i take all my tablets at the same time as my b12",
    "thank you goodbye",
    "remind me to do dad's jab tonight at 8",
    "that's the last of my loading doses done, finally",
    "my plan is to switch to tablets after christmas",
    "we're away this weekend, can the reminder wait till monday",
    "I've got a whole box of ampoules in the fridge, how long do they last",
    "bye for now, thanks for your help",
    "sorting out mum's will and her power of attorney today",
    # "came round" is a visit as often as waking from a faint; a whole bottle is read on a label
    "the district nurse came round and did it again",
    "my label says 1000 mcg/mL, so is the whole bottle 1000 mcg",
]


@pytest.mark.parametrize("text", EVERYDAY_WORDS)
def test_everyday_words_that_emergencies_also_use_are_not_an_emergency(triage, text) -> None:
    assert triage.assess(text).level is not Level.EMERGENCY, text


def test_an_emergency_inside_a_long_story_is_found(triage) -> None:
    story = "I had my jab on Monday and the nurse was lovely. " * 60
    story += "Now my throat is closing up. " + "We chatted about the weather for ages. " * 40
    assert triage.assess(story).level is Level.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "can you overdose on b12 injections",
        "b12 overdose symptoms?",
        "i think i overdosed on my b12 tablets",
        "what a stroke of luck, they had a cancellation",
        "i had heat stroke last summer, does that affect my b12",
        "my son had a fit of giggles when the nurse did his jab",
    ],
)
def test_too_much_b12_and_idioms_are_not_signs(triage, catalog, text: str) -> None:
    """B12 itself in excess is harmless (the body passes what it does not need)."""
    assert triage.by_signs(words(text, catalog.triage)).level is Level.NONE, text


@pytest.mark.parametrize(
    "text",
    [
        "i took 30 paracetamol, i feel fine now",
        "my son ate some of my tablets, he seems fine now",
        "she swallowed a load of her pills, she's okay now",
    ],
)
def test_an_overdose_said_to_be_over_is_still_an_emergency(triage, catalog, text: str) -> None:
    """Feeling well after an overdose says nothing yet (paracetamol harms days later): "fine
    now" makes other signs a past event, never poisoning's."""
    found = SignReader(catalog.triage).read(words(text, catalog.triage)).found
    assert any(f.category.id == "poisoning" and not f.past for f in found), text
    assert triage.assess(text).level is Level.EMERGENCY, text


@pytest.mark.parametrize(
    "text", ["my face swelled up after the jab, fine now", "I passed out after the jab, ok now"]
)
def test_other_signs_said_to_be_over_are_a_past_event(triage, catalog, text: str) -> None:
    found = SignReader(catalog.triage).read(words(text, catalog.triage)).found
    assert found, text
    assert all(f.past for f in found), text


@pytest.mark.parametrize("text", ["stroke", "strok", "my dad stroke", "stroke symptoms"])
def test_a_stroke_named_alone_gets_at_least_the_banner_naming_it(triage, catalog, text) -> None:
    """A one-word "stroke" is someone in a hurry or someone asking: the signs give it the banner
    with the stroke advice, never nothing, and the net may make it the page."""
    by_signs = triage.by_signs(words(text, catalog.triage))
    assert by_signs.level is Level.CAUTION, text
    assert by_signs.category.id == "stroke", text
    assert triage.assess(text).level is not Level.NONE, text


@pytest.mark.parametrize(
    ("text", "overdose"),
    [
        ("took my tablets at 10", False),
        ("took my tablets at 9:30", False),
        ("took my tablets at 8.15 this morning", False),
        ("mum had her tablets by 10, all good", False),
        ("had my ampoule, all fine", False),
        ("nan had her tablets, all sorted", False),
        ("the chemist had my ampoules in after all", False),
        ("took 10 of my tablets", True),
        ("took 20 paracetamol at 10pm", True),
        ("she took 30 of her tablets at 9:30", True),
        ("took 20 10mg diazepam", True),
        ("took all my tablets, all done now", True),
        ("took paracetamol all day for my tooth, way more than the box says", True),
        ("nan took all her morning tablets herself today", False),
        ("took all of mum's usual meds with her breakfast", False),
        ("dad took all his bedtime tablets", False),
        ("took paracetamol all night, must be 16 by now", True),
        ("took all my morning tablets and the whole box of spares", True),
        ("took all my sleeping tablets", True),
    ],
)
def test_a_time_of_day_how_it_went_or_one_dose_is_no_amount_taken(
    catalog, text: str, overdose: bool
) -> None:
    """A dose reported with the time it was taken, with how it went, or as all of one scheduled
    dose, is no count of tablets: "took my tablets at 8.15", "nan had her tablets, all sorted" and
    "nan took all her morning tablets" got the poisoning page, with no way on below it."""
    found = SignReader(catalog.triage).read(words(text, catalog.triage)).found
    assert any(f.category.id == "poisoning" and f.strong for f in found) is overdose, text


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("headache at 10 out of 10 since 9", "SEVERE"),
        ("bleeding for the past 30 minutes", "NOSTOP"),
        ("got it all sorted for tonight", "RESOLVE"),
    ],
)
def test_a_word_that_is_no_amount_keeps_its_other_readings(catalog, text, family) -> None:
    """Only the amount is unsaid: "at 10 out of 10" is still the worst pain, which the clock
    reading once took from the message, leaving the headache the banner alone."""
    assert family in SignReader(catalog.triage).read(words(text, catalog.triage)).families


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("she took the whole packets", (3, 5)),  # a prefix as the second word, at the end
        ("the whole packet is gone", (1, 3)),  # in the middle
        ("had a whole weeks worth", (2, 5)),  # three words, read whole
        ("just the whole", None),  # a phrase cut short by the message's end
    ],
)
def test_a_phrase_is_read_wherever_it_falls(catalog, text, span) -> None:
    """Phrases are looked up by their first two words at once; the rest is matched after."""
    spans = SignReader(catalog.triage).tag(words(text, catalog.triage)).get("WHOLE_LOT", [])
    found = {(each.start, each.end) for each in spans}
    assert span in found if span else not found


def test_an_overdose_of_another_medicine_stays_an_emergency(triage) -> None:
    for text in ("i overdosed on my sleeping pills", "she took an overdose of paracetamol"):
        assert triage.assess(text).category.id == "poisoning", text


@pytest.mark.parametrize(
    "text",
    [
        "mums face is lopsided is it a stroke",
        "my lips are swelling up after the jab, is that normal?",
        "my girlfriend is seizing right now, she's never had one before",
        "the worst headache I've ever had came on in seconds",
        # whether B12 caused it points at the sign beside it (ABOUT_THIS), though "could it"
        # and "can b12" alone make a general question
        "my legs have gone weak and i cant walk since this morning, could it be the b12?",
        "my face has dropped on one side, could b12 cause that?",
        "my chest is really tight and i cant breathe, is this a side effect of the injection?",
        "i cant see out of one eye all of a sudden, could it be related to my b12?",
    ],
)
def test_asking_about_what_is_happening_now_is_not_a_general_question(triage, text: str) -> None:
    assert triage.assess(text).level is Level.EMERGENCY, text


@pytest.mark.parametrize(
    "text",
    [
        "I feel so hopeless, nobody cares anyway",
        "honestly I'm done with everything and can't cope",
        "I feel completely hopeless right now",
    ],
)
def test_low_mood_always_gets_someone_to_talk_to(faq, renderer, triage, text: str) -> None:
    """Hopelessness is read as a sign of self-harm (weak: alone it is a banner, with "right now"
    or where the net finds it likely, the emergency page); either way it never gets nothing,
    and the reply carries the Samaritans' and 988's numbers."""
    assessment = triage.assess(text)
    assert assessment.level is not Level.NONE, text
    assert assessment.category.id == "self-harm", text
    shown = renderer.reply(faq.decide(text)).html
    assert "116 123" in shown
    assert "988" in shown


def test_a_self_harm_banner_carries_the_helplines(catalog, renderer) -> None:
    self_harm = next(c for c in catalog.triage.categories if c.id == "self-harm")
    banner = renderer.reply(Cautioned(Fallback(score=0.0), self_harm)).html
    assert "116 123" in banner
    assert "999" in banner


@pytest.mark.parametrize(
    "matched",
    [
        Answer("side-effects", 1.0, ("side-effects",)),
        Clarify(0.5, ("frequency", "missed-dose")),
        Fallback(0.0),
        Fallback(0.0, ("other-medicines",), Reason.NOT_COVERED),
    ],
)
def test_a_cautioned_reply_gives_the_numbers_once_in_the_banner_on_top(
    catalog, renderer, matched
) -> None:
    """The banner already names 999/112/911: the safety-net line under the answer, clarify or
    fallback would say them a second time, a longer reply with nothing new in it."""
    chest = next(c for c in catalog.triage.categories if c.id == "chest-heart")
    plain = renderer.reply(matched).html
    shown = renderer.reply(Cautioned(matched, chest)).html
    assert shown.startswith("⚠️")
    assert "🚑" in plain
    assert "🚑" not in shown
    for number in ("999", "112", "911"):  # an answer's own text may name them too
        assert shown.count(number) == plain.count(number), (number, shown)
    assert shown.endswith(renderer.clinician_line)


@pytest.mark.parametrize(
    "text",
    [
        "my son swallowed 10 of my paracetamol, should i take him to a&e?",
        "she's drunk some of the bleach, should i take her to hospital or call 999",
    ],
)
def test_taking_someone_to_hospital_is_not_asking_leave_to_take_a_medicine(
    triage, text: str
) -> None:
    """ "Should I take" asks leave to take a medicine ("should i take my tablets with b12"), a
    general question; "should i take him to a&e" is what to do about an emergency now."""
    assessment = triage.assess(text)
    assert (assessment.level, assessment.category.id) == (Level.EMERGENCY, "poisoning"), text


@pytest.mark.parametrize(
    "text",
    ["she's going to take her life tonight, she told me", "she wants to take her own life"],
)
def test_taking_her_life_is_still_self_harm(triage, text: str) -> None:
    assert triage.assess(text).category.id == "self-harm", text


@pytest.mark.parametrize(
    "text",
    [
        "is it bad to have loads of b12 in my blood",
        "my b12 in the blood was really high, is a lot of it harmful",
        "how much b12 is in my blood after the injection",
        "does b12 build up in the bloodstream if you have too much",
    ],
)
def test_b12_in_the_blood_is_a_level_not_bleeding(triage, text: str) -> None:
    """Blood is where B12 is measured; "a lot" of B12 in it is no bleeding, not even a banner."""
    assert triage.assess(text).level is Level.NONE, text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("nan cant get her words out and her arm is floppy", "stroke"),
        ("grandad cant lift his arm and cant get his words out", "stroke"),
        ("mum fainted and cant get her words out", "collapse"),  # one stroke sign, one strong
    ],
)
def test_two_signs_of_one_emergency_name_the_page_as_a_strong_one_does(
    triage, text: str, category: str
) -> None:
    """Speech and an arm going are a stroke (its page says to note the time, FAST) more than
    "floppy" alone is a collapse. Nets fixed, over every labelled set: 50 pages renamed to
    their label's category, 8 away from it, none changes level."""
    assessment = triage.assess(text)
    assert (assessment.level, assessment.category.id) == (Level.EMERGENCY, category), text


@pytest.mark.parametrize(
    "text",
    [
        "theres blood everywhere, my blood is pouring out of my arm",
        "he is coughing up the blood and it wont stop",
        "she's lost so much of her blood, it's soaked through the towel",
    ],
)
def test_blood_being_lost_is_still_bleeding(triage, text: str) -> None:
    assessment = triage.assess(text)
    assert (assessment.level, assessment.category.id) == (Level.EMERGENCY, "bleeding"), text


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("dads jab site isnt clotting, help", Level.EMERGENCY),
        ("the cut on her arm is not clotting", Level.EMERGENCY),
        ("i puked blood", Level.EMERGENCY),
        ("my blood doesnt clot well, can i have b12 jabs", Level.CAUTION),
        ("my blood isnt clotting properly on warfarin, is b12 ok", Level.CAUTION),
    ],
)
def test_a_wound_not_clotting_is_bleeding_blood_that_clots_slowly_is_not(
    triage, catalog, text, level
) -> None:
    """A jab site or a cut that is not clotting is bleeding going on; blood that "doesnt clot
    well" is what warfarin does, a banner (blood thinners and a jab) at most."""
    assert_signs_read(triage, catalog, text, level, "bleeding")


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("dont know if i can stay safe till morning", Level.EMERGENCY),
        ("i dont think i can stay safe tonight", Level.EMERGENCY),
        ("i cant keep safe", Level.EMERGENCY),
        ("scared of what ill do", Level.EMERGENCY),
        ("frightened of my own thoughts", Level.EMERGENCY),
        ("stay safe in the snow everyone", Level.NONE),
        ("dont forget to stay safe with your sharps", Level.NONE),
        ("how do i stay safe with needles at home", Level.NONE),
        ("i cant promise ill remember my jab", Level.NONE),
    ],
)
def test_doubting_one_can_stay_safe_is_a_sign_of_self_harm(triage, catalog, text, level) -> None:
    """Staying safe said plainly is life admin; doubted, it is a risk said aloud. A crisis
    service asks "can you keep yourself safe?" for that reason."""
    assert_signs_read(triage, catalog, text, level, SELF_HARM)


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("should i call an ambulance, dad is confused and slurring", Level.EMERGENCY, "stroke"),
        ("should we ring 999? her lips and tongue are swelling up", Level.EMERGENCY, "anaphylaxis"),
        (
            "should i take her to a and e, her face has dropped on one side",
            Level.EMERGENCY,
            "stroke",
        ),
        ("should i call 999 if my lips swell after the jab", Level.CAUTION, None),
        ("when should i call 999 for chest pain", Level.CAUTION, None),
        ("should i be worried about slurred speech on b12", Level.CAUTION, None),
    ],
)
def test_asking_whether_to_call_for_help_is_no_what_if(
    triage, catalog, text, level, category
) -> None:
    """ "should i" is a "what if" ("should i ever get chest pain"), but asking whether to call an
    ambulance is about now; an "if" or a "when should" still makes it one."""
    assert_signs_read(triage, catalog, text, level, category)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("threw up blood twice in the last hour", Level.EMERGENCY),
        ("brought up a cupful of blood just now", Level.EMERGENCY),
        (
            "cut my leg on the glass, the blood has soaked the bandage and its still going",
            Level.EMERGENCY,
        ),
        ("jab site bleeding right through the plaster and my sleeve", Level.EMERGENCY),
        ("i threw up this morning, just a tummy bug i think", Level.NONE),
        ("soaked the plaster in the shower, do i need a new one", Level.NONE),
    ],
)
def test_blood_thrown_up_or_soaking_a_dressing_is_bleeding(triage, catalog, text, level) -> None:
    """Vomited blood in everyday words, and blood soaking through what is pressed on it; being
    sick, or a plaster soaked in the shower, is neither."""
    assert_signs_read(triage, catalog, text, level, "bleeding")


def assert_signs_read(triage, catalog, text: str, level: Level, emergency: str) -> None:
    """The signs alone give this level, an emergency named for this category."""
    signs = triage.by_signs(words(text, catalog.triage))
    assert signs.level is level, text
    if level is Level.EMERGENCY:
        assert signs.category.id == emergency, text


def test_a_question_before_but_does_not_reach_what_follows(triage) -> None:
    """'if' and 'related' ask about the B12; after 'but' the legs are happening now."""
    text = "not sure if its related to my b12 but today my legs went weak and i cant walk"
    assert triage.assess(text).level is Level.EMERGENCY


def test_a_request_to_the_bot_is_not_a_question_about_the_sign(triage) -> None:
    text = "can u cancel all my future appointments, im ending my life this weekend"
    assert triage.assess(text).category.id == "self-harm"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("our co detector keeps beeping and my husband is dizzy and throwing up", "poisoning"),
        ("running a temperature of 38.5 on day 8 of chemotherapy", "infection"),
        ("I'm on warfarin and banged my head on the car door, now a bad headache", "headache"),
        ("took 16 of my sleeping tablets half an hour ago, I feel fine now", "poisoning"),
        ("the baby's rash stays purple when I roll a glass over it", "infection"),
    ],
)
def test_signs_that_need_their_context(triage, text: str, category: str) -> None:
    """Gas with an alarm or sickness, a fever on chemotherapy, a knock to the head on blood
    thinners: each is an emergency although no single word says so; and a time just gone keeps
    an overdose in the present whatever "fine now" says."""
    assessment = triage.assess(text)
    assert assessment.level is Level.EMERGENCY, text
    assert assessment.category.id == category, text


@pytest.mark.parametrize(
    "text",
    [
        "booked the hotel so no one finds me. kill myself tonight lol. I'm not kidding",
        "haha going to end it all tonight, not even joking this time",
        "I'm going to kill myself this weekend lol, for real",
        "i wanna die lol but fr",
    ],
)
def test_a_joke_cue_said_not_to_be_a_joke_counts_for_nothing(triage, text: str) -> None:
    """ "lol" makes a sign talked about ("this queue is giving me a heart attack lol"), but a
    person who says they are not joking is taken at their word."""
    assert triage.by_signs(words(text, triage._content)).level is Level.EMERGENCY, text


@pytest.mark.parametrize(
    "text",
    [
        "only upside of killing myself this weekend is no more jabs lol",
        "I almost did it on Sunday, tonight I'll finish it",
        "gonna top myself later, sorry everyone",
    ],
)
def test_a_time_set_for_ending_a_life_is_a_plan_whatever_else_is_said(triage, text) -> None:
    """For self-harm a time ("tonight", "this weekend") says it is happening, as "right now"
    does: a joke cue or a "nearly" before it does not make it talk."""
    assert triage.by_signs(words(text, triage._content)).level is Level.EMERGENCY, text


@pytest.mark.parametrize(
    "text",
    ["this queue is giving me a heart attack lol", "gonna kill myself if I miss the bus lol"],
)
def test_a_joke_is_still_talked_about(triage, text: str) -> None:
    assert triage.by_signs(words(text, triage._content)).level is Level.CAUTION, text


@pytest.mark.parametrize(
    "text",
    [
        "the dog is fine, it's my dad who's fitting on the floor",
        "my toddler has swallowed some of the dog's tramadol",
        "my son has swallowed one of those little round batteries",
    ],
)
def test_a_pet_or_one_of_those_beside_a_person_is_still_the_persons_emergency(
    triage, text: str
) -> None:
    """A pet in the sentence makes a sign about the pet only when no person is there; "one of
    those" asks a general question only as "is b12 one of those...".
    """
    assert triage.by_signs(words(text, triage._content)).level is Level.EMERGENCY, text


def test_a_pet_is_never_the_one_at_risk_of_self_harm(triage, catalog) -> None:
    """A farewell that arranges for a pet is the person's, not the animal's (`animals: false`)."""
    tokens = words("please look after my cat when I'm gone", catalog.triage)
    assessment = triage.by_signs(tokens)
    assert assessment.level is Level.EMERGENCY
    assert assessment.category.id == "self-harm"


def test_looking_up_the_means_is_a_sign_of_self_harm(triage, catalog) -> None:
    text = "I looked up how many tablets it would take"
    assessment = triage.by_signs(words(text, catalog.triage))
    assert assessment.level is Level.EMERGENCY
    assert assessment.category.id == "self-harm"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("I'm tired of living", Level.EMERGENCY),
        ("there's no point in going on", Level.EMERGENCY),
        ("I'm tired of living with this fatigue", Level.CAUTION),
        ("what's the point of carrying on with the jabs if my levels are still low", None),
    ],
)
def test_a_passive_wish_to_be_dead_is_read_in_context(triage, catalog, text, level) -> None:
    """ "Tired of living" and "no point carrying on" are how people say they want to die, and how
    they vent about an illness. A weak sign (the banner with the helplines at least), and the
    nets read the rest: said alone, the emergency page; about the jabs, not."""
    signs = triage.by_signs(words(text, catalog.triage))
    assert signs.level is Level.CAUTION, text
    assert signs.category.id == "self-harm", text
    if level is None:
        assert triage.assess(text).level is not Level.EMERGENCY, text
    else:
        assert triage.assess(text).level is level, text


@pytest.mark.parametrize(
    "text",
    [
        "i wish i wasnt here anymore, how often is the b12 jab",
        "I wish I'd never been born. When is my next jab?",
        "wish god would take me, is low b12 why i feel like this",
    ],
)
def test_a_passive_wish_to_be_dead_before_a_question_is_still_self_harm(
    triage, catalog, text
) -> None:
    """The self-harm net read "i wish i wasnt here anymore" alone, and nothing at all once a
    B12 question followed: the wish is a sign, so the reply has the helplines whatever follows."""
    signs = triage.by_signs(words(text, catalog.triage))
    assert signs.level is Level.EMERGENCY, text
    assert signs.category.id == "self-harm", text
    assert triage.assess(text).level is not Level.NONE, text


def test_wishing_to_be_elsewhere_is_no_wish_to_be_dead(triage, catalog) -> None:
    text = "i wish i wasnt here at the surgery, the queue is huge"
    assert triage.by_signs(words(text, catalog.triage)).level is Level.NONE


@pytest.mark.parametrize("text", ["my dog is having a seizure", "our cat ate a lily, is that bad"])
def test_a_pets_emergency_is_not_the_page_for_people(triage, text: str) -> None:
    assert triage.assess(text).level is not Level.EMERGENCY, text


def stub_nets(cut: Thresholds, *, general: float = 0.0, self_harm: float = 0.0) -> TriageModel:
    """Both nets giving every message these probabilities (0: all but never)."""
    zeros = np.zeros(DIMENSIONS, dtype=np.float32)
    return TriageModel(Net(zeros, _bias(general)), cut, "", Net(zeros, _bias(self_harm)))


def _bias(probability: float) -> float:
    """The bias that gives a net with no weights this probability."""
    return -30.0 if probability <= 0 else float(np.log(probability / (1 - probability)))


def word_nets(catalog, cut: Thresholds, leaning: dict[str, float]) -> TriageModel:
    """A general net whose score is the sum of these words' weights (bias -9), and a self-harm
    net that never fires: a made-up word's letters are shared with no other word."""
    weights = np.zeros(DIMENSIONS, dtype=np.float32)
    reader = SignReader(catalog.triage)
    for word, weight in leaning.items():
        features = feature_indices([word], reader.read([word]))
        weights[features] = weight / len(features)
    return TriageModel(Net(weights, -9.0), cut, "")


# A story of over STORY_WORDS words whose second sentence alone leans to an emergency, while the
# whole story says it is over ("zqxv" and "vjwk" stand for such words).
STORY = (
    "My mum has had her jab every twelve weeks for years and the nurse at the surgery is lovely. "
    "Then zqxv happened. Anyway that is all vjwk and she is doing her crossword again. "
    "Can she have the next one a week early because we are going away to the coast?"
)


@pytest.mark.parametrize(
    ("alone", "whole", "level"),
    [
        ((0.5 + STORY_SURE) / 2, 0.05, Level.CAUTION),  # over the usual cut-off, under STORY_SURE
        ((STORY_SURE + SURE) / 2, 0.05, Level.EMERGENCY),
        ((STORY_SURE + SURE) / 2, STORY_ORDINARY / 10, Level.CAUTION),  # the story is sure
        ((SURE + 1) / 2, STORY_ORDINARY / 10, Level.EMERGENCY),
    ],
)
def test_a_sentence_of_a_story_alone_calls_an_emergency_only_when_all_but_certain(
    catalog, alone: float, whole: float, level: Level
) -> None:
    """Read alone, a sentence has lost what the story around it says: it calls an emergency only
    from STORY_SURE, or from SURE where the whole story is all but certainly no emergency (at most
    STORY_ORDINARY), and below that still adds the banner."""
    lean = _bias(alone) + 9.0
    net = word_nets(
        catalog, Thresholds(0.5, 0.1), {"zqxv": lean, "vjwk": _bias(whole) - _bias(alone)}
    )
    assert len(words(STORY, catalog.triage)) > STORY_WORDS
    assert Triage(catalog.triage, net).assess(STORY).level is level
    # the same words in a short message are read whole, at the usual cut-off (with a word the
    # taxonomy knows: the net alone calls nothing on made-up words)
    short = "Then zqxv happened suddenly."
    assert Triage(catalog.triage, net).assess(short).level is Level.EMERGENCY


@pytest.mark.parametrize(("bias", "level"), [(-30.0, Level.CAUTION), (-4.0, Level.EMERGENCY)])
def test_a_plain_sign_stands_unless_the_net_is_all_but_certain_it_is_none(
    catalog, bias: float, level: Level
) -> None:
    """The signs' literal words fire on "the box was collapsed in the post": a net all but sure
    (p <= 1 - SURE) that a message is no emergency turns the sign into the banner, never nothing;
    a net only doubtful (p = 0.018 here) leaves the emergency page."""
    net = TriageModel(Net(np.zeros(DIMENSIONS, dtype=np.float32), bias), Thresholds(0.5, 0.1), "")
    assessment = Triage(catalog.triage, net).assess("my chest hurts right now")
    assert assessment.level is level
    assert assessment.category.id == "chest-heart"


@pytest.mark.parametrize(
    "text",
    [
        "my chest hurts since the jab",
        "my face has dropped on one side since the jab, can b12 do this?",
        "my chest is crushing since the shot, is this normal with b12?",
    ],
)
def test_a_strong_sign_dated_to_the_jab_is_never_doubted(catalog, triage, text: str) -> None:
    """Tied to the injection, a sign's words are meant medically: neither a net all but sure
    that the message is none nor the shipped one (which reads the B12 question around it as
    ordinary) takes the page away."""
    sure_none = TriageModel(
        Net(np.zeros(DIMENSIONS, dtype=np.float32), -30.0), Thresholds(0.5, 0.1), ""
    )
    assert Triage(catalog.triage, sure_none).assess(text).level is Level.EMERGENCY
    assert triage.assess(text).level is Level.EMERGENCY


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("the dog is at my sister's now and the letters are on the table", Level.EMERGENCY),
        ("I'm not suicidal, just exhausted by the jabs", Level.CAUTION),
    ],
)
def test_the_self_harm_net_calls_a_self_harm_emergency_the_general_net_misses(
    catalog, text: str, level: Level
) -> None:
    """A stub self-harm net sure of every message, a general net sure of none: the message is a
    self-harm emergency, unless a sign says it is talked about ("not suicidal"), which the net
    overrules only from its own cut-off for that (here never)."""
    net = stub_nets(Thresholds(0.5, 0.99, self_harm=0.6), self_harm=0.95)
    assessment = Triage(catalog.triage, net).assess(text)
    assert assessment.level is level
    assert assessment.category.id == "self-harm"


@pytest.mark.parametrize(
    ("self_harm", "named", "helplines"),
    [(0.95, "self-harm", True), (0.7, "general", True), (0.3, "general", False)],
)
def test_a_page_the_self_harm_net_calls_too_has_the_helplines(
    catalog, renderer, self_harm: float, named: str, helplines: bool
) -> None:
    """The general net (0.9) calls a message no sign names. Where the self-harm net calls it too
    (its cut-off 0.6 here), the page has the helplines: named for self-harm where that net is the
    surer (0.95), else the general page with them added (0.7: that net calls some strokes too).
    Only leaning (0.3, over its banner cut-off), the page is general, without them."""
    cut = Thresholds(0.5, 0.99, self_harm=0.6, self_harm_banner=0.2)
    net = stub_nets(cut, general=0.9, self_harm=self_harm)
    text = "i've had enough. tonight's the night"
    assert Triage(catalog.triage, net).by_signs(words(text, catalog.triage)).category is None
    assessment = Triage(catalog.triage, net).assess(text)
    assert (assessment.level, assessment.learned) == (Level.EMERGENCY, True)
    assert (assessment.category.id, assessment.helplines) == (named, helplines)
    page = renderer.reply(Urgent(assessment.category, assessment.helplines)).html
    assert ("116 123" in page) is helplines


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("i took all my pills, i'm suicidal", "poisoning"),
        (
            "she cut her wrists and it won't stop bleeding, she said she wants to kill herself",
            "bleeding",
        ),
    ],
)
def test_a_page_named_for_the_injury_has_the_helplines_where_self_harm_is_said(
    faq, renderer, catalog, text: str, category: str
) -> None:
    """The page names what to do about the injury, and the helplines come with it."""
    decision = faq.decide(text)
    assert isinstance(decision, Urgent), text
    assert decision.category.id == category
    page = renderer.reply(decision).html
    assert html.escape(catalog.triage.category(category).advice, quote=False) in page
    assert "116 123" in page


@pytest.mark.parametrize(("self_harm", "helplines"), [(0.95, True), (0.7, False)])
def test_a_page_a_sign_names_has_the_helplines_where_the_self_harm_net_is_surer(
    catalog, self_harm: float, helplines: bool
) -> None:
    """A breathing sign names the page; the self-harm net (cut-off 0.6) calling it, and surer
    than the general net (0.9), brings the helplines; calling it but less sure does not."""
    cut = Thresholds(0.5, 0.99, self_harm=0.6, self_harm_banner=0.2)
    net = stub_nets(cut, general=0.9, self_harm=self_harm)
    assessment = Triage(catalog.triage, net).assess("i cant breathe")
    assert (assessment.level, assessment.category.id) == (Level.EMERGENCY, "breathing")
    assert assessment.helplines is helplines


@pytest.mark.parametrize(
    ("text", "category", "self_harm", "helplines"),
    [
        ("my arm won't stop bleeding", "bleeding", 0.3, True),
        ("she took a whole box of paracetamol", "poisoning", 0.3, True),
        ("she took a whole box of paracetamol", "poisoning", 0.1, False),
        ("i cant breathe", "breathing", 0.3, False),
    ],
)
def test_a_page_for_a_means_of_self_harm_has_the_helplines_where_the_net_leans(
    catalog, text: str, category: str, self_harm: float, helplines: bool
) -> None:
    """An overdose, a cut or someone found unconscious is often self-harm: there the self-harm
    net need only reach its banner cut-off (0.2) to bring the helplines, short of calling it
    (0.6). Other pages need it to call, and be the surer net."""
    cut = Thresholds(0.5, 0.99, self_harm=0.6, self_harm_banner=0.2)
    net = stub_nets(cut, general=0.9, self_harm=self_harm)
    assessment = Triage(catalog.triage, net).assess(text)
    assert (assessment.level, assessment.category.id) == (Level.EMERGENCY, category)
    assert assessment.helplines is helplines


def test_a_story_the_check_doubts_keeps_the_helplines_its_page_had(catalog) -> None:
    """A long story the general net calls and the self-harm net calls too (not the surer): the
    page is general with the helplines; a story check that doubts it leaves the banner named for
    self-harm, which is the banner with them."""
    cut = Thresholds(0.5, 0.99, self_harm=0.6, self_harm_banner=0.2)
    net = stub_nets(cut, general=0.9, self_harm=0.7)
    story = " ".join(["I have been on the jabs for a year and the surgery keeps moving them."] * 4)
    assert len(words(story, catalog.triage)) > STORY_WORDS
    paged = Triage(catalog.triage, net).assess(story)
    assert (paged.level, paged.category.id, paged.helplines) == (Level.EMERGENCY, "general", True)
    zeros = np.zeros(14)
    doubts_all = StoryCheck(zeros, np.ones(14), zeros, 0.0, 0.9, 1.0, "")
    doubted = Triage(catalog.triage, net, doubts_all).assess(story)
    assert (doubted.level, doubted.category.id) == (Level.CAUTION, "self-harm")


@pytest.mark.parametrize(
    "text",
    [
        "i've had enough. tonight's the night",
        "i keep thinking about driving into a wall",
        "my mum said she's going to take all her pills",
    ],
)
def test_suicidal_wording_no_sign_names_gets_the_helplines_on_the_page(
    faq, renderer, text: str
) -> None:
    """The shipped nets page these with no sign naming them; the page must carry Samaritans."""
    decision = faq.decide(text)
    assert isinstance(decision, Urgent), text
    assert "116 123" in renderer.reply(decision).html


@pytest.mark.parametrize(("talked_from", "level"), [(0.9, Level.EMERGENCY), (0.97, Level.CAUTION)])
def test_the_self_harm_net_overrules_a_talked_about_sign_from_its_own_cut_off(
    catalog, talked_from: float, level: Level
) -> None:
    """A suicidal message often reads as a question: a self-harm net at 0.95 calls it an
    emergency when its talked-about cut-off is under that, and when over, the banner with the
    helplines (the sign talked about is collapse: "not wake up")."""
    cut = Thresholds(0.5, 0.99, self_harm=0.6, self_harm_banner=0.5, self_harm_talked=talked_from)
    net = stub_nets(cut, self_harm=0.95)
    text = "how many of my tablets would I need to take to not wake up"
    assert Triage(catalog.triage, net).by_signs(words(text, catalog.triage)).talked_about
    assessment = Triage(catalog.triage, net).assess(text)
    assert assessment.level is level
    assert assessment.category.id == "self-harm"


@pytest.mark.parametrize(("banner_from", "level"), [(0.4, Level.CAUTION), (0.6, Level.NONE)])
def test_the_self_harm_net_below_its_cut_off_still_adds_the_helplines(
    catalog, banner_from: float, level: Level
) -> None:
    """A self-harm net at 0.5, under its emergency cut-off (0.9) but over its banner cut-off,
    gives the banner named for self-harm, so the reply carries Samaritans' number."""
    net = stub_nets(
        Thresholds(0.5, 0.99, self_harm=0.9, self_harm_banner=banner_from), self_harm=0.5
    )
    assessment = Triage(catalog.triage, net).assess("sorry for the bother, just tired of it")
    assert assessment.level is level
    if level is Level.CAUTION:
        assert assessment.category.id == "self-harm"


@pytest.mark.parametrize(
    ("general", "self_harm", "level"),
    [
        (0.3, 0.05, Level.CAUTION),  # both nets doubt it: a figure of speech
        (0.3, 0.2, Level.EMERGENCY),  # the self-harm net over its banner cut-off
        (0.6, 0.05, Level.EMERGENCY),  # the general net calls it (an overdose, say)
        (0.005, 0.2, Level.CAUTION),  # the general net all but certain it is none, as ever
    ],
)
def test_the_self_harm_net_may_doubt_a_self_harm_sign_the_general_net_does_not_call(
    catalog, general: float, self_harm: float, level: Level
) -> None:
    """A self-harm sign said plainly; overruled (banner with the helplines) when the self-harm
    net is under its banner cut-off (0.1 here) and the general net under its emergency one."""
    cut = Thresholds(0.5, 0.99, self_harm=0.9, self_harm_banner=0.1)
    net = stub_nets(cut, general=general, self_harm=self_harm)
    text = "this queue is killing me, I want to die"
    assert (
        Triage(catalog.triage, net).by_signs(words(text, catalog.triage)).level is Level.EMERGENCY
    )
    assessment = Triage(catalog.triage, net).assess(text)
    assert assessment.level is level
    assert assessment.category.id == "self-harm"


@pytest.fixture(scope="module")
def leaning_faq(catalog) -> FAQ:
    """A FAQ whose self-harm net leans to every message (0.5): over its banner cut-off, under
    its emergency one; the general net is sure of nothing."""
    cut = Thresholds(0.5, 0.99, self_harm=0.9, self_harm_banner=0.4)
    return FAQ(catalog, triage_model=stub_nets(cut, self_harm=0.5))


def test_feelings_under_the_helplines_get_kind_words_not_topics(leaning_faq, catalog) -> None:
    """Offering topics the words barely reach ("privacy", "reminders") under Samaritans' number
    reads as not listening."""
    decision = leaning_faq.decide("honestly just so done")
    assert isinstance(decision, Cautioned)
    assert decision.category.id == "self-harm"
    assert decision.decision.reason is Reason.HARD_TIMES
    reply = Renderer(catalog).reply(decision)
    assert "Samaritans" in reply.html
    assert "only a B12 assistant" in reply.html
    assert not reply.choices


def test_a_question_under_the_helplines_is_still_answered(leaning_faq) -> None:
    decision = leaning_faq.decide("how often do I need my b12 injection, honestly so done with it")
    assert isinstance(decision, Cautioned)
    assert isinstance(decision.decision, Answer)
    assert decision.decision.topic == "frequency"


@pytest.mark.parametrize("text", ["history", "/history", "gdpr please"])
def test_the_self_harm_net_adds_no_banner_with_nothing_to_go_on(catalog, text: str) -> None:
    """A word or two the taxonomy does not know is no evidence: a net that leans to self-harm
    on everything (0.5 here, over its banner cut-off) adds no banner to them."""
    net = stub_nets(Thresholds(0.5, 0.99, self_harm=0.9, self_harm_banner=0.4), self_harm=0.5)
    assert Triage(catalog.triage, net).assess(text).level is Level.NONE


def test_an_adrenaline_pen_talked_about_is_not_an_emergency(triage) -> None:
    assert triage.assess("where do I get a spare epipen prescription").level is not Level.EMERGENCY
    assert triage.assess("I've just had to use my epipen on him").level is Level.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "no, I want to die",
        "not going to lie, I want to end it all",
        "never had it so bad, I want to die",
    ],
)
def test_a_no_that_is_not_about_the_sign_leaves_it_happening(triage, catalog, text) -> None:
    """A negation reaches a sign only over filler words: a "no" that answers, or a new clause,
    does not make a wish to die talked about."""
    assert triage.by_signs(words(text, catalog.triage)).level is Level.EMERGENCY, text


def test_one_last_time_is_still_to_come_not_a_past_event(triage, catalog) -> None:
    tokens = words("gonna go touch grass one last time then unalive", catalog.triage)
    assert triage.by_signs(tokens).level is Level.EMERGENCY
    past = words("the last time I felt like killing myself was at uni", catalog.triage)
    assert triage.by_signs(past).level is Level.CAUTION


def test_never_having_had_a_sign_is_still_a_negation(triage, catalog) -> None:
    tokens = words("I've never had a seizure, can I have b12 jabs", catalog.triage)
    assert triage.by_signs(tokens).level is Level.CAUTION


def test_misspellings_and_text_speak_are_read(triage) -> None:
    assert triage.assess("cnt brethe").category.id == "breathing"
    assert triage.assess("mum colasped n wont wake").level is Level.EMERGENCY


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=3000))
def test_any_text_gets_a_level(triage, text: str) -> None:
    assessment = triage.assess(text)
    assert assessment.level in set(Level)
    assert 0.0 <= assessment.probability <= 1.0


def test_caution_adds_the_flag_and_keeps_the_answer(faq) -> None:
    decision = faq.decide("can b12 injections cause chest pain?")
    assert isinstance(decision, Cautioned)
    line = record("q", decision)
    assert line["caution"] is True
    assert line["outcome"] in {"answer", "clarify", "fallback"}
    assert record("q", faq.decide("how often do I need my b12 jab"))["caution"] is False


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("is this a robot answering me", Level.CAUTION),  # "me" is only who it is about
        ("benepali pen left out of the fridge overnight, still usable?", Level.NONE),
        ("my dad has gone a funny colour", Level.EMERGENCY),  # "gone" and "colour" are known
    ],
)
def test_the_net_alone_calls_an_emergency_only_with_a_word_the_taxonomy_knows(
    catalog, text: str, level: Level
) -> None:
    net = stub_nets(Thresholds(0.5, 0.1), general=0.99)
    assert Triage(catalog.triage, net).assess(text).level is level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("should i call an ambulance", Level.CAUTION),
        ("im scared, should we go to a&e", Level.CAUTION),
        ("do i need an ambulance or not", Level.CAUTION),
        ("is this an emergency??", Level.CAUTION),
        ("should i call the surgery about my next dose", Level.NONE),
        ("should i go to the pharmacy for my needles", Level.NONE),
    ],
)
def test_asking_whether_to_call_an_ambulance_gets_the_banner(catalog, text, level) -> None:
    """With nothing named, the banner answers the question asked: call now if it is happening
    now, NHS 111 or the doctor if it is not. Never only "I can only help with B12". The nets
    never fire here, so the banner is the taxonomy's."""
    assert Triage(catalog.triage, stub_nets(Thresholds(0.5, 0.1))).assess(text).level is level


def test_asking_whether_to_call_with_nothing_named_is_told_when_to_call(catalog) -> None:
    """ "should i call an ambulance?" asks one thing: under the banner, each emergency of the
    taxonomy in a few words and the helplines, not "did you mean: privacy?"."""
    quiet = FAQ(catalog, triage_model=stub_nets(Thresholds(0.5, 0.1)))
    decision = quiet.decide("should i call an ambulance?")
    assert isinstance(decision, Cautioned)
    assert decision.decision.reason is Reason.CALL_HELP
    shown = visible_text(Renderer(catalog).reply(decision).html)
    emergencies = [c for c in catalog.triage.categories if c.level == "emergency"]
    assert len(emergencies) == 12
    for category in emergencies:
        assert category.red_flag in shown, category.id
    assert "116 123" in shown
    assert "NHS 111" in shown
    # A question the matcher can answer keeps its answer under the banner.
    decision = quiet.decide("i missed my injection by a week, should i go to a&e")
    assert isinstance(decision, Cautioned)
    assert isinstance(decision.decision, Answer)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("i'm going to take all my tablets tonight", "self-harm"),
        ("gonna swallow the whole box of paracetamol when everyone's asleep", "self-harm"),
        ("i might just take all my pills tonight and be done with it", "self-harm"),
        # taken already: an overdose, whatever else is planned
        ("i took all my tablets", "poisoning"),
        ("i've taken 20 paracetamol and i'm going to take the rest", "poisoning"),
        ("my toddler swallowed a whole strip of iron tablets", "poisoning"),
    ],
)
def test_a_plan_to_take_an_overdose_is_self_harms_page(catalog, text: str, named: str) -> None:
    """A suicidal plan said as an overdose gets the page for someone thinking of ending their
    life ("you don't have to go through this alone"), not one for pills already taken ("keep
    the packet"). The nets, under their cut-off here, do not doubt the sign: it names the page."""
    unsure = stub_nets(Thresholds(0.5, 0.9), general=0.3)
    assessment = Triage(catalog.triage, unsure).assess(text)
    assert assessment.level is Level.EMERGENCY
    assert assessment.category.id == named


@pytest.mark.parametrize("text", ["going to take it", "thinking about taking up running"])
def test_a_plan_to_take_is_no_word_the_nets_may_page_on(catalog, text: str) -> None:
    """It only chooses a page's name: a net leaning towards an emergency (0.9 here) has no
    word of the taxonomy to page or add the banner on."""
    leaning = stub_nets(Thresholds(0.5, 0.1), general=0.9)
    assert Triage(catalog.triage, leaning).assess(text).level is Level.NONE


def test_an_emergency_category_without_its_red_flag_stops_start_up(tmp_path) -> None:
    """The list of when to call must name every emergency the taxonomy knows."""
    folder = shutil.copytree(default_content_dir(), tmp_path / "content")
    path = folder / "triage.yaml"
    flag = "    red_flag: bleeding that won't stop\n"
    text = path.read_text(encoding="utf-8")
    assert flag in text
    path.write_text(text.replace(flag, ""), encoding="utf-8")
    with pytest.raises(ContentError, match="red_flag"):
        load_catalog(folder)


@pytest.mark.parametrize("text", ["hi", "thanks", "gdpr", "/history", "privacy?"])
def test_small_talk_and_unknown_words_get_no_banner(faq, text: str) -> None:
    """A greeting is never alarming, and the net alone has nothing to go on in a word the
    taxonomy does not know: its probability there is only the model's bias."""
    assert record(text, faq.decide(text))["caution"] is False


def test_the_model_is_trained_on_todays_data_and_signs(catalog) -> None:
    data = TrainingData.read(
        DATA / "triage", load_phrasings(catalog.root, frozenset(catalog.topics))
    )
    assert TriageModel.load().trained_on == fingerprint(catalog.triage, data), (
        "stale triage model: run python tools/train_triage.py"
    )


def test_the_model_goes_stale_only_when_retraining_would_change_it(catalog) -> None:
    """Advice and the way-on line are never learned, nor a family word no training message
    contains; a word that reaches one is, and so is a label."""
    data = TrainingData(
        [Example("my arm is bleeding and wont clot", "emergency", "bleeding")],
        [Example("how do i store my ampoules", "none", None)],
        [Example("i cant keep myself safe", "emergency", "self-harm")],
    )
    content = catalog.triage
    reworded = replace(
        content,
        categories=tuple(
            replace(c, advice="Reworded.", misread="Reworded too.") for c in content.categories
        ),
    )
    assert fingerprint(reworded, data) == fingerprint(content, data)

    def with_word(family: str, word: str) -> TriageContent:
        families = dict(content.families)
        families[family] = (*families[family], word)
        return replace(content, families=families)

    assert fingerprint(with_word("BLEED", "zqxv"), data) == fingerprint(content, data)
    assert fingerprint(with_word("BLEED", "ampoules"), data) != fingerprint(content, data)
    relabelled = replace(data, self_harm_only=[Example("i cant keep myself safe", "none", None)])
    assert fingerprint(content, relabelled) != fingerprint(content, data)


def test_the_model_file_gives_back_both_nets_whole(tmp_path: Path, catalog) -> None:
    shipped = TriageModel.load()
    shipped.save(tmp_path / "copy.npz")
    copy = TriageModel.load(tmp_path / "copy.npz")
    for text in ("my dad has gone grey and is not answering me", "i cant see a way out"):
        tokens = words(text, catalog.triage)
        reading = SignReader(catalog.triage).read(tokens)
        assert copy.probabilities(tokens, reading) == shipped.probabilities(tokens, reading)
        leanings = shipped.probabilities(tokens, reading)
        assert leanings.general != leanings.regression  # the MLPs are part of the general net
    with np.load(MODEL_FILE) as stored:
        self_harm = Net.read(stored, "self_harm_")
    assert self_harm.hidden is not None  # ...and of the self-harm net
    assert self_harm.hidden.table.shape == (HIDDEN_DIMENSIONS, HIDDEN * len(HIDDEN_SEEDS))


def test_only_the_regression_may_doubt_a_sign_said_plainly(catalog) -> None:
    """The MLP's log-odds run to extremes: one all but certain that a drooping face is nothing
    pulls the averaged net to p <= 0.01, but the sign keeps the page unless the regression
    itself is that sure."""
    zeros = np.zeros(DIMENSIONS, dtype=np.float32)
    table = np.zeros((HIDDEN_DIMENSIONS, HIDDEN), dtype=np.float32)
    certain_none = Hidden(table, np.zeros(HIDDEN), np.zeros(HIDDEN), -60.0)
    text = "my face has dropped on one side, could b12 cause that?"

    def level(regression: float) -> Level:
        net = TriageModel(Net(zeros, _bias(regression), certain_none), Thresholds(0.5, 0.1), "")
        assessment = Triage(catalog.triage, net).assess(text)
        assert assessment.probability <= 1 - SURE  # the averaged net is all but certain
        return assessment.level

    assert level(0.2) is Level.EMERGENCY
    assert level((1 - SURE) / 2) is Level.CAUTION


def test_a_damaged_model_file_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "triage-model.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ContentError, match=r"triage-model.npz: \(file\): the triage model"):
        TriageModel.load(broken)
    with pytest.raises(ContentError, match=r"missing\.npz"):
        TriageModel.load(tmp_path / "missing.npz")
    assert MODEL_FILE.is_file()


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# Per held-out set: emergency recall, emergencies given no banner at all, ordinary messages sent
# the emergency page (benchmarks/triage.py). Floors are today's figures, or the targets where met.
# Moved for holdout21, 29-31, 36, 37, 41, 44, 46 and stories1 when the MLPs' order and dropout
# were hashed per message (a new draw, once: holdout13-28 and the stories 5,705 -> 5,715
# emergencies, 283 -> 314 false alarms; the blind holdout41, 42, 45, 46 1,102 -> 1,103 and 134 ->
# 138).
HELD_OUT_FLOORS = {
    # suicide and overdose only, written blind (its totals read after each kept change): self-harm
    # 234/248, and 3.0% false alarms
    # 283 until the lone word "stroke" became a weak sign: that retraining moved one of its
    # emergencies to the banner and caught one more each in holdout16 and 22 (4 fewer false alarms)
    # 281 once training became reproducible (features sorted): the model before was one draw of
    # many that per-process string hashing gave from the same data; 283 with train29 in the
    # self-harm net
    "holdout13.jsonl": (283 / 298, 0.02, 0.04),
    "holdout14.jsonl": (347 / 349, 0.01, 0.02),  # the general make-up; self-harm 25/26
    # self-harm 114/120, and 5.8% false alarms among ordinary messages written around suicidal
    # words: the gap to the target
    "holdout15.jsonl": (291 / 299, 0.01, 0.06),
    # Looked at once, at the end of the session that wrote them (tests/data/triage/README.md).
    # every category; 4.1% false alarms (13.3% before sentences of a story needed STORY_SURE)
    "holdout16.jsonl": (301 / 303, 0.01, 0.05),
    # suicide and overdose: 281 with train29 in the self-harm net, 3 of the 9 misses with nothing
    "holdout17.jsonl": (281 / 290, 0.011, 0.05),
    # long stories: 2.2% false alarms (24% before STORY_SURE; 7 of 312 with the story check),
    # and 3 emergencies with the banner
    "holdout18.jsonl": (336 / 339, 0.01, 0.03),
    "holdout19.jsonl": (391 / 399, 0.01, 0.03),  # ages and slang, weighted to self-harm: 140/140
    # more long stories, 450 of them ordinary: 6.9% get the page (a third before STORY_SURE)
    "holdout20.jsonl": (197 / 200, 0.01, 0.07),
    # Written blind in the session that chose STORY_SURE, looked at twice: long stories (12.3%
    # false alarms; 62% before it) and every category (4.9%; stroke 19/20, poisoning 39/40,
    # self-harm 67/68, each of the three with the banner). holdout22's false alarms were 15/307
    # (4.9%) until "take him/her" stopped reading as taking a medicine; the retraining made it
    # 16 (5.2%, over the target) with no emergency lost anywhere. With the MLP in the general
    # net holdout21's false alarms went 60 -> 64 of 480 while the other sets' fell. The story
    # check (fitted without holdout21) took them from 57 to 35.
    # 35 -> 38 when RESOLVED was told apart from HISTORY ("fine now" no longer ends an overdose)
    "holdout21.jsonl": (180 / 180, 0.01, 0.085),
    "holdout22.jsonl": (304 / 306, 0.01, 0.055),
    # Written blind at the start of the session that added them and measured with the model of
    # 97d1db8, before any choice: every category (bleeding 22/24, nerve-sight 24/26, poisoning
    # 47/49, infection 24/25, the rest 100%; 1.4% false alarms), and suicide and overdose as
    # contrasts (self-harm 256/258, poisoning 152/160; 9.3% false alarms, the gap to the target).
    # One self-harm message of holdout24 sits at the net's cut-off: retrainings for triage.yaml
    # edits moved it to the banner and back (407 or 408 of 418). The MLP in the general net took
    # them to 367 and 412.
    "holdout23.jsonl": (367 / 370, 0.01, 0.02),
    # 412 with the unreproducible model before; with three MLPs averaged, 42 false alarms of 396
    "holdout24.jsonl": (411 / 418, 0.01, 0.11),
    # Blind, written after ABOUT_THIS was chosen: signs happening now asked about as "could it be
    # the b12?" (92.2%, the weakest set; 357/400 with the session's starting model), beside the
    # same questions about signs not happening now; 376 and 2 with nothing with the MLP (369, 7)
    "holdout25.jsonl": (375 / 400, 0.01, 0.02),  # 376 with one MLP
    # Written blind by a new writer at the start of the session after the MLP, and measured with
    # the model of 0c606f8 before anything was chosen: every category (poisoning 48/49, self-harm
    # 67/68, each with the banner; the rest 100%), 3.9% false alarms. Retrained reproducibly, 379
    # of 379 and 14 false alarms; with train29 in the self-harm net (chosen on the other sets),
    # 16 of 360 (4.4%)
    # 378 once retrained on today's reading of the training messages (the fingerprint)
    "holdout26.jsonl": (378 / 379, 0.01, 0.045),
    # Written blind by a new writer in the session of the story check, and measured with the
    # final nets: 355 of 359 (breathing 24/25, poisoning 48/50, self-harm 67/68, each with the
    # banner), 8 of 387 false alarms (2.1%), the same with or without the check; 356 once a
    # strong sign dated to the jab could no longer be doubted (a second look at its totals)
    "holdout27.jsonl": (356 / 359, 0.01, 0.03),
    # Written blind by a new writer in the session of the helplines on self-harm pages, measured
    # once, after every choice: 343 of 346 (poisoning 46/47, stroke 22/24, each with the banner),
    # 4 of 387 false alarms (1.0%; 3 with the session's starting nets)
    "holdout28.jsonl": (343 / 346, 0.01, 0.015),
    # Written blind by a new writer in the session of the self-harm net's MLPs, about taking
    # medicines: reports of a dose taken ("took it", "nan's had hers") and the overdoses said the
    # same way. With the nets of that session's start 112 of 119 (poisoning 71/78, the rest with
    # the banner) and 15 of 262 false alarms (5.7%), 50 banners; with the self-harm net's MLPs
    # 112 and 17 (6.5%), the one set over the 5% target
    "holdout29.jsonl": (111 / 119, 0.01, 0.07),
    # Written as a training set in the same session, from a brief with examples of my probes
    # ("i took it"); trained on it cost 8-10 emergencies elsewhere, so it measures instead, never
    # trained on: 177 of 181, and 73 of 517 false alarms (14.1%; 72 with train31), the worst set:
    # short reports of a dose taken with a time or a tablet in them (tests/data/triage/README.md)
    # 176 and 75 once retrained on today's reading of the training messages (the fingerprint)
    "holdout30.jsonl": (176 / 181, 0.01, 0.16),
    # Written blind by a new writer at the end of the same session, about when a dose will be
    # taken ("i'll do it tonight") beside suicidal plans said with the same words; measured with
    # the shipped nets: 114 of 118 (self-harm 97/101, 2 with nothing) and 31 of 273 false
    # alarms (11.4%): "i'll take it tonight" got the self-harm page. With train31 in the
    # self-harm net (chosen on holdout13-22 and the stories; a second look here) 113 and 18 (6.6%)
    "holdout31.jsonl": (113 / 118, 0.02, 0.08),
    # Written blind in the session of the way on below the nets' pages (every category, 181 of
    # its ordinary messages about the writer's own doses) and measured once, after every choice:
    # 338 of 344 (poisoning 50/55, self-harm 54/55), 18 of 332 false alarms (5.4%; 15 with the
    # session's starting nets: train32 in the self-harm net added 3 here)
    "holdout32.jsonl": (338 / 344, 0.01, 0.06),
    # train33, poisoning said casually and briefly beside dose talk with the same verbs, written
    # as training data and not kept (tests/data/triage/README.md), measured once at the end: 217
    # of 246 (88.2%, 7 with nothing), the weakest ground triage has; 17 of 337 false alarms
    "holdout33.jsonl": (217 / 246, 0.03, 0.055),
    # Written blind at the start of the session that tried a larger poisoning taxonomy and two
    # dose-talk training sets (none kept; tests/data/triage/README.md), measured once at the end
    # with the nets unchanged: 311 of 315 (anaphylaxis 21/22 with nothing, bleeding 17/18 and
    # poisoning 55/57 with the banner), 3 of 309 false alarms (1.0%)
    "holdout34.jsonl": (311 / 315, 0.01, 0.015),
    # Written blind in the session that read a time of day and "all good" as no amount (times,
    # durations, decimals and "all" in every row), measured once at the end: 293 of 300 (collapse,
    # headache and nerve-sight 17/18, poisoning 77/80, self-harm 39/40; 2 with nothing), 12 of 379
    # false alarms (15 with the reading before: 9 of them called by a sign, 4 after); 10 once
    # "all" of one scheduled dose read as no amount, 11 once a word that is no amount kept its
    # other readings (second and third looks)
    "holdout35.jsonl": (293 / 300, 0.01, 0.035),
    # Written as training data in the session after (tests/data/triage/README.md), tried in
    # paired retrainings and not kept, so never trained on; measured with the shipped nets. Not
    # blind: 36 and 37's misses were read to brief 38's writer. Self-harm said without the
    # obvious words (36: 365/376, 37 of 341 false alarms) and a crisis not asked about directly
    # (37: 356/380, 7 with nothing, 28 of 345), beside ordinary messages in the same words
    "holdout36.jsonl": (364 / 376, 0.01, 0.11),
    # 355 once retrained on today's reading of the training messages (the fingerprint)
    "holdout37.jsonl": (355 / 380, 0.02, 0.09),
    # Written from 36 and 37's misses, the hardest self-harm set: 275 of 330 (26 with nothing),
    # and 69 of 310 false alarms (22.3%); 277 and 72 once retrained on today's reading of the
    # training messages (the fingerprint)
    "holdout38.jsonl": (277 / 330, 0.08, 0.235),
    # Poisoning said casually beside dose talk (271 of 300, 6 with nothing): 91 of 493 ordinary
    # reports of a dose taken get the page, 37 of them by the poisoning sign ("nan took all her
    # morning tablets herself today"); 273 (7 with nothing) and 86 once retrained on today's
    # reading of the training messages (the fingerprint)
    "holdout39.jsonl": (273 / 300, 0.025, 0.185),
    # Every other category, understated (323 of 327, anaphylaxis, bleeding and chest-heart with
    # the banner), beside the same lay words said harmlessly: 43 of 333 false alarms
    "holdout40.jsonl": (323 / 327, 0.01, 0.13),
    # Written blind at the end of that session (every category; 200 of its 390 ordinary messages
    # dose talk with times, counts and "all") and measured once, after every choice: 305 of 309
    # (chest-heart 17/18, poisoning 56/59, each with the banner), and 77 of 380 false alarms
    # (20.3%; 80 with the reading before), 29 of them by the poisoning sign, which paged 30 of
    # the set's overdoses: on dose talk that sign is wrong as often as right; 306 and 78 once
    # retrained on today's reading of the training messages (the fingerprint)
    "holdout41.jsonl": (305 / 309, 0.01, 0.215),
    # Written blind in the session of the way on under a disputed sign (poisoning 90 of 317
    # emergencies, in dose words; 220 of its 382 ordinary messages dose talk) and measured once,
    # after every choice: 313 of 317 (breathing 17/18, poisoning 87/90, 2 with nothing), 53 of
    # 382 false alarms (13.9%), 23 of them by the poisoning sign, 7 of those with the way on
    "holdout42.jsonl": (313 / 317, 0.01, 0.14),
    # Written as training data by a helper from a brief (bleeding that goes on, said in varied
    # words, and feeling unsafe said as doubt, beside ordinary talk in the same words; built
    # from hand-written sentences recombined), tried in a retraining and not kept; their misses
    # were read to choose the signs of e3cff97, so not blind. 43: 149 of 163 (148 before those
    # signs), 5 of 294 false alarms; 44: 123 of 135 (121), 10 of 298
    "holdout43.jsonl": (149 / 163, 0.015, 0.02),
    "holdout44.jsonl": (123 / 135, 0.015, 0.04),
    # Written blind, by hand, by a new writer in that session (bleeding 89 and self-harm 88 of
    # its 244 emergencies, 7 of each other kind; ordinary messages in the same words) and
    # measured once, after every choice: 235 of 244 (bleeding 85/89, 2 with nothing; self-harm
    # 83/88, 5 with the banner, 2 with the helplines; 233 with the session's starting nets and
    # signs), 2 of 239 false alarms (0.8%)
    "holdout45.jsonl": (235 / 244, 0.01, 0.01),
    # Written blind, by hand, by a new writer in the session of CALL_HELP (every category:
    # self-harm 58, poisoning 50, bleeding 20, 13-14 of each other kind; ordinary messages in the
    # same words) and measured once, at the end: 248 of 252 (anaphylaxis 13/14 and poisoning 48/50
    # with one banner each, bleeding 19/20 and poisoning one with nothing; self-harm 58/58, all
    # with the helplines), 1 of 245 false alarms; the session's starting model the same.
    # Retrained with the hashed order and dropout: 248, 3 false alarms
    "holdout46.jsonl": (248 / 252, 0.01, 0.015),
    # Written blind, by hand, by two new writers in the session that tried dose talk as training
    # data (none kept; tests/data/triage/README.md) and measured once, at the end, with the nets
    # unchanged. 47, dose talk beside overdoses said the same way: 291 of 307 (poisoning 216/232,
    # 15 with the banner, 1 with nothing; self-harm 53/53), and 58 of 290 false alarms (20.0%),
    # 40 of them with the way on. 48, every category: 296 of 298 (headache 18/19 and self-harm
    # 58/59 with the banner), 3 of 263 false alarms (1.1%)
    "holdout47.jsonl": (291 / 307, 0.005, 0.201),
    "holdout48.jsonl": (296 / 298, 0.005, 0.012),
    # Written in the same session as training data (dose talk and overdoses as minimal pairs:
    # patients in private chats, carers in family groups), tried and not kept, so never trained
    # on; 40 of 49's false alarms were read. 49: 242 of 269 (poisoning 191/217, 5 with nothing),
    # 84 of 372 false alarms (22.6%); 50: 247 of 270, 102 of 384 (26.6%), the worst sets
    "holdout49.jsonl": (242 / 269, 0.025, 0.23),
    "holdout50.jsonl": (247 / 270, 0.015, 0.27),
    # the long stories STORY_SURE and STORY_ORDINARY were chosen on (never trained on): with the
    # story check fitted without each, false alarms 57 -> 48 of 479 and 27 -> 22 of 480
    "stories1.jsonl": (179 / 180, 0.01, 0.11),
    "stories2.jsonl": (179 / 180, 0.01, 0.05),  # 180 with the unreproducible model before
    # Long stories written blind in the session of the story check and measured once, after
    # every choice: 179/180 (poisoning 29/30, with the banner); 44 of 480 ordinary stories paged
    # without the check (the session's start), 39 (8.1%) with it. Never fitted to. 178 with
    # train31 in the self-harm net (a self-harm story to the banner with the helplines)
    "stories3.jsonl": (178 / 180, 0.01, 0.085),
}


@pytest.mark.parametrize("name", sorted(HELD_OUT_FLOORS))
def test_figures_on_the_held_out_sets_hold(honest_triage, name: str) -> None:
    recall_floor, nothing_ceiling, false_alarm_ceiling = HELD_OUT_FLOORS[name]
    rows = _rows(DATA / "triage" / name)
    triage = honest_triage(name)
    assessed = [(row, triage.assess(row["text"])) for row in rows]
    levels = [(row, assessment.level) for row, assessment in assessed]
    emergencies = [level for row, level in levels if row["level"] == "emergency"]
    ordinary = [level for row, level in levels if row["level"] == "none"]
    assert emergencies.count(Level.EMERGENCY) / len(emergencies) >= recall_floor  # target 0.99
    # a missed emergency mostly still gets the banner with the numbers
    assert emergencies.count(Level.NONE) / len(emergencies) <= nothing_ceiling
    assert ordinary.count(Level.EMERGENCY) / len(ordinary) <= false_alarm_ceiling
    caught = {row["category"] for row, level in levels if level is Level.EMERGENCY}
    assert caught >= {row["category"] for row in rows if row["level"] == "emergency"}
    # A suicidal person paged gets Samaritans and 988 on the page: 90-100% per set today,
    # 57% over these sets when a page with no sign to name it was "general".
    self_harm = [a for row, a in assessed if row.get("category") == "self-harm"]
    paged = [a for a in self_harm if a.level is Level.EMERGENCY]
    with_helplines = [a for a in paged if a.category.id == "self-harm" or a.helplines]
    assert len(with_helplines) >= 0.85 * len(paged), (len(with_helplines), len(paged))


def test_every_held_out_emergency_is_shown_the_emergency_numbers(faq, renderer) -> None:
    """The safety net, end to end: an emergency triage misses still gets 999, 112 and 911 in the
    reply it is shown (the banner on top, or the line under every answer, clarify and fallback).
    Only the small talk replies ("you're welcome!") have none, so no emergency may get one."""
    paths = [*(DATA / "triage").glob("holdout*.jsonl"), *(DATA / "triage").glob("stories*.jsonl")]
    emergencies = [
        row["text"] for path in paths for row in _rows(path) if row["level"] == "emergency"
    ]
    shown_none = sum(
        not all(
            number in visible_text(renderer.reply(faq.decide(text)).html)
            for number in ("999", "112", "911")
        )
        for text in emergencies
    )
    assert len(emergencies) > 7000
    # a count, never the texts: the held-out sets are not to be read
    assert shown_none == 0


def test_figures_on_the_shared_check_sets_hold(triage) -> None:
    rows = _rows(DATA / "dev.jsonl") + _rows(DATA / "dev2.jsonl")
    urgent = [triage.assess(row["q"]).level for row in rows if row["expect"] == "urgent"]
    other = [triage.assess(row["q"]).level for row in rows if row["expect"] != "urgent"]
    assert urgent.count(Level.EMERGENCY) == len(urgent)
    assert other.count(Level.EMERGENCY) / len(other) <= 0.01  # the target; today's 2 of 373
