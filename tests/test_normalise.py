import pytest

from bot.knowledge.normalise import MAX_MATCH_CHARS, fold, sentences, tokens


def words(faq, text: str) -> tuple[str, ...]:
    return faq.matcher.words(text).content


def test_fold_removes_accents_case_and_reads_micrograms() -> None:
    assert fold("Hydroxocobalamine 500 µg") == "hydroxocobalamine 500 mcg"
    assert fold("CAFÉ") == "cafe"


def test_tokens_split_numbers_from_units() -> None:
    assert tokens("1000mcg or 1mg/1ml") == ["1000", "mcg", "or", "1", "mg", "1", "ml"]


def test_sentences_split_a_story() -> None:
    story = "I had my jab on Monday. It hurt a lot! Is that normal?"
    assert sentences(story) == ["I had my jab on Monday.", "It hurt a lot!", "Is that normal?"]


def test_input_is_capped_so_one_message_cannot_stall_matching() -> None:
    assert len(fold("a" * (MAX_MATCH_CHARS * 3))) == MAX_MATCH_CHARS


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("my b12 jab", "my b12 injection"),
        ("B-12 shot", "vitamin b12 injection"),
        ("hydroxo", "hydroxocobalamin"),
        ("cyanocobalamine", "cyanocobalamin"),
        ("subq", "subcutaneous"),
        ("ampoule", "vial"),
        ("1000 micrograms", "1 mcg"),
        ("how often", "frequency"),
        ("weekly", "every week"),
        ("my mum's", "my dad's"),
        ("pins and needles", "numbness"),
    ],
)
def test_synonyms_reach_the_same_words(faq, variant: str, canonical: str) -> None:
    assert words(faq, variant) == words(faq, canonical)


@pytest.mark.parametrize(
    ("typo", "right"),
    [
        ("hydroxocobalamine", "hydroxocobalamin"),
        ("subcutanious", "subcutaneous"),
        ("refridgerate", "fridge"),
    ],
)
def test_misspellings_are_corrected(faq, typo: str, right: str) -> None:
    assert words(faq, typo) == words(faq, right)


def test_short_real_words_are_not_corrected(faq) -> None:
    # "making" is one letter from "masking"; correcting it would change the meaning.
    assert words(faq, "making") != words(faq, "masking")


def test_stopwords_are_dropped(faq) -> None:
    assert words(faq, "is it the dose") == words(faq, "dose")


@pytest.mark.parametrize(
    ("text", "not_ours"),
    [
        ("how often do I need a vitamin D shot", True),
        ("insulin injection dose", True),
        ("my flu jab hurts", True),
        ("b12 for my dog", True),
        ("can I take paracetamol after my jab", False),  # the jab is ours: another drug around it
        ("can metformin lower my b12", False),
        ("how often is the injection", False),
    ],
)
def test_messages_about_something_else(faq, text: str, not_ours: bool) -> None:
    assert faq.matcher.words(text).not_ours is not_ours


def test_no_topic_question_is_taken_for_another_subject(faq, catalog) -> None:
    gated = [
        q for t in catalog.topics.values() for q in t.questions if faq.matcher.words(q).not_ours
    ]
    assert gated == []


def test_mentions_are_detected(faq) -> None:
    assert faq.matcher.words("vitamin D injection").mentions_other_subject
    assert not faq.matcher.words("vitamin D injection").mentions_b12
    assert faq.matcher.words("can metformin lower my b12").mentions_b12
    assert faq.matcher.words("b12 for my dog").mentions_never_b12
    # "vitamin b6" is another vitamin, not "vitamin b" + a number.
    assert not faq.matcher.words("how much vitamin b6").mentions_b12
