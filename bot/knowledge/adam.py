"""Adam, full batch, for the small numpy models trained here (triage's net, the topic classifier).

Written once so that both trainers step the same way; numpy is all they need.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8


class Adam:
    """Updates the given arrays in place, one full-batch step at a time."""

    def __init__(self, parameters: Sequence[np.ndarray], rate: float) -> None:
        self._parameters = list(parameters)
        self._rate = rate
        self._moments = [np.zeros_like(p) for p in self._parameters]
        self._squares = [np.zeros_like(p) for p in self._parameters]
        self._step = 0

    def step(self, gradients: Sequence[np.ndarray]) -> None:
        self._step += 1
        for parameter, gradient, moment, square in zip(
            self._parameters, gradients, self._moments, self._squares, strict=True
        ):
            # In place, so the caller's arrays are the ones trained.
            np.subtract(
                parameter, _step(moment, square, gradient, self._step, self._rate), out=parameter
            )


class RowAdam:
    """Adam for a table of which each step updates only the rows a mini-batch used (lazy Adam):
    the hidden layer of triage's MLP, where most of 65,536 rows are untouched by a batch."""

    def __init__(self, table: np.ndarray, rate: float) -> None:
        self._table = table
        self._rate = rate
        self._moments = np.zeros_like(table)
        self._squares = np.zeros_like(table)
        self._step = 0

    def step(self, rows: np.ndarray, gradient: np.ndarray) -> None:
        """`rows`: distinct row numbers; `gradient`: one row of gradient for each."""
        self._step += 1
        moment, square = self._moments[rows], self._squares[rows]  # copies: written back below
        self._table[rows] -= _step(moment, square, gradient, self._step, self._rate)
        self._moments[rows] = moment
        self._squares[rows] = square


def _step(
    moment: np.ndarray, square: np.ndarray, gradient: np.ndarray, count: int, rate: float
) -> np.ndarray:
    """Moves Adam's moments by one gradient, in place, and returns the step to subtract (`count`:
    the steps taken, this one included)."""
    moment *= BETA1
    moment += (1 - BETA1) * gradient
    square *= BETA2
    square += (1 - BETA2) * gradient * gradient
    first = 1 - BETA1**count
    second = 1 - BETA2**count
    return rate * (moment / first) / (np.sqrt(square / second) + EPSILON)
