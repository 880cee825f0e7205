"""Cross-validate the matcher on the content's own questions (5 folds).

The dev set has 104 questions; the topics hold about 1,250. Holding out a fifth of every topic's
questions, rebuilding the matcher on the rest and classifying the held-out ones measures how well
matching generalises to wordings it has not seen, and which topics' questions overlap. Run:

    python benchmarks/crossval.py [--confusions]
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace

from bot.knowledge.faq import FAQ
from bot.knowledge.matcher import Matcher, Weights

FOLDS = 5


def evaluate(faq: FAQ, weights: Weights) -> tuple[int, int, Counter[tuple[str, str]]]:
    """How many held-out questions rank their own topic first, of how many, and the confusions."""
    topics = faq.catalog.topics
    normaliser = faq.matcher._normaliser
    right = total = 0
    confusions: Counter[tuple[str, str]] = Counter()
    for fold in range(FOLDS):
        kept = {
            tid: replace(
                t,
                questions=tuple(
                    q for i, q in enumerate(t.questions) if i % FOLDS != fold or i == 0
                ),
            )
            for tid, t in topics.items()
        }
        matcher = Matcher(kept, normaliser, weights=weights)
        for tid, topic in topics.items():
            for i, question in enumerate(topic.questions):
                if i % FOLDS != fold or i == 0:
                    continue
                scores = matcher.scores(question)
                best = next(iter(scores), None)
                total += 1
                right += best == tid
                if best != tid:
                    confusions[(tid, best or "-")] += 1
    return right, total, confusions


def main() -> int:
    faq = FAQ.load()
    variants = {
        "set+sort mean": Weights(token_set=0.5, token_sort=0.5, profile=0),
        "topic profile alone": Weights(token_set=0, token_sort=0, profile=1),
        "shipped mix": Weights(),
    }
    for name, weights in variants.items():
        right, total, confusions = evaluate(faq, weights)
        print(
            f"{name:<22} held-out questions ranked to their own topic: {right}/{total} = {100 * right / total:.1f}%"
        )
    if "--confusions" in sys.argv:
        for (truth, said), n in confusions.most_common(25):
            print(f"  {n:3}  {truth} -> {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
