"""Training of the RBF SVM (`ocr.svm`): OpenCV's C-SVC, exported as `SvmWeights`.

Why a module of its own: the reader only evaluates the exported weights (`ocr.svm`); this
code is needed only by `training.train_digits`.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from ocr.svm import Array, SvmWeights, class_pairs


def train_svm(
    features: Array, labels: NDArray[np.int64], c: float, gamma: float, classes: int
) -> SvmWeights:
    """Trains a C-SVC with an RBF kernel (OpenCV's SMO: deterministic) and exports it."""
    svm = cv2.ml.SVM.create()
    svm.setType(cv2.ml.SVM_C_SVC)
    svm.setKernel(cv2.ml.SVM_RBF)
    svm.setC(c)
    svm.setGamma(gamma)
    svm.train(
        features.astype(np.float32), cv2.ml.ROW_SAMPLE, labels.astype(np.int32).reshape(-1, 1)
    )
    vectors = svm.getSupportVectors().astype(np.float32)
    pairs = class_pairs(classes)
    coef = np.zeros((len(vectors), len(pairs)), np.float32)
    rho = np.zeros(len(pairs), np.float32)
    for k in range(len(pairs)):
        offset, alpha, index = svm.getDecisionFunction(k)
        coef[index.ravel(), k] = alpha.ravel()
        rho[k] = offset
    return SvmWeights(vectors, coef, rho, gamma, classes)
