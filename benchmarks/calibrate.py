"""Calibrate the matcher on the labelled check sets by 5-fold cross-validation; print the figures.

The weights of the signals and the thresholds are chosen on four fifths of dev.jsonl + dev2.jsonl
and measured on the fifth left out, five times over, so every figure printed as cross-validated
comes from questions the choice never saw. The topic classifier itself learns from the content's
own questions only. Printed beside them: a plain rapidfuzz baseline (extractOne with WRatio over
every question, one threshold, cross-validated the same way), each signal alone, and the
in-sample figures of the setting that would ship (chosen on all the questions), and the shipped
setting's figures on tests/data/fresh.jsonl (2,460 questions by writers who never saw the check
sets; never tuned on) and fresh2.jsonl (417 more by a later writer, measured once). Run:

    python benchmarks/calibrate.py [--misses]

Urgent questions are triage's: matcher figures treat them as caught (triage runs first) and the
urgent recall printed is FAQ.decide's, i.e. the real triage.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from bot.knowledge.calibration import (
    FOLDS,
    Setting,
    best_setting,
    cases,
    cross_validate,
    flags,
    matcher_settings,
    outcome,
)
from bot.knowledge.evaluation import URGENT, Example, Figures, Outcome, load_examples, measure
from bot.knowledge.faq import FAQ, record
from bot.knowledge.matcher import Weights

ROOT = Path(__file__).resolve().parent.parent
SETS = (ROOT / "tests" / "data" / "dev.jsonl", ROOT / "tests" / "data" / "dev2.jsonl")
FRESH = (ROOT / "tests" / "data" / "fresh.jsonl", ROOT / "tests" / "data" / "fresh2.jsonl")
SIGNALS = {  # the weights tried: each signal alone, and mixes of them
    "semantic": (0.0, 0.25, 0.5),
    "classifier": (0.0, 20.0),
    "veto": (True, False),
}


def baseline_settings(faq: FAQ, examples: Sequence[Example]) -> list[Setting]:
    """extractOne(WRatio) over all raw questions; answer above one threshold, else fall back."""
    choices, owners = [], []
    for topic in faq.catalog.topics.values():
        for question in topic.questions:
            choices.append(question.lower())
            owners.append(topic.id)
    best = [process.extractOne(e.text.lower(), choices, scorer=fuzz.WRatio) for e in examples]

    def at(threshold: int) -> list[Outcome]:
        return [
            Outcome(URGENT, None, ())
            if e.expect == URGENT
            else Outcome("answer", owners[i], ())
            if s >= threshold
            else Outcome("fallback", None, ())
            for e, (_, s, i) in zip(examples, best, strict=True)
        ]

    return [Setting(f"WRatio >= {t}", lambda t=t: at(t), float(t)) for t in range(40, 101, 2)]


def line(name: str, f: Figures, note: str = "") -> str:
    r = f.rates()
    return (
        f"{name:<40} right {r['right']:5.1f}%  right|offered {r['right_or_offered']:5.1f}%  "
        f"wrong {r['wrong']:4.1f}%  off-topic answered {r['off_topic_answered']:4.1f}%  "
        f"off-topic told no {f.off_topic_fallback}/{f.off_topic}  {note}"
    )


def main() -> int:
    examples = [e for path in SETS for e in load_examples(path)]
    faq = FAQ.load()
    matcher = faq.matcher
    print(
        f"check sets: {', '.join(p.name for p in SETS)} ({len(examples)} questions), "
        f"{FOLDS}-fold cross-validation; topics: {len(faq.catalog.topics)}"
    )
    all_cases = cases(matcher, examples)
    figures, chosen = cross_validate(examples, baseline_settings(faq, examples))
    print(line("baseline extractOne(WRatio), CV", figures, f"chose {sorted(set(chosen))}"))
    base = matcher.weights
    alone = {
        "lexical alone (rapidfuzz+profile)": Weights(semantic=0, classifier=0, veto=False),
        "semantic alone": Weights(token_set=0, profile=0, semantic=1, classifier=0, veto=False),
        "classifier alone": Weights(token_set=0, profile=0, semantic=0, classifier=100),
    }
    for name, weights in alone.items():
        figures, _ = cross_validate(examples, matcher_settings(matcher, all_cases, [weights]))
        print(line(f"{name}, CV", figures))
    options = [
        Weights(token_set=base.token_set, profile=base.profile, semantic=s, classifier=c, veto=v)
        for s, c, v in itertools.product(*SIGNALS.values())
    ]
    settings = matcher_settings(matcher, all_cases, options)
    table = np.stack([flags(examples, s.outcomes()) for s in settings])
    figures, chosen = cross_validate(examples, settings, table)
    print(line("fused, weights and thresholds CV", figures))
    for name in chosen:
        print(f"    a fold chose: {name}")
    ranked = settings[best_setting(examples, table, settings, np.arange(len(examples)))]
    print(
        line(
            "chosen on all (in-sample, to ship)", measure(examples, ranked.outcomes()), ranked.name
        )
    )
    shipped = [
        Outcome(URGENT, None, ()) if e.expect == URGENT else outcome(matcher.match(e.text))
        for e in examples
    ]
    print(
        line(
            "shipped setting (in-sample)",
            measure(examples, shipped),
            f"{matcher.weights} {matcher.thresholds}",
        )
    )
    decided = [record(e.text, faq.decide(e.text)) for e in examples]
    whole = measure(
        examples, [Outcome(d["outcome"], d["topic"], tuple(d["candidates"])) for d in decided]
    )
    rates = whole.rates()
    print(
        line(
            "FAQ.decide end to end (with triage)",
            whole,
            f"urgent recall {rates['urgent_recall']:.1f}%  false alarms {rates['false_alarms']:.1f}%",
        )
    )
    one_option = sum(d["outcome"] == "clarify" and len(d["candidates"]) == 1 for d in decided)
    print(f"one-option clarify: {one_option}")
    for path in FRESH:
        fresh = load_examples(path)
        said = [outcome(matcher.match(e.text)) for e in fresh]
        print(line(f"{path.name}, shipped setting (never tuned on)", measure(fresh, said)))
    if "--misses" in sys.argv:
        for example, said in zip(examples, shipped, strict=True):
            if example.expect != URGENT and not (
                said.outcome == "answer" and example.accepts(said.topic)
            ):
                print(
                    f"  {example.expect:<24} {said.outcome:<8} {said.topic or list(said.candidates)}  {example.text[:90]!r}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
