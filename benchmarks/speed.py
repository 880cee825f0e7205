"""How fast the FAQ brain decides: per question on this content, on 500 synthetic topics, and
the wall time of `echo dose? | b12bot classify` (start-up included). Prints figures; asserts nothing.

    python benchmarks/speed.py
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from bot.knowledge.evaluation import load_examples
from bot.knowledge.faq import FAQ
from bot.knowledge.matcher import Matcher

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_TOPICS = 500


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)))]
    return f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  (n={len(ordered)})"


def timed(decide, questions: list[str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for question in questions:
            start = time.perf_counter()
            decide(question)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def synthetic(faq: FAQ) -> Matcher:
    """The real topics copied until there are 500, each copy's questions lightly reworded."""
    rng = random.Random(12)
    originals = list(faq.catalog.topics.values())
    topics = {}
    for i in range(SYNTHETIC_TOPICS):
        base = originals[i % len(originals)]
        extra = f"variant{i}"
        questions = tuple(
            f"{q} {extra}" if rng.random() < 0.5 else f"{extra} {q}" for q in base.questions
        )
        topics[f"{base.id}-{i}"] = replace(base, id=f"{base.id}-{i}", questions=questions)
    return Matcher(topics, faq.matcher._normaliser)


def main() -> int:
    faq = FAQ.load()
    questions = [e.text for e in load_examples(ROOT / "tests" / "data" / "dev.jsonl")]
    timed(faq.decide, questions, 1)  # warm caches, as a running bot would be
    print(
        f"classify, this content ({len(faq.catalog.topics)} topics): {percentiles(timed(faq.decide, questions, 20))}"
    )
    big = synthetic(faq)
    timed(big.match, questions, 1)
    print(
        f"classify, {SYNTHETIC_TOPICS} synthetic topics: {percentiles(timed(big.match, questions, 3))}"
    )
    walls = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "classify"],
            input="dose?\n",
            capture_output=True,
            check=True,
        )
        walls.append(time.perf_counter() - start)
    print(
        f"echo dose? | b12bot classify: median {statistics.median(walls):.3f} s wall, max {max(walls):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
