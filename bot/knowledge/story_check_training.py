"""Fit the story check to the long stories the nets would page, and measure it honestly.

The stories come from held-out sets the nets never learned (tests/data/triage/holdout*.jsonl and
stories*.jsonl), so the nets' readings of them are what they would be on new messages. The check
is fitted to them, so its own figures on them are only honest with each set left out of the fit:
`checks_left_out` gives, for every set, the check fitted without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.story_check import StoryCheck, fit_story_check
from bot.knowledge.triage import Level, Triage
from bot.knowledge.triage_training import Example

# The newest held-out sets are never fitted to: they measure triage whole, the check included.
BLIND = frozenset(
    {
        "holdout26.jsonl",
        "holdout27.jsonl",
        "holdout28.jsonl",
        "holdout29.jsonl",
        "holdout30.jsonl",
        "holdout31.jsonl",
        "holdout32.jsonl",
        "holdout33.jsonl",
        "holdout34.jsonl",
        "holdout35.jsonl",
        "holdout36.jsonl",
        "holdout37.jsonl",
        "holdout38.jsonl",
        "holdout39.jsonl",
        "holdout40.jsonl",
        "holdout41.jsonl",
        "holdout42.jsonl",
        "holdout43.jsonl",
        "holdout44.jsonl",
        "holdout45.jsonl",
        "holdout46.jsonl",
        "holdout47.jsonl",
        "holdout48.jsonl",
        "holdout49.jsonl",
        "holdout50.jsonl",
        "stories3.jsonl",
    }
)


def story_sets(folder: Path) -> list[Path]:
    """The sets the check is fitted to: every held-out and story set but the blind ones."""
    found = [*folder.glob("holdout*.jsonl"), *folder.glob("stories*.jsonl")]
    return sorted(path for path in found if path.name not in BLIND)


@dataclass(frozen=True, slots=True)
class PagedStories:
    """The long stories the nets page, from every set: the check's rows."""

    readings: np.ndarray
    levels: np.ndarray  # as labelled: emergency, caution or none
    sets: np.ndarray  # the set each came from

    @property
    def emergency(self) -> np.ndarray:
        return self.levels == "emergency"


def paged_stories(triage: Triage, sets: Mapping[str, Sequence[Example]]) -> PagedStories:
    """The readings of each story the nets (with no check) give the emergency page."""
    readings, levels, names = [], [], []
    for name, examples in sets.items():
        for example in examples:
            assessment, story = triage.assess_unchecked(example.text)
            if story is not None and assessment.level is Level.EMERGENCY:
                readings.append(story)
                levels.append(example.level)
                names.append(name)
    return PagedStories(np.array(readings), np.array(levels), np.array(names))


def fit_check(stories: PagedStories, *, self_harm_cut: float, trained_on: str) -> StoryCheck:
    return fit_story_check(
        stories.readings,
        stories.emergency,
        stories.sets,
        self_harm_cut=self_harm_cut,
        trained_on=trained_on,
    )


def checks_left_out(stories: PagedStories, self_harm_cut: float) -> dict[str, StoryCheck]:
    """For each set, the check fitted (cut-off included) without it: its honest figures."""
    checks = {}
    for name in np.unique(stories.sets):
        kept = stories.sets != name
        rest = PagedStories(stories.readings[kept], stories.levels[kept], stories.sets[kept])
        checks[str(name)] = fit_check(rest, self_harm_cut=self_harm_cut, trained_on="")
    return checks
