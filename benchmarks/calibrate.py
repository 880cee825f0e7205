"""Calibrate the matcher's thresholds on the labelled dev set and print the figures.

Prints, side by side: a plain baseline (rapidfuzz extractOne with WRatio over every question, one
tuned threshold, no triage), each rapidfuzz scorer alone and the shipped combination, each with
thresholds calibrated on the same set, and the shipped thresholds. Run:

    python benchmarks/calibrate.py [path/to/dev.jsonl]
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.knowledge.evaluation import Example, Figures, Outcome, load_examples, measure, misses
from bot.knowledge.faq import FAQ
from bot.knowledge.matcher import Answer, Clarify, Fallback, Matcher, Thresholds, Weights, decide
from bot.knowledge.triage import Urgent

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
GRID = {
    "answer": range(30, 91, 2),
    "margin": range(0, 21, 2),
    # A clarify floor under 30 would offer B12 topics to almost anything ("write me a poem").
    "clarify": range(30, 61, 5),
    "window": (6, 10, 14, 18),
}


def baseline(faq: FAQ, examples: list[Example]) -> tuple[int, Figures]:
    """extractOne(WRatio) over all raw questions; answer above one threshold, else fall back."""
    choices, owners = [], []
    for topic in faq.catalog.topics.values():
        for question in topic.questions:
            choices.append(question.lower())
            owners.append(topic.id)
    best = [process.extractOne(e.text.lower(), choices, scorer=fuzz.WRatio) for e in examples]

    def at(threshold: int) -> Figures:
        return measure(
            examples,
            [
                Outcome("answer", owners[i], ())
                if s >= threshold
                else Outcome("fallback", None, ())
                for _, s, i in best
            ],
        )

    # One threshold, tuned for the most right answers net of wrong ones.
    threshold = max(
        range(0, 101), key=lambda t: at(t).right - at(t).wrong - at(t).off_topic_answered
    )
    return threshold, at(threshold)


def outcomes(
    faq: FAQ, matcher: Matcher, examples: list[Example], thresholds: Thresholds
) -> list[Outcome]:
    said = []
    for example in examples:
        if faq.triage.check(example.text):
            said.append(Outcome("urgent", None, ()))
            continue
        decision = replace_thresholds(matcher, thresholds).match(example.text)
        said.append(_outcome(decision))
    return said


def replace_thresholds(matcher: Matcher, thresholds: Thresholds) -> Matcher:
    matcher.thresholds = thresholds
    return matcher


def _outcome(decision: Answer | Clarify | Fallback | Urgent) -> Outcome:
    match decision:
        case Answer(topic=topic, candidates=candidates):
            return Outcome("answer", topic, candidates)
        case Clarify(candidates=candidates):
            return Outcome("clarify", None, candidates)
        case Urgent():
            return Outcome("urgent", None, ())
        case _:
            return Outcome("fallback", None, ())


def calibrate(
    faq: FAQ, matcher: Matcher, examples: list[Example]
) -> tuple[Thresholds, Figures, int]:
    """Grid-search thresholds: meet the safety targets first, then the most right answers."""
    cached: list[tuple[bool, bool, dict[str, float]]] = []
    for example in examples:
        urgent = faq.triage.check(example.text) is not None
        words = matcher.words(example.text)
        gated = words.not_ours
        cached.append((urgent, gated, {} if urgent or gated else matcher.scores(example.text)))

    def figures(t: Thresholds) -> Figures:
        said = []
        for urgent, gated, scores in cached:
            if urgent:
                said.append(Outcome("urgent", None, ()))
            elif gated:
                said.append(Outcome("fallback", None, ()))
            else:
                said.append(_outcome(decide(scores, t)))
        return measure(examples, said)

    def rank(t: Thresholds) -> tuple[int, int, int, int, float]:
        f = figures(t)
        safe = not any(m.startswith(("wrong", "off_topic")) for m in misses(f))
        # Prefer, in order: safe, most right answers, most right-or-offered, most off-topic
        # questions told kindly "not my subject" rather than offered B12 topics, then the
        # highest answer threshold (the most cautious setting that does as well).
        return (safe, f.right, f.right_or_offered, f.off_topic_fallback, t.answer + t.margin / 10)

    grid = (
        Thresholds(answer=a, margin=m, clarify=c, window=w)
        for a, m, c, w in itertools.product(*GRID.values())
        if c <= a
    )
    best = max(grid, key=rank)
    ranked_first = sum(
        1
        for example, (_, _, scores) in zip(examples, cached, strict=True)
        if scores and example.accepts(max(scores, key=scores.__getitem__))
    )
    return best, figures(best), ranked_first


def line(name: str, f: Figures, note: str = "") -> str:
    r = f.rates()
    return (
        f"{name:<34} right {r['right']:5.1f}% (strict {r['right_strict']:5.1f}%)  "
        f"right|offered {r['right_or_offered']:5.1f}%  wrong {r['wrong']:4.1f}%  "
        f"off-topic answered {r['off_topic_answered']:4.1f}%  urgent recall {r['urgent_recall']:5.1f}%  "
        f"false alarms {r['false_alarms']:3.1f}%  off-topic told no {f.off_topic_fallback}/{f.off_topic}  {note}"
    )


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    if not path.exists():
        path = ROOT / "tests" / "data" / "dev.jsonl"
    examples = load_examples(path)
    faq = FAQ.load()
    print(f"dev set: {path} ({len(examples)} questions)")
    threshold, base = baseline(faq, examples)
    print(line("baseline extractOne(WRatio)", base, f"threshold {threshold}"))
    variants = {
        "WRatio alone": Weights(token_set=0, token_sort=0, profile=0, wratio=1),
        "partial_ratio alone": Weights(token_set=0, token_sort=0, profile=0, partial_ratio=1),
        "token_set_ratio alone": Weights(token_set=1, token_sort=0, profile=0),
        "token_sort_ratio alone": Weights(token_set=0, token_sort=1, profile=0),
        "set+sort mean": Weights(token_set=0.5, token_sort=0.5, profile=0),
        "topic profile alone": Weights(token_set=0, token_sort=0, profile=1),
        "shipped mix": Weights(),
    }
    normaliser = faq.matcher._normaliser
    for name, weights in variants.items():
        matcher = Matcher(faq.catalog.topics, normaliser, weights=weights)
        best, figures, ranked_first = calibrate(faq, matcher, examples)
        note = f"ranked first {ranked_first}/{figures.topic_questions}  {best}"
        print(line(f"{name} (calibrated)", figures, note))
    shipped = measure(examples, outcomes(faq, faq.matcher, examples, faq.matcher.thresholds))
    print(line("shipped thresholds", shipped, str(faq.matcher.thresholds)))
    failing = misses(shipped)
    print("targets:", "all met" if not failing else "MISSED " + ", ".join(failing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
