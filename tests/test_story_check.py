"""The story check: a second look at a long story the nets would page.

Its figures on the held-out sets it was fitted to (each set left out) are held in
test_triage.HELD_OUT_FLOORS; here, how it is wired in, what it may never do, and its fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.catalog import ContentError
from bot.knowledge.story_check import (
    CHECK_FILE,
    MARGIN,
    WHOLE_SELF_HARM,
    StoryCheck,
    fit_logistic,
    fit_story_check,
    left_out_scores,
)
from bot.knowledge.story_check_training import BLIND, story_sets
from bot.knowledge.triage import STORY_WORDS, Level, Triage
from bot.knowledge.triage_model import MODEL_FILE, TriageModel, training_hash
from bot.knowledge.triage_signs import words
from bot.knowledge.triage_training import read_examples

DATA = Path(__file__).resolve().parent / "data" / "triage"
READINGS = 14

# Written for these tests: a long emergency story, and a short emergency
STORY = (
    "I'm writing this on the bus so excuse typos. My chest has been really tight for the last "
    "half hour and its spreading down my left arm and i feel sick and sweaty. I had my b12 jab "
    "yesterday. Is it the injection or something else? I don't want to make a fuss."
)
SHORT = "crushing pain in my chest right now"
# A suicidal plan told at length and disguised as a question about the FAQ (train11.jsonl): the
# general net reads it as ordinary, the self-harm net calls it; the check rates it 0.007
DISGUISED = (
    "I'm a nurse myself so I know all this but my brain isn't working. Is 1mg IM alternate days "
    "until no further improvement still the guidance for neuro involvement? My ward manager "
    "thinks I'm fine. I've taken some potassium from work and I know how much I'd need. I'm "
    "going to do it on my day off. Anyway, the guidance?"
)


@pytest.fixture(scope="module")
def model() -> TriageModel:
    return TriageModel.load()


@pytest.fixture(scope="module")
def shipped() -> StoryCheck:
    return StoryCheck.load()


def _check(cut: float, self_harm_cut: float = 0.5) -> StoryCheck:
    """A check whose probability is 0.5 for every story: it doubts all of them when cut > 0.5."""
    zeros = np.zeros(READINGS)
    return StoryCheck(zeros, np.ones(READINGS), zeros, 0.0, cut, self_harm_cut, "")


def test_the_check_takes_the_page_only_from_a_story_and_leaves_the_banner(catalog, model) -> None:
    assert len(words(STORY, catalog.triage)) > STORY_WORDS >= len(words(SHORT, catalog.triage))
    unchecked = Triage(catalog.triage, model)
    assert unchecked.assess(STORY).level is Level.EMERGENCY
    doubting = Triage(catalog.triage, model, _check(cut=0.9))
    doubted = doubting.assess(STORY)
    assert doubted.level is Level.CAUTION  # the banner with the numbers, never nothing
    assert doubted.category == unchecked.assess(STORY).category  # the banner it names is kept
    assert doubting.assess(SHORT).level is Level.EMERGENCY  # a short message is never its to judge
    assert Triage(catalog.triage, model, _check(cut=0.1)).assess(STORY).level is Level.EMERGENCY


def test_a_story_the_self_harm_net_calls_keeps_the_page(catalog, model) -> None:
    """However sure a check is that the disguised plan is no emergency, the self-harm net's
    call on the whole story keeps the page."""
    triage = Triage(catalog.triage, model)
    assessment, story = triage.assess_unchecked(DISGUISED)
    assert assessment.level is Level.EMERGENCY
    assert story is not None
    guarded = _check(cut=0.9, self_harm_cut=model.thresholds.self_harm)
    assert Triage(catalog.triage, model, guarded).assess(DISGUISED).level is Level.EMERGENCY
    unguarded = _check(cut=0.9, self_harm_cut=1.0)  # no net is that sure
    assert Triage(catalog.triage, model, unguarded).assess(DISGUISED).level is Level.CAUTION


def test_no_emergency_story_of_the_training_sets_loses_the_page(catalog, model, shipped) -> None:
    """Recall first: the stories the nets learned from were never the check's to fit, and it
    takes the page from none of their emergencies."""
    triage = Triage(catalog.triage, model)
    doubted = paged = 0
    for path in sorted(DATA.glob("train*.jsonl")):
        for example in read_examples(path):
            if example.level != "emergency":
                continue
            assessment, story = triage.assess_unchecked(example.text)
            if story is not None and assessment.level is Level.EMERGENCY:
                paged += 1
                doubted += shipped.doubts(story)
    assert paged > 200  # the training sets tell emergencies at length
    assert doubted == 0


def test_the_check_is_fitted_to_todays_nets_and_held_out_sets(shipped) -> None:
    sets = story_sets(DATA)
    assert not BLIND & {path.name for path in sets}  # the newest sets measure triage whole
    assert "holdout26.jsonl" in BLIND
    assert {"holdout13.jsonl", "stories1.jsonl"} <= {path.name for path in sets}
    expected = training_hash(MODEL_FILE, *sets)
    assert shipped.trained_on == expected, (
        "stale story check: run python tools/train_story_check.py"
    )


def test_the_check_file_gives_back_the_same_check(tmp_path: Path, shipped) -> None:
    shipped.save(tmp_path / "copy.npz")
    copy = StoryCheck.load(tmp_path / "copy.npz")
    readings = np.linspace(-3, 3, READINGS)
    assert copy.probability(readings) == shipped.probability(readings)
    assert (copy.cut, copy.self_harm_cut, copy.trained_on) == (
        shipped.cut,
        shipped.self_harm_cut,
        shipped.trained_on,
    )


def test_a_damaged_check_file_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "story-check.npz"
    broken.write_bytes(b"not a check")
    with pytest.raises(ContentError, match=r"story-check.npz: \(file\): the story check"):
        StoryCheck.load(broken)
    assert CHECK_FILE.is_file()


def test_the_fit_weighs_the_reading_that_tells_and_ignores_one_that_never_varies() -> None:
    rng = np.random.default_rng(0)
    readings = rng.normal(size=(400, 3))
    readings[:, 2] = 5.0
    labels = readings[:, 0] + 0.3 * rng.normal(size=400) > 0
    _, _, weights, _ = fit_logistic(readings, labels)
    assert weights[0] > 2.0
    assert abs(weights[1]) < 0.5
    assert weights[2] == 0.0


def test_each_story_is_scored_by_a_fit_without_its_own_set() -> None:
    """A set whose labels say the opposite of every other's is scored by the others' rule."""
    rng = np.random.default_rng(1)
    readings = rng.normal(size=(300, 2))
    labels = readings[:, 0] > 0
    sets = np.repeat(np.array(["a", "b", "c"]), 100)
    labels[sets == "c"] = ~labels[sets == "c"]
    scores = left_out_scores(readings, labels, sets)
    own_c = scores[sets == "c"]
    assert own_c[labels[sets == "c"]].mean() < 0.5 < own_c[~labels[sets == "c"]].mean()


def test_the_cut_off_is_a_margin_below_the_lowest_emergency_left_out() -> None:
    rng = np.random.default_rng(2)
    readings = rng.normal(size=(300, READINGS))
    labels = readings[:, 0] + 0.5 * rng.normal(size=300) > -0.5
    sets = np.repeat(np.array(["a", "b", "c"]), 100)
    check = fit_story_check(readings, labels, sets, self_harm_cut=0.5, trained_on="")
    lowest = left_out_scores(readings, labels, sets)[labels].min()
    assert check.cut == pytest.approx(MARGIN * lowest)
    spared = readings[0].copy()
    spared[WHOLE_SELF_HARM] = 0.1  # the self-harm net over 0.5 on the whole story
    assert not _check(cut=0.9).doubts(spared)
