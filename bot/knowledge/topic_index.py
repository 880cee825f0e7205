"""What the matcher knows about each topic's meaning, learned from the content alone.

Two things, built from content/ and never from the labelled check sets:

- the embedding vectors of every topic's title and questions, so a message can be compared with
  each topic's nearest questions by meaning ("does the jab hurt" ~ "is the injection painful");
- a linear classifier (softmax regression) over the message's embedding and its canonical words
  weighted by rarity, trained on the questions and on phrasings.yaml (how people ask, and
  near-misses that are none of ours, as one more class). It generalises across a topic's
  questions better than any single nearest question, and the matcher answers directly only when
  it agrees with the fused ranking. (Phrasings in the nearest-question vectors ranked worse.)

Training takes about a second, so the index ships built (model/topic_index.npz) with a hash of
everything it was built from. `python tools/train_classifier.py` rebuilds it after content
changes; content-check and a test fail while it is stale, and a running bot that finds it stale
rebuilds it in memory rather than answer from a classifier that does not know the topics.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.knowledge.adam import Adam
from bot.knowledge.catalog import ContentError, Topic
from bot.knowledge.embedding import MANIFEST, StaticEmbedder, model_dir
from bot.knowledge.matching_content import NO_PHRASINGS, Phrasings
from bot.knowledge.normalise import Normaliser

INDEX_NAME = "topic_index.npz"
NEAREST = 3  # a topic's semantic score is the mean similarity of its 3 nearest questions
_TRAINING = {"l2": 1e-5, "steps": 800, "rate": 0.05}  # chosen by benchmarks/crossval.py
_RETRAIN = "run: python tools/train_classifier.py"
logger = logging.getLogger(__name__)


def topic_texts(topic: Topic) -> list[str]:
    """What a topic is trained and indexed on: its title and every question."""
    return [topic.title, *topic.questions]


@dataclass(frozen=True, slots=True)
class TopicIndex:
    topic_ids: tuple[str, ...]
    words: Mapping[str, int]  # canonical word -> feature column after the embedding's
    idf: np.ndarray  # (words,) rarity weight of each word across the training questions
    weights: np.ndarray  # (embedding dims + words, topics)
    bias: np.ndarray  # (topics,)
    questions: np.ndarray  # (topics, most questions, dims), unit vectors, zero-padded
    padding: np.ndarray  # (topics, most questions) True where a row is padding
    fingerprint: str  # hash of what it was built from; see fingerprint()

    def features(self, vector: np.ndarray, words: Sequence[str]) -> np.ndarray:
        """The classifier's input: the embedding, then the rarity-weighted word bag (unit)."""
        bag = np.zeros(len(self.words), dtype=np.float32)
        for word in words:
            column = self.words.get(word)
            if column is not None:
                bag[column] = self.idf[column]
        norm = float(np.linalg.norm(bag))
        return np.concatenate([vector, bag / norm if norm else bag])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Per topic; with an off-topic class they sum to less than 1 for a message like it."""
        logits = features @ self.weights + self.bias
        logits = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return (logits / logits.sum(axis=-1, keepdims=True))[..., : len(self.topic_ids)]

    def nearest(self, vector: np.ndarray) -> np.ndarray:
        """Each topic's mean cosine similarity to the message over its NEAREST questions."""
        topics, most, dims = self.questions.shape
        # One matrix-vector product over all questions at once (a 3-D product loops per topic).
        similarity = (self.questions.reshape(topics * most, dims) @ vector).reshape(topics, most)
        similarity[self.padding] = -1.0
        top = np.partition(similarity, similarity.shape[1] - NEAREST, axis=1)[:, -NEAREST:]
        return top.mean(axis=1)


def fingerprint(
    topics: Mapping[str, Topic],
    normaliser: Normaliser,
    folder: Path,
    phrasings: Phrasings = NO_PHRASINGS,
) -> str:
    """Changes whenever anything the index learns from changes: questions, words, model, recipe."""
    digest = hashlib.sha256()
    for topic_id in sorted(topics):
        digest.update(json.dumps([topic_id, topic_texts(topics[topic_id])]).encode())
    digest.update(json.dumps([dict(phrasings.topics), phrasings.off_topic]).encode())
    digest.update(normaliser.fingerprint().encode())
    digest.update((folder / MANIFEST).read_bytes())
    digest.update(json.dumps(_TRAINING, sort_keys=True).encode())
    return digest.hexdigest()


def build(
    topics: Mapping[str, Topic],
    normaliser: Normaliser,
    embedder: StaticEmbedder,
    folder: Path | None = None,
    phrasings: Phrasings = NO_PHRASINGS,
    *,
    steps: int = _TRAINING["steps"],
    l2: float = _TRAINING["l2"],
) -> TopicIndex:
    """Embed every question and train the classifier on them: deterministic, a few seconds.

    `steps=0` leaves the classifier untrained, for benchmarks that time matching, not quality;
    `l2` is for benchmarks/crossval.py, which chose the default.
    """
    topic_ids = tuple(sorted(topics))
    texts, labels = [], []
    for label, topic_id in enumerate(topic_ids):
        for text in topic_texts(topics[topic_id]):
            texts.append(text)
            labels.append(label)
    vectors = embedder.embed_many(texts)
    asked = [
        (text, label)
        for label, topic_id in enumerate(topic_ids)
        for text in phrasings.topics.get(topic_id, ())
    ]
    # The near-misses are one more class, "none of ours": a message like them then gives every
    # topic a low probability, which is what the veto and the offer floor read.
    asked += [(text, len(topic_ids)) for text in phrasings.off_topic]
    asked_vectors = embedder.embed_many([text for text, _ in asked]) if asked else vectors[:0]
    bags = [normaliser.content(text) for text in texts]
    asked_bags = [normaliser.content(text) for text, _ in asked]
    vocabulary: dict[str, int] = {}
    for bag in bags + asked_bags:
        for word in bag:
            vocabulary.setdefault(word, len(vocabulary))
    document_frequency = np.zeros(len(vocabulary), dtype=np.float32)
    for bag in bags + asked_bags:
        for word in set(bag):
            document_frequency[vocabulary[word]] += 1
    count = len(texts) + len(asked)
    idf = (np.log((count + 1) / (document_frequency + 1)) + 1).astype(np.float32)
    longest = max(labels.count(label) for label in range(len(topic_ids)))
    questions = np.zeros((len(topic_ids), longest, embedder.dimensions), dtype=np.float32)
    padding = np.ones((len(topic_ids), longest), dtype=bool)
    filled = [0] * len(topic_ids)
    for vector, label in zip(vectors, labels, strict=True):
        questions[label, filled[label]] = vector
        padding[label, filled[label]] = False
        filled[label] += 1
    draft = TopicIndex(
        topic_ids=topic_ids,
        words=vocabulary,
        idf=idf,
        weights=np.zeros((0, 0), dtype=np.float32),
        bias=np.zeros(0, dtype=np.float32),
        questions=questions,
        padding=padding,
        fingerprint=fingerprint(topics, normaliser, folder or model_dir(), phrasings),
    )
    features = np.stack(
        [
            draft.features(vector, bag)
            for vector, bag in zip([*vectors, *asked_vectors], bags + asked_bags, strict=True)
        ]
    )
    recipe = {**_TRAINING, "steps": steps, "l2": l2}
    classes = len(topic_ids) + bool(phrasings.off_topic)
    targets = np.array(labels + [label for _, label in asked])
    weights, bias = train_softmax(features, targets, classes, **recipe)
    return TopicIndex(**{**_fields(draft), "weights": weights, "bias": bias})


def train_softmax(
    features: np.ndarray, labels: np.ndarray, classes: int, *, l2: float, steps: int, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam; no library beyond numpy needed."""
    count, width = features.shape
    weights = np.zeros((width, classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    target = np.eye(classes, dtype=np.float32)[labels]
    optimiser = Adam([weights, bias], rate)
    for _ in range(steps):
        logits = features @ weights + bias
        logits = np.exp(logits - logits.max(axis=1, keepdims=True))
        error = (logits / logits.sum(axis=1, keepdims=True) - target) / count
        optimiser.step([features.T @ error + l2 * weights, error.sum(axis=0)])
    return weights, bias


def _fields(index: TopicIndex) -> dict[str, object]:
    return {name: getattr(index, name) for name in TopicIndex.__dataclass_fields__}


def index_file() -> Path:
    return model_dir() / INDEX_NAME


def save(index: TopicIndex, path: Path) -> None:
    meta = {
        "topic_ids": list(index.topic_ids),
        "words": sorted(index.words, key=index.words.__getitem__),
        "fingerprint": index.fingerprint,
    }
    with path.open("wb") as out:
        np.savez_compressed(
            out,
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
            idf=index.idf,
            weights=index.weights,
            bias=index.bias,
            questions=index.questions.astype(np.float16),
            padding=index.padding,
        )


def load(path: Path) -> TopicIndex:
    """The shipped index; a missing or unreadable file is a ContentError naming it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode())
            return TopicIndex(
                topic_ids=tuple(meta["topic_ids"]),
                words={word: i for i, word in enumerate(meta["words"])},
                idf=data["idf"],
                weights=data["weights"],
                bias=data["bias"],
                questions=data["questions"].astype(np.float32),
                padding=data["padding"],
                fingerprint=meta["fingerprint"],
            )
    except FileNotFoundError:
        raise ContentError(path, "(file)", f"is missing; {_RETRAIN}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        raise ContentError(path, "(file)", f"is damaged; {_RETRAIN}") from None


def stale_reason(
    topics: Mapping[str, Topic],
    normaliser: Normaliser,
    path: Path,
    phrasings: Phrasings = NO_PHRASINGS,
) -> str | None:
    """Why the shipped index does not fit this content, or None when it does (content-check)."""
    if load(path).fingerprint != fingerprint(topics, normaliser, path.parent, phrasings):
        return f"{path}: (file): is stale for the content; {_RETRAIN}"
    return None


def current(
    topics: Mapping[str, Topic],
    normaliser: Normaliser,
    embedder: StaticEmbedder,
    path: Path,
    phrasings: Phrasings = NO_PHRASINGS,
) -> TopicIndex:
    """The shipped index when it fits this content; otherwise one rebuilt now (slower start)."""
    index = load(path)
    if index.fingerprint == fingerprint(topics, normaliser, path.parent, phrasings):
        return index
    logger.warning("%s is stale for the content: rebuilding it in memory (%s)", path, _RETRAIN)
    return build(topics, normaliser, embedder, path.parent, phrasings)
