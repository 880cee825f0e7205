"""How fast the FAQ brain decides: per question on this content, on 500 synthetic topics, and
the wall time of `echo dose? | b12bot classify` (start-up included). Prints figures; asserts nothing.

This machine is shared, so each figure is measured in several rounds and the median round is
reported, with the best and worst beside it.

    python benchmarks/speed.py
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import yaml

from bot.knowledge import topic_index
from bot.knowledge.evaluation import load_examples
from bot.knowledge.faq import FAQ
from bot.knowledge.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_TOPICS = 500
ROUNDS = 7


def questions() -> list[str]:
    """Realistic messages: the dev set and every near-miss, none of them a topic question."""
    texts = [
        e.text
        for name in ("dev.jsonl", "dev2.jsonl")
        for e in load_examples(ROOT / "tests" / "data" / name)
    ]
    for path in sorted((ROOT / "tests" / "data" / "near_misses").glob("*.yaml")):
        texts += [item["text"] for item in yaml.safe_load(path.read_text())]
    return texts


def one_round(decide: Callable[[str], object], texts: list[str]) -> tuple[float, float]:
    samples = []
    for text in texts:
        start = time.perf_counter()
        decide(text)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.99 * len(samples)))]


def rounds(decide: Callable[[str], object], texts: list[str]) -> str:
    one_round(decide, texts)  # warm caches, as a running bot would be
    results = sorted(one_round(decide, texts) for _ in range(ROUNDS))
    p50s = sorted(r[0] for r in results)
    p99s = sorted(r[1] for r in results)
    return (
        f"p50 {statistics.median(p50s):.3f} ms (rounds {p50s[0]:.3f}-{p50s[-1]:.3f})  "
        f"p99 {statistics.median(p99s):.3f} ms (rounds {p99s[0]:.3f}-{p99s[-1]:.3f})  "
        f"[{len(texts)} questions x {ROUNDS} rounds]"
    )


def synthetic(faq: FAQ) -> Matcher:
    """The real topics copied until there are 500, each copy's questions lightly reworded.

    The classifier is left untrained (training 500 topics takes minutes): its cost per message is
    the same matrix product whatever its weights.
    """
    rng = random.Random(12)
    originals = list(faq.catalog.topics.values())
    topics = {}
    for i in range(SYNTHETIC_TOPICS):
        base = originals[i % len(originals)]
        marker = f"variant{i}"
        reworded = tuple(
            f"{q} {marker}" if rng.random() < 0.5 else f"{marker} {q}" for q in base.questions
        )
        topics[f"{base.id}-{i}"] = replace(base, id=f"{base.id}-{i}", questions=reworded)
    normaliser = faq.matcher._normaliser
    embedder = faq.matcher._embedder
    index = topic_index.build(topics, normaliser, embedder, steps=0)
    return Matcher(topics, normaliser, faq.matcher.thresholds, embedder=embedder, index=index)


def main() -> int:
    faq = FAQ.load()
    texts = questions()
    print(f"classify, this content ({len(faq.catalog.topics)} topics): {rounds(faq.decide, texts)}")
    print(f"classify, {SYNTHETIC_TOPICS} synthetic topics: {rounds(synthetic(faq).match, texts)}")
    walls = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "classify"],
            input=b"dose?\n",
            capture_output=True,
            check=True,
        )
        walls.append(time.perf_counter() - start)
    walls.sort()
    print(
        f"echo dose? | b12bot classify: median {statistics.median(walls):.3f} s wall (rounds {walls[0]:.3f}-{walls[-1]:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
