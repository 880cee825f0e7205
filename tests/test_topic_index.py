"""The topic index (question vectors and the classifier) fits the content it ships with."""

import dataclasses
import shutil
from pathlib import Path

import pytest

from bot.knowledge import topic_index
from bot.knowledge.catalog import ContentError
from bot.knowledge.embedding import SHIPPED_MODEL_DIR, StaticEmbedder
from bot.knowledge.matcher import Matcher
from bot.knowledge.matching_content import load_phrasings


@pytest.fixture(scope="module")
def normaliser(catalog):
    return Matcher.normaliser_for(catalog)


def test_the_shipped_classifier_is_current_for_the_content(catalog, normaliser) -> None:
    """Fails after a content edit until `python tools/train_classifier.py` is run."""
    path = SHIPPED_MODEL_DIR / topic_index.INDEX_NAME
    phrasings = load_phrasings(catalog.root, frozenset(catalog.topics))
    assert topic_index.stale_reason(catalog.topics, normaliser, path, phrasings) is None


def test_editing_the_phrasings_makes_it_stale(catalog, normaliser) -> None:
    phrasings = load_phrasings(catalog.root, frozenset(catalog.topics))
    more = dataclasses.replace(phrasings, off_topic=(*phrasings.off_topic, "what is a vlog"))
    path = SHIPPED_MODEL_DIR / topic_index.INDEX_NAME
    assert topic_index.stale_reason(catalog.topics, normaliser, path, more) is not None


def test_editing_a_question_makes_it_stale_and_a_running_bot_rebuilds_it(
    catalog, normaliser
) -> None:
    topic = catalog.topics["frequency"]
    edited = {
        **catalog.topics,
        "frequency": dataclasses.replace(topic, questions=(*topic.questions, "how often, again?")),
    }
    path = SHIPPED_MODEL_DIR / topic_index.INDEX_NAME
    assert topic_index.stale_reason(edited, normaliser, path) is not None
    rebuilt = topic_index.current(edited, normaliser, StaticEmbedder.load(), path)
    assert rebuilt.fingerprint == topic_index.fingerprint(edited, normaliser, SHIPPED_MODEL_DIR)
    assert rebuilt.fingerprint != topic_index.load(path).fingerprint


def test_the_classifier_knows_every_topic_and_picks_each_canonical_question(faq, catalog) -> None:
    index = faq.matcher.index
    assert set(index.topic_ids) == set(catalog.topics)
    wrong = {}
    for topic in catalog.topics.values():
        words = faq.matcher.words(topic.questions[0]).content
        vector = faq.matcher._embedder.embed(topic.questions[0])
        chosen = index.topic_ids[int(index.probabilities(index.features(vector, words)).argmax())]
        if chosen != topic.id:
            wrong[topic.id] = chosen
    assert wrong == {}


def test_a_damaged_index_is_named(tmp_path: Path) -> None:
    path = Path(shutil.copy(SHIPPED_MODEL_DIR / topic_index.INDEX_NAME, tmp_path))
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ContentError) as raised:
        topic_index.load(path)
    assert raised.value.path == str(path)
