"""The learned second net of triage: how likely a message is to describe an emergency now.

Signs written in triage.yaml catch what their word families cover; people find other words. A
logistic regression over hashed features of the message (words, word pairs, letter 3-5-grams that
survive misspellings, the families present and the signs found with how they were said), averaged
in log-odds with three small MLPs over the same features, is trained by `tools/train_triage.py` on
tests/data/triage/train*.jsonl, written for that purpose; a second net of the same make learns
self-harm alone. The file records the fingerprint of what it learned from (every training
message's features and label: `triage_training.fingerprint`), so a test fails when a change to
the data, triage.yaml or the reading code would make retraining give another model. Only numpy
is needed at run time.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.lib.npyio import NpzFile

from bot.knowledge.catalog import ContentError
from bot.knowledge.triage_signs import CALL_HELP, NAMES_ONLY, SENTENCE_BREAK, Reading

DIMENSIONS = 1 << 18
# The general net's second half, an MLP: each message is the sum of its hashed features' rows of
# a table (the features folded to HIDDEN_DIMENSIONS rows) of HIDDEN units, then ReLU and a
# logistic output. It reads combinations the regression cannot ("took" with "all" with "tablets",
# but not with "like the doctor said"); alone it is over-confident, so the general net's log-odds
# are the mean of both. Its log-odds are themselves the mean of three such MLPs trained with
# different seeds (triage_training.HIDDEN_SEEDS), stored as one with their units side by side.
HIDDEN_DIMENSIONS = 1 << 16
HIDDEN = 32  # units of each MLP
MODEL_FILE = Path(__file__).with_name("data") / "triage-model.npz"


def _hashed(name: str) -> int:
    return zlib.crc32(name.encode()) & (DIMENSIONS - 1)


@lru_cache(maxsize=50_000)
def _word_features(token: str) -> frozenset[int]:
    """A word and its letter 3-5-grams, hashed: cached, since words repeat across messages."""
    padded = f"<{token}>"
    names = {f"w:{token}"}
    for size in (3, 4, 5):
        names.update(f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1))
    return frozenset(_hashed(name) for name in names)


# To the nets, a sign said to be over ("fine now") is said in the past, as before RESOLVED was
# told apart from HISTORY: that is for the signs alone, so that an overdose "fine now" stays one.
# Retrained this way the nets moved by 1-2 messages per group of held-out sets, where retrainings
# that also changed their features moved by 4-22 (tests/data/triage/README.md).
_AS_FEATURE = {"RESOLVED": "HISTORY"}
# Cues for the signs alone, which the nets do not see as a family: asking whether to call an
# ambulance (CALL_HELP) changes how a sign after it is read, and the nets read its words anyway.
# As a feature it would reach 28 training messages, and a retraining that changes features moves
# the held-out figures by more than the cue does (tests/data/triage/README.md).
# A plan to take something and anything taken (NAMES_ONLY) only choose a page's name.
_SIGNS_ONLY = frozenset({CALL_HELP}) | NAMES_ONLY


def feature_names(tokens: list[str], reading: Reading) -> set[str]:
    """What the model sees of a message beyond its single words: pairs, families and signs."""
    names: set[str] = set()
    previous = SENTENCE_BREAK
    for token in tokens:
        if SENTENCE_BREAK not in (token, previous):
            names.add(f"b:{previous}_{token}")
        previous = token
    names.update(
        f"f:{_AS_FEATURE.get(family, family)}"
        for family in reading.families
        if family not in _SIGNS_ONLY
    )
    for found in reading.found:
        how = "+".join(
            name
            for name, said in (
                ("neg", found.negated),
                ("past", found.past),
                ("question", found.general_question),
                ("if", found.hypothetical),
                ("animal", found.about_an_animal),
                ("figurative", found.figurative),
            )
            if said
        )
        kind = "strong" if found.strong else "weak"
        names.add(f"s:{found.category.level}:{kind}:{how or 'plain'}")
        names.add(f"s:{found.category.id}:{how or 'plain'}")
    if reading.acute:
        names.add("a:acute")
    return names


def feature_indices(tokens: list[str], reading: Reading) -> np.ndarray:
    """The hashed, de-duplicated feature indices of a message, in ascending order.

    Sorted because a set's order follows Python's per-process string hashing: training drops
    features by position, so unsorted, each run of tools/train_triage.py gave another model (the
    general cut-off 0.513, 0.540 or 0.555 from the same data; held out, up to 6 emergencies and 14
    false alarms apart)."""
    indices = {_hashed(name) for name in feature_names(tokens, reading)}
    for token in tokens:
        if token != SENTENCE_BREAK:
            indices |= _word_features(token)
    return np.sort(np.fromiter(indices, dtype=np.int64, count=len(indices)))


class Leanings(NamedTuple):
    """What the nets make of one message."""

    general: float  # P(emergency now): the regression and the MLPs averaged in log-odds
    self_harm: float  # P(a self-harm emergency), by the self-harm net
    # The regression alone. The MLP's log-odds run to extremes, so only this one may doubt a sign
    # said plainly (p <= 0.01): averaged, "my face has dropped on one side, could b12 cause
    # that?" fell to 0.01 and lost the page.
    regression: float


@dataclass(frozen=True, slots=True)
class Hidden:
    """The MLP half of the general net (several averaged: their units side by side)."""

    table: np.ndarray  # HIDDEN_DIMENSIONS x units (HIDDEN for each MLP)
    bias: np.ndarray  # units
    output: np.ndarray  # units
    output_bias: float

    def score(self, features: np.ndarray) -> float:
        """The MLP's log-odds of an emergency, for a message's hashed feature indices."""
        units = self.table[features & (HIDDEN_DIMENSIONS - 1)].sum(axis=0) + self.bias
        return self.output_bias + float(np.maximum(units, 0) @ self.output)


@contextmanager
def stored_arrays(path: Path, what: str) -> Iterator[NpzFile]:
    """A model file's arrays; a missing or damaged one stops the bot with one line naming it."""
    try:
        with np.load(path) as stored:
            yield stored
    except (OSError, KeyError, ValueError, IndexError, zipfile.BadZipFile) as error:
        raise ContentError(
            path,
            "(file)",
            f"{what} cannot be read ({error}); rebuild it: python tools/train_triage.py",
        ) from None


def training_hash(*paths: Path) -> str:
    """The sha256 of the files a model was fitted to, to notice a stale one."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Probability cut-offs chosen by cross-validation in tools/train_triage.py."""

    emergency: float  # the net alone calls an emergency from here
    caution: float  # the net alone adds the safety banner from here
    self_harm: float = 2.0  # the self-harm net calls a self-harm emergency from here (> 1: never)
    self_harm_banner: float = 2.0  # ...and adds the banner with the helplines from here
    # ...and calls a self-harm emergency from here where a sign is said as talked about ("how many
    # of my tablets would I need to not wake up" reads as a question): > 1, never
    self_harm_talked: float = 2.0


@dataclass(frozen=True, slots=True)
class Net:
    """A regression over the hashed features, averaged in log-odds with MLPs where it has them."""

    weights: np.ndarray  # DIMENSIONS
    bias: float
    hidden: Hidden | None = None  # None: the regression alone, as the tests' stand-in nets are

    def log_odds(self, features: np.ndarray) -> tuple[float, float]:
        """The net's log-odds for a message's hashed feature indices, and the regression's."""
        linear = self.bias + float(self.weights[features].sum())
        whole = linear if self.hidden is None else mean_log_odds(linear, self.hidden, features)
        return whole, linear

    @classmethod
    def read(cls, stored: NpzFile, prefix: str) -> Net:
        hidden = None
        if f"{prefix}hidden_table" in stored:
            hidden = Hidden(
                stored[f"{prefix}hidden_table"].astype(np.float32),
                stored[f"{prefix}hidden_bias"],
                stored[f"{prefix}hidden_output"],
                float(stored[f"{prefix}hidden_output_bias"]),
            )
        weights = _dense(stored[f"{prefix}indices"], stored[f"{prefix}values"])
        return cls(weights, float(stored[f"{prefix}bias"]), hidden)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """What the model file stores of the net, under names starting with `prefix`."""
        indices = np.flatnonzero(self.weights)
        stored = {
            "indices": indices.astype(np.int32),
            "values": self.weights[indices].astype(np.float32),
            "bias": np.float64(self.bias),
        }
        if self.hidden is not None:
            # float16 halves the file; fit_hidden rounds the table so, so what was measured ships
            stored |= {
                "hidden_table": self.hidden.table.astype(np.float16),
                "hidden_bias": self.hidden.bias.astype(np.float32),
                "hidden_output": self.hidden.output.astype(np.float32),
                "hidden_output_bias": np.float64(self.hidden.output_bias),
            }
        return {prefix + name: value for name, value in stored.items()}


# A net that never fires: the self-harm net of a model that has none.
NEVER = Net(np.zeros(DIMENSIONS, dtype=np.float32), -30.0)


class TriageModel:
    """The general net, and a second one trained on self-harm alone.

    Suicidal messages said the way people say them were the category the general net missed
    most (87% on the blind sets written about them): other emergencies pull its weights their
    way. The self-harm net learns only self-harm emergencies against messages that are none.
    Both are a regression averaged with three MLPs: the self-harm net's MLPs took the held-out
    sets' false alarms from 333 to 276 of 6,965 and their emergencies paged from 5,694 to 5,700
    of 5,775 (tests/data/triage/README.md).
    """

    def __init__(
        self, general: Net, thresholds: Thresholds, trained_on: str, self_harm: Net = NEVER
    ) -> None:
        self._general = general
        self._self_harm = self_harm
        self.thresholds = thresholds
        self.trained_on = trained_on

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> TriageModel:
        with stored_arrays(path, "the triage model") as stored:
            cut = {field.name: float(stored[field.name]) for field in fields(Thresholds)}
            return cls(
                Net.read(stored, ""),
                Thresholds(**cut),
                str(stored["trained_on"]),
                Net.read(stored, "self_harm_"),
            )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            **self._general.arrays(""),
            **self._self_harm.arrays("self_harm_"),
            **{
                field.name: np.float64(getattr(self.thresholds, field.name))
                for field in fields(Thresholds)
            },
            trained_on=np.str_(self.trained_on),
        )

    def probabilities(self, tokens: list[str], reading: Reading) -> Leanings:
        """The nets' probabilities for one message (or one sentence of a story)."""
        features = feature_indices(tokens, reading)
        general, linear = self._general.log_odds(features)
        self_harm, _ = self._self_harm.log_odds(features)
        return Leanings(_logistic(general), _logistic(self_harm), _logistic(linear))


def mean_log_odds(linear: float, hidden: Hidden, features: np.ndarray) -> float:
    """The general net's log-odds: the regression's (`linear`) and the MLP's, averaged."""
    return (linear + hidden.score(features)) / 2


def _logistic(score: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


def _dense(indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    weights = np.zeros(DIMENSIONS, dtype=np.float32)
    weights[indices] = values
    return weights
