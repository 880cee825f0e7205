import pytest

URGENT = [
    ("my throat feels like it's closing after the injection", "allergic-reaction"),
    ("his lips have swollen up since the jab", "allergic-reaction"),
    ("I can't breathe properly since my shot", "allergic-reaction"),
    ("bad chest pain after my b12 injection", "chest-pain"),
    ("mum fainted right after her jab", "collapse"),
    ("my husband collapsed and won't wake up", "collapse"),
    ("dad is having a seizure", "seizure"),
    ("sudden weakness in my left arm and leg", "stroke-signs"),
    ("her face is drooping on one side", "stroke-signs"),
    ("I want to kill myself", "self-harm"),
    ("I don't want to be alive anymore", "self-harm"),
    ("my toddler swallowed some of my pills", "poisoning"),
    ("I took the whole bottle of my tablets", "poisoning"),
    (
        "redness spreading up my arm from the jab and I feel shivery with a fever and shaking",
        "spreading-infection",
    ),
    ("the injection site won't stop bleeding", "severe-bleeding"),
]

NOT_URGENT = [
    "can you overdose on b12?",
    "have I overdosed if I had two jabs in a week?",
    "can b12 shots give you a headache",
    "pins and needles in my feet before my next jab",
    "a little bit of bleeding after my injection, is that ok",
    "no chest pain, just tired all the time",
    "how long until my numbness gets better",
    "my arm is sore where I had the jab",
    "what happens if I miss my injection",
    "is it safe to have b12 while pregnant",
]


@pytest.mark.parametrize(("text", "rule"), URGENT)
def test_emergencies_are_caught(faq, text: str, rule: str) -> None:
    urgent = faq.triage.check(text)
    assert urgent is not None, text
    assert urgent.rule.id == rule


@pytest.mark.parametrize("text", NOT_URGENT)
def test_ordinary_worries_are_not_emergencies(faq, text: str) -> None:
    assert faq.triage.check(text) is None


def test_triage_wins_over_a_matching_topic(faq) -> None:
    decision = faq.decide("what is the maintenance dose? also my face and lips are swelling up")
    assert type(decision).__name__ == "Urgent"
