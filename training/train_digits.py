"""Trains the digit model from the `train` split and calibrates it on the `calibrate` split.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m training.train_digits --out ocr/models/

writes `digits-v1.npz` (weights) and `digits-v1.json` (calibration, threshold, seed, sample
counts, figures on the calibration split). Deterministic: the same seed reproduces the
same files byte for byte (rendering, OpenCV's SMO and numpy's products are deterministic),
provided the BLAS runs on one thread as above: the convnet's sums depend on the BLAS and its
thread count. About 4 minutes on one core.

What it does, and why:
1. Renders every train sample as several box crops (`training.augment`), plus synthetic
   not-a-single-digit boxes (11th class) and blank boxes (a blank box that still shows
   something after preprocessing is trained as not-a-digit).
2. Trains an RBF SVM on HOG + geometry and a small convnet on the normalised frame +
   geometry. C, gamma, the HOG layout and the convnet's size were chosen while
   developing by training on 4/5 of the train split and checking on the last fifth.
3. On renderings of the calibrate split (never used for fitting weights): fits the SVM's
   pairwise slope and the convnet's temperature by maximum likelihood, then picks the
   threshold as the lowest that accepts no wrong reading (wrong digit, not-a-digit box,
   blank read as digit): the product target (about 1 silent error in 30,000 digits) is
   far below what a calibration set of 1,000 real samples can resolve, so zero observed
   errors is the strictest rule it supports.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.settings import BUILTIN_DATA, REPO_ROOT
from ocr.convnet import logits_of
from ocr.digit_prep import Prepared, features, network_inputs, prepare
from ocr.digits import (
    CLASSES,
    DIGITS,
    REJECT,
    Calibration,
    DigitModel,
    ModelDigitEngine,
    combine,
    save_model,
)
from ocr.svm import SvmWeights, coupled_probabilities, decision_values
from training.augment import BLANK, Rendered
from training.convnet_fit import fit_convnet
from training.digit_metrics import (
    RenderPlan,
    choose_threshold,
    measure,
    operating_points,
    render_split,
)
from training.svm_fit import train_svm

SEED = 20200203
SVM_C = 5.0
SVM_GAMMA = 0.2
DIGITS_PNG = BUILTIN_DATA / "handwriting" / "digits.png"
MODEL_NAME = "digits-v1.npz"


def prepare_all(rendered: Rendered) -> tuple[list[Prepared], NDArray[np.int64]]:
    """The non-blank preprocessed crops and their training labels (blank boxes -> REJECT)."""
    prepared = [prepare(crop) for crop in rendered.crops]
    keep = [i for i, item in enumerate(prepared) if not item.blank]
    labels = rendered.labels[keep].copy()
    labels[labels == BLANK] = REJECT
    return [prepared[i] for i in keep], labels


def quantised(weights: SvmWeights) -> SvmWeights:
    """The SVM as it will be stored (support vectors in float16), so that calibration sees
    exactly what the reader will compute."""
    vectors = weights.support_vectors.astype(np.float16).astype(np.float32)
    return SvmWeights(vectors, weights.coef, weights.rho, weights.gamma, weights.classes)


def nll(probs: NDArray[np.float64], labels: NDArray[np.int64]) -> float:
    """Mean negative log-likelihood of the labels."""
    return float(-np.log(np.maximum(probs[np.arange(len(labels)), labels], 1e-300)).mean())


def fit_slope(values: NDArray[np.float32], labels: NDArray[np.int64]) -> float:
    """The pairwise sigmoid slope with the best likelihood (grid 0.25 .. 10)."""
    grid = np.arange(0.25, 10.01, 0.25)
    scores = [nll(coupled_probabilities(values, float(a), CLASSES), labels) for a in grid]
    return float(grid[int(np.argmin(scores))])


def fit_temperature(logits: NDArray[np.float32], labels: NDArray[np.int64]) -> float:
    """The softmax temperature with the best likelihood (grid 0.5 .. 5)."""
    grid = np.arange(0.5, 5.001, 0.05)
    scores = []
    for t in grid:
        scaled = logits.astype(np.float64) / t
        scaled -= scaled.max(axis=1, keepdims=True)
        probs = np.exp(scaled) / np.exp(scaled).sum(axis=1, keepdims=True)
        scores.append(nll(probs, labels))
    return float(grid[int(np.argmin(scores))])


def calibrate(svm: SvmWeights, net: Any, rendered: Rendered) -> tuple[Calibration, dict[str, Any]]:
    """Slope, temperature and threshold from the calibration renderings, with the figures."""
    prepared, labels = prepare_all(rendered)
    values = decision_values(svm, features(prepared))
    frames, extra = network_inputs(prepared)
    logits = logits_of(net, frames, extra)
    slope, temperature = fit_slope(values, labels), fit_temperature(logits, labels)
    probs = combine(coupled_probabilities(values, slope, CLASSES), logits, temperature)
    provisional = DigitModel(svm, net, Calibration(slope, temperature, 0.0), {})
    readings = ModelDigitEngine(provisional).classify(rendered.crops)
    written = np.array([not r.blank for r in readings])
    confidence = np.array([r.confidence for r in readings])[written]
    truth = rendered.labels[written]
    guess = np.array([r.digit for r in readings], dtype=object)[written]
    wrong = np.array([t >= DIGITS or t < 0 or g != t for t, g in zip(truth, guess, strict=True)])
    threshold = choose_threshold(confidence, wrong, 0)
    calibration = Calibration(slope, temperature, threshold)
    final = ModelDigitEngine(DigitModel(svm, net, calibration, {})).classify(rendered.crops)
    figures = measure(final, rendered.labels, rendered.kinds)
    figures["operating_points"] = operating_points(
        confidence, wrong, (truth >= 0) & (truth < DIGITS)
    )
    figures["nll_combined"] = nll(probs, labels)
    return calibration, figures


def train(
    out_dir: Path, seed: int, variants: int, negatives: int, blanks: int, epochs: int
) -> dict[str, Any]:
    """The whole run; returns the metadata written beside the weights."""
    cv2.setNumThreads(1)
    started = time.monotonic()
    train_plan = RenderPlan("train", seed, variants, negatives, blanks)
    calib_plan = RenderPlan("calibrate", seed + 1, 5, 2000, 500)
    prepared, labels = prepare_all(render_split(DIGITS_PNG, train_plan))
    svm = quantised(train_svm(features(prepared), labels, SVM_C, SVM_GAMMA, CLASSES))
    frames, extra = network_inputs(prepared)
    net = fit_convnet(frames, extra, labels, CLASSES, seed, epochs=epochs)
    calibration, figures = calibrate(svm, net, render_split(DIGITS_PNG, calib_plan))
    meta: dict[str, Any] = {
        "model": MODEL_NAME,
        "seed": seed,
        "train_render": vars(train_plan),
        "calibrate_render": vars(calib_plan),
        "train_crops_by_class": {str(c): int((labels == c).sum()) for c in range(CLASSES)},
        "svm": {"C": SVM_C, "gamma": SVM_GAMMA, "support_vectors": len(svm.support_vectors)},
        "convnet": {"epochs": epochs},
        "calibrate_figures": figures,
        "training_seconds": round(time.monotonic() - started, 1),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_NAME
    save_model(DigitModel(svm, net, calibration, meta), path)
    meta["weights_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    stored = json.loads(path.with_suffix(".json").read_text())
    stored["weights_sha256"] = meta["weights_sha256"]
    path.with_suffix(".json").write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    return stored


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "ocr" / "models")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--variants", type=int, default=6, help="renderings per sample")
    parser.add_argument("--negatives", type=int, default=6000)
    parser.add_argument("--blanks", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    meta = train(args.out, args.seed, args.variants, args.negatives, args.blanks, args.epochs)
    figures = meta["calibrate_figures"]
    print(
        f"wrote {args.out / MODEL_NAME} in {meta['training_seconds']} s; calibrate: "
        f"accuracy {figures['accuracy']:.4f}, threshold "
        f"{meta['calibration']['threshold']:.6f}, accept rate {figures['accept_rate']:.3f}, "
        f"negatives accepted {figures['negatives_accepted']}"
    )


if __name__ == "__main__":
    main()
