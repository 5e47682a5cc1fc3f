"""An RBF support-vector classifier evaluated in numpy, with pairwise-coupled probabilities.

Why not cv2.ml.SVM at run time: its multi-class predict gives only a label, and the reader
needs every one-vs-one decision value to turn them into probabilities. OpenCV trains the
model (`training.svm_fit.train_svm`); its support vectors and pair coefficients are then
exported (`SvmWeights`) and evaluated here as two matrix products.

Probabilities: each pair (i, j) gives r_ij = sigmoid(slope * f_ij), the chance of i rather
than j; the classes' probabilities come from coupling them (Price et al. 1995:
p_i ~ 1 / (sum_{j != i} 1 / r_ij - (K - 2))). The single `slope` is fitted on the
calibration split (maximum likelihood), never on the training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float32]


@dataclass(frozen=True)
class SvmWeights:
    """support_vectors (n, d); coef (n, pairs): each vector's weight in each pair's decision
    function (0 where it takes no part); rho (pairs,); pairs in OpenCV's order (0,1), (0,2)...
    with f_ij > 0 meaning class i."""

    support_vectors: Array
    coef: Array
    rho: Array
    gamma: float
    classes: int

    @cached_property
    def norms(self) -> Array:
        """Each support vector's squared length, computed once (it was a fifth of a
        photo's SVM time, recomputed on every call)."""
        return np.asarray((self.support_vectors * self.support_vectors).sum(axis=1), np.float32)


def class_pairs(classes: int) -> list[tuple[int, int]]:
    """The one-vs-one pairs in OpenCV's order."""
    return [(i, j) for i in range(classes) for j in range(i + 1, classes)]


def decision_values(weights: SvmWeights, features: Array) -> Array:
    """The one-vs-one decision values f_ij, (B, pairs)."""
    vectors = weights.support_vectors
    distances = (
        (features * features).sum(axis=1)[:, None]
        + weights.norms[None, :]
        - 2.0 * features @ vectors.T
    )
    kernel = np.exp(-weights.gamma * np.maximum(distances, 0.0))
    return (kernel @ weights.coef - weights.rho).astype(np.float32)


def coupled_probabilities(values: Array, slope: float, classes: int) -> NDArray[np.float64]:
    """Class probabilities (B, classes) from the pairwise decision values."""
    count = len(values)
    pairwise = np.full((count, classes, classes), 0.5)
    for k, (i, j) in enumerate(class_pairs(classes)):
        r = np.clip(
            1.0 / (1.0 + np.exp(-slope * values[:, k].astype(np.float64))), 1e-12, 1 - 1e-12
        )
        pairwise[:, i, j], pairwise[:, j, i] = r, 1.0 - r
    inverse = 1.0 / pairwise
    total = inverse.sum(axis=2) - inverse[:, np.arange(classes), np.arange(classes)]
    raw = 1.0 / np.maximum(total - (classes - 2), 1e-300)
    return raw / raw.sum(axis=1, keepdims=True)
