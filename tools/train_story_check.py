"""Fit the story check (bot/knowledge/story_check.py) and write its file.

Run after tools/train_triage.py, which runs it (the check weighs the nets' readings, so a
retrained net needs a refitted check; a test fails until it is):
    python tools/train_story_check.py
It prints, per set, what the check does with that set left out of its fit: the honest figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from bot.knowledge.catalog import load_catalog
from bot.knowledge.story_check import CHECK_FILE
from bot.knowledge.story_check_training import checks_left_out, fit_check, paged_stories, story_sets
from bot.knowledge.triage import Triage
from bot.knowledge.triage_model import MODEL_FILE, TriageModel, training_hash
from bot.knowledge.triage_training import read_examples

ROOT = Path(__file__).resolve().parent.parent
SETS = story_sets(ROOT / "tests" / "data" / "triage")


def main() -> int:
    model = TriageModel.load()
    triage = Triage(load_catalog(ROOT / "content").triage, model)
    stories = paged_stories(triage, {path.name: read_examples(path) for path in SETS})
    self_harm_cut = model.thresholds.self_harm
    check = fit_check(
        stories, self_harm_cut=self_harm_cut, trained_on=training_hash(MODEL_FILE, *SETS)
    )
    check.save(CHECK_FILE)
    print(
        f"fitted to {len(stories.emergency)} long stories the nets page "
        f"({int(stories.emergency.sum())} emergencies) from {len(SETS)} held-out sets; "
        f"cut-off {check.cut:.4f}; written to {CHECK_FILE.relative_to(ROOT)}"
    )
    print("each set left out of the fit: emergencies kept on the page, ordinary stories on it")
    totals = np.zeros(4, dtype=int)
    for name, left_out in checks_left_out(stories, self_harm_cut).items():
        mine = stories.sets == name
        paged = np.array([not left_out.doubts(row) for row in stories.readings[mine]])
        levels = stories.levels[mine]
        figures = np.array(
            [
                (paged & (levels == "emergency")).sum(),
                (levels == "emergency").sum(),
                (paged & (levels == "none")).sum(),
                (levels == "none").sum(),
            ]
        )
        totals += figures
        print(f"  {name:16} {figures[0]:4} of {figures[1]:4}   {figures[2]:4} of {figures[3]:4}")
    print(f"  {'all':16} {totals[0]:4} of {totals[1]:4}   {totals[2]:4} of {totals[3]:4}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
