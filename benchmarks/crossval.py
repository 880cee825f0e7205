"""Cross-validate matching on the content's own questions (5 folds); choose the classifier's
regularisation here, never on the labelled check sets.

Holding out a fifth of every topic's questions (never the canonical one), rebuilding the matcher
and its topic index on the rest and ranking the held-out ones measures how well each signal
generalises to wordings it has not seen, and which topics' questions overlap. Run:

    python benchmarks/crossval.py [--confusions]
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import replace

from bot.knowledge import topic_index
from bot.knowledge.faq import FAQ
from bot.knowledge.matcher import Matcher, Weights

FOLDS = 5
L2 = (1e-3, 1e-4, 1e-5)
SIGNALS = {
    "lexical (rapidfuzz + profile)": Weights(semantic=0, classifier=0, veto=False),
    "semantic (3 nearest questions)": Weights(token_set=0, profile=0, semantic=1, classifier=0),
    "classifier": Weights(token_set=0, profile=0, semantic=0, classifier=100),
    "lexical + semantic + classifier": Weights(semantic=0.5, classifier=50),
}


def main() -> int:
    faq = FAQ.load()
    topics = faq.catalog.topics
    normaliser = faq.matcher._normaliser
    embedder = faq.matcher._embedder
    right: Counter[tuple[float, str]] = Counter()
    confusions: Counter[tuple[str, str]] = Counter()
    total = 0
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
        held_out = [
            (tid, q)
            for tid, t in topics.items()
            for i, q in enumerate(t.questions)
            if i % FOLDS == fold and i
        ]
        total += len(held_out)
        for l2 in L2:
            index = topic_index.build(kept, normaliser, embedder, l2=l2)
            matcher = Matcher(kept, normaliser, embedder=embedder, index=index)
            for tid, question in held_out:
                parts = matcher.parts(question, every_signal=True)
                for name, weights in SIGNALS.items():
                    best = next(iter(matcher.fuse(parts, ours=True, weights=weights).scores), None)
                    right[(l2, name)] += best == tid
                    if best != tid and name == "classifier" and l2 == L2[-1]:
                        confusions[(tid, best or "-")] += 1
    print(f"held-out topic questions ranked to their own topic ({total} questions, {FOLDS} folds):")
    for l2 in L2:
        for name in SIGNALS:
            n = right[(l2, name)]
            print(f"  classifier l2={l2:g}  {name:<34} {n}/{total} = {100 * n / total:.1f}%")
    if "--confusions" in sys.argv:
        for (truth, said), n in confusions.most_common(25):
            print(f"  {n:3}  {truth} -> {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
