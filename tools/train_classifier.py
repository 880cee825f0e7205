"""Rebuild bot/knowledge/model/topic_index.npz after editing content: run it with the project's
own virtualenv (numpy is all it needs), then commit the file it writes.

    .venv/bin/python tools/train_classifier.py

It embeds every topic question and trains the topic classifier on them and on
content/phrasings.yaml (never on the labelled check sets), and stamps the file with a hash of
what it learned from. The test suite fails while the shipped file is stale for the content.
"""

from __future__ import annotations

import sys
import time

from bot.knowledge import topic_index
from bot.knowledge.catalog import load_catalog
from bot.knowledge.embedding import StaticEmbedder
from bot.knowledge.matcher import Matcher
from bot.knowledge.matching_content import load_phrasings


def main() -> int:
    start = time.perf_counter()
    catalog = load_catalog()
    normaliser = Matcher.normaliser_for(catalog)
    phrasings = load_phrasings(catalog.root, frozenset(catalog.topics))
    index = topic_index.build(
        catalog.topics, normaliser, StaticEmbedder.load(), phrasings=phrasings
    )
    path = topic_index.index_file()
    topic_index.save(index, path)
    size = path.stat().st_size
    print(
        f"wrote {path} ({size // 1024} KB): {len(index.topic_ids)} topics, "
        f"{int((~index.padding).sum())} questions, "
        f"{sum(map(len, phrasings.topics.values()))} phrasings, "
        f"{len(phrasings.off_topic)} off-topic, {len(index.words)} words, "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
