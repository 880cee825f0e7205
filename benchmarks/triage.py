"""Triage figures on messages it was never fitted to, per category, and its cost per message.

    python benchmarks/triage.py

- tests/data/triage/holdout*.jsonl: each written by someone who never saw the signs, the training
  sets or the other held-out sets; nothing is tuned on them, and their misses are never printed
  (targets: emergency recall >= 99%, ordinary messages answered with the emergency page <= 5%).
  holdout29-30 are the newest, about taking medicines (reports of a dose taken, and overdoses
  said with the same verbs): holdout29 was measured before and after each of its session's
  choices, holdout30 was written as a training set from a brief with the session's probes and
  tried as one (tests/data/triage/README.md); holdout31 (when a dose will be taken, beside
  suicidal plans said with the same words) was measured before train31 was chosen and once
  after. holdout32 (every category, half its ordinary messages about the writer's own doses) was
  measured once after every choice of the session that added it; holdout33
  (poisoning said casually, beside dose talk) was written as a training set and tried as one,
  its own totals read once, at the end. holdout34 (every category, half its ordinary messages
  dose talk) was written blind and measured once, at the end of the session that
  added it, with the nets unchanged. holdout35 (every row with a time of day, a duration, a
  decimal or an "all") was written blind and measured once, at the end of the
  session that read a time of day and "all good" as no amount. holdout36-40 (self-harm without
  the obvious words, a crisis not asked about, self-harm written from the nets' misses of those
  two, poisoning beside dose talk, every other category understated) were written as training
  data, tried and not kept: never trained on, but not blind. holdout41 (every category, half
  its ordinary messages dose talk with counts and "all") was written blind and measured once,
  at the end of that session; holdout42 (poisoning in the words of ordinary doses, beside dose
  talk) likewise, at the end of the session of the way on under a disputed sign. holdout43-44
  (bleeding, and doubt about staying safe) were a helper's training data, tried and not kept,
  their misses read. holdout45 (bleeding and self-harm in everyday words) and holdout46 (every
  category) were written blind, by hand, and measured once at the end of the session that
  added each; holdout47 (dose talk beside overdoses said the same way) and holdout48 (every
  category), the freshest, likewise. holdout49-50 (dose talk and overdoses as minimal pairs)
  were written as training data, tried and not kept. holdout28 and holdout27 are the
  fairest before them (every category, each measured once, after every choice of the session
  that added it), then
  holdout26 (measured before any choice of its session);
  holdout23-24 had their totals read before any choice of the session
  that added them (every category, and suicide and overdose as contrasts);
  holdout21-22 (long stories, and every category) had their totals read four
  times (tests/data/triage/README.md); holdout16-20 (every category, suicide and
  overdose, long stories, ages and slang) had theirs read up to six times, holdout13-15's after
  several changes. The older held-out sets became training data.
- ../shared/eval/dev.jsonl + dev2.jsonl (tests/data copies): never trained on (targets: urgent
  recall 100%, non-urgent answered with the emergency page <= 1%).
- tests/data/triage/stories*.jsonl: long stories never trained on, on which STORY_SURE and
  STORY_ORDINARY (how sure a sentence read alone must be to call an emergency) were chosen;
  `--misses` lists their misses, but never stories3's (blind, like holdout26-28).
- The story check is fitted to the stories of the held-out and story sets but the blind ones
  (story_check_training.BLIND): each fitted set is measured with the check fitted without it.
- tests/data/triage/train*.jsonl: the training sets, shown for comparison only (in-sample);
  `--misses` lists their misses, the only ones worth reading.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from bot.knowledge.catalog import SELF_HARM, load_catalog
from bot.knowledge.faq import doubted
from bot.knowledge.story_check import StoryCheck
from bot.knowledge.story_check_training import BLIND, checks_left_out, paged_stories, story_sets
from bot.knowledge.triage import Level, Triage
from bot.knowledge.triage_model import TriageModel
from bot.knowledge.triage_training import read_examples

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
HELD_OUT = sorted((DATA / "triage").glob("holdout*.jsonl"))
STORIES = ("stories1", "stories2", "stories3")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


DOUBTED = "doubted"  # the count of pages the nets doubt, beside the count of each level


def labelled_set(triage: Triage, path: Path, *, show_misses: bool) -> Counter:
    """Prints the set's figures; returns how many of each label got each level."""
    examples = rows(path)
    assessed = [triage.assess(row["text"]) for row in examples]
    decided = [assessment.level for assessment in assessed]
    print(f"\n{path.relative_to(DATA.parent.parent)} ({len(examples)} messages)")
    by_category: dict[str, Counter] = defaultdict(Counter)
    for row, level in zip(examples, decided, strict=True):
        if row["level"] == "emergency":
            by_category[row["category"]][level] += 1
    print(f"  {'emergency category':20} {'n':>4} {'recall':>8}  (caution / none)")
    for category in sorted(by_category):
        counts = by_category[category]
        total = sum(counts.values())
        print(
            f"  {category:20} {total:4} {counts[Level.EMERGENCY] / total:8.1%}"
            f"  ({counts[Level.CAUTION]} / {counts[Level.NONE]})"
        )
    # A self-harm emergency paged under another name (bleeding, collapse) may lack the helplines.
    unnamed = sum(
        row.get("category") == SELF_HARM
        and assessment.level is Level.EMERGENCY
        and not assessment.shows_helplines
        for row, assessment in zip(examples, assessed, strict=True)
    )
    if by_category[SELF_HARM][Level.EMERGENCY]:
        print(f"  self-harm paged without the helplines: {unnamed}")
    for label in ("emergency", "caution", "none"):
        levels = Counter(
            lv for row, lv in zip(examples, decided, strict=True) if row["level"] == label
        )
        total = sum(levels.values()) or 1
        print(
            f"  labelled {label:9} n={total:4} -> emergency {levels[Level.EMERGENCY] / total:6.1%}"
            f"  caution {levels[Level.CAUTION] / total:6.1%}  none {levels[Level.NONE] / total:6.1%}"
        )
    # A page the nets doubt ends with "Did I misread you?" and the answer one tap below it.
    doubts = Counter(
        row["level"]
        for row, assessment in zip(examples, assessed, strict=True)
        if assessment.level is Level.EMERGENCY and doubted(assessment)
    )
    print(
        f"  pages the nets doubt (a way on below): emergency {doubts['emergency']}, "
        f"caution {doubts['caution']}, none {doubts['none']}"
    )
    if show_misses:
        for row, level in zip(examples, decided, strict=True):
            wrong = (row["level"] == "emergency") != (level is Level.EMERGENCY)
            if wrong:
                print(f"    miss: {row['level']} -> {level.value}: {row['text']}")
    counts = Counter((row["level"], level) for row, level in zip(examples, decided, strict=True))
    return counts + Counter({(label, DOUBTED): n for label, n in doubts.items()})


# The groups the notes and the README report: the sets every choice was checked on, then with
# the three about people's own doses, where the false alarms are.
TOTALS = {
    "holdout13-28 and stories1-3": [*(f"holdout{n}" for n in range(13, 29)), *STORIES],
    "holdout13-31 and stories1-3": [*(f"holdout{n}" for n in range(13, 32)), *STORIES],
}


def totals(counted: dict[str, Counter]) -> None:
    print("\ntotals: emergencies paged, with nothing; ordinary messages paged (with a way on)")
    for name, sets in TOTALS.items():
        counts = sum((counted[f"{stem}.jsonl"] for stem in sets), Counter())
        emergencies = sum(counts[("emergency", level)] for level in Level)
        ordinary = sum(counts[("none", level)] for level in Level)
        paged, alarms = counts[("emergency", Level.EMERGENCY)], counts[("none", Level.EMERGENCY)]
        print(
            f"  {name}: {paged}/{emergencies} = {paged / emergencies:.1%}, "
            f"{counts[('emergency', Level.NONE)]} with nothing; "
            f"{alarms}/{ordinary} = {alarms / ordinary:.1%} ({counts[('none', DOUBTED)]}); "
            f"emergencies with a way on {counts[('emergency', DOUBTED)]}"
        )


def eval_sets(triage: Triage) -> None:
    examples = rows(DATA / "dev.jsonl") + rows(DATA / "dev2.jsonl")
    urgent = [row for row in examples if row["expect"] == "urgent"]
    other = [row for row in examples if row["expect"] != "urgent"]
    caught = [row for row in urgent if triage.assess(row["q"]).level is Level.EMERGENCY]
    alarms = [row for row in other if triage.assess(row["q"]).level is Level.EMERGENCY]
    banners = [row for row in other if triage.assess(row["q"]).level is Level.CAUTION]
    print(f"\ndev.jsonl + dev2.jsonl ({len(examples)} questions, never trained on)")
    print(f"  urgent recall          {len(caught)}/{len(urgent)} = {len(caught) / len(urgent):.1%}")
    print(f"  non-urgent -> emergency {len(alarms)}/{len(other)} = {len(alarms) / len(other):.1%}")
    print(
        f"  non-urgent -> caution   {len(banners)}/{len(other)} = {len(banners) / len(other):.1%}"
    )
    for row in urgent:
        if row not in caught:
            print(f"    missed: {row['q']}")
    for row in alarms:
        print(f"    false alarm: {row['q']}")


def speed(triage: Triage) -> None:
    texts = [row["text"] for row in rows(HELD_OUT[0])]
    texts += [row["q"] for row in rows(DATA / "dev.jsonl")]
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for text in texts:
            triage.assess(text)
        rounds.append((time.perf_counter() - start) / len(texts))
    per_message = []
    for text in texts:
        start = time.perf_counter()
        triage.assess(text)
        per_message.append(time.perf_counter() - start)
    per_message.sort()
    print(
        f"\nspeed over {len(texts)} messages: mean {statistics.median(rounds) * 1000:.3f} ms "
        f"(median of 7 rounds); p50 {per_message[len(texts) // 2] * 1000:.3f} ms, "
        f"p99 {per_message[int(len(texts) * 0.99)] * 1000:.3f} ms"
    )


def main() -> int:
    show = "--misses" in sys.argv
    content, model = load_catalog().triage, TriageModel.load()
    triage = Triage(content, model, StoryCheck.load())
    # The story check was fitted to the held-out and story sets but the blind ones: each is
    # measured with the check fitted without it. A blind set, or one none of whose stories the
    # nets page, gave the check nothing: the shipped one is the check without it.
    fitted = {path.name: read_examples(path) for path in story_sets(DATA / "triage")}
    left_out = checks_left_out(
        paged_stories(Triage(content, model), fitted), model.thresholds.self_harm
    )

    def honest(path: Path) -> Triage:
        check = left_out.get(path.name)
        return triage if check is None else Triage(content, model, check)

    counted = {path.name: labelled_set(honest(path), path, show_misses=False) for path in HELD_OUT}
    eval_sets(triage)
    for path in sorted((DATA / "triage").glob("stories*.jsonl")):
        show_these = show and path.name not in BLIND
        counted[path.name] = labelled_set(honest(path), path, show_misses=show_these)
    for path in sorted((DATA / "triage").glob("train*.jsonl")):
        labelled_set(triage, path, show_misses=show)
    totals(counted)
    speed(triage)
    return 0


if __name__ == "__main__":
    sys.exit(main())
