"""The digit model: reads ONE digit-box crop as blank, a digit 0-9, or "not sure".

The page reader cuts each digit box out of a perspective-corrected photo and hands the grey
crops to a `DigitEngine`. Each comes back as a `BoxReading`: blank, or the most likely digit
with calibrated probabilities and a confidence; `accepted` says whether the confidence
clears the threshold chosen on the calibration split. A crop that is not a single clean
digit (crossed out, two digits, a scribble, writing across the box edge) comes out with
low confidence: a wrong digit read with confidence is the failure that matters most, so
anything not `accepted` must go to a person.

The real engine (`ModelDigitEngine`, from `load_engine()`) combines three views of the
preprocessed box (`ocr.digit_prep`), each with an 11th class "not a single digit": an RBF
SVM on HOG features (`ocr.svm`) and a small numpy convnet (`ocr.convnet`), both on the
binary 20x20 frame (`python -m training.train_digits`, weights `ocr/models/digits-v1.npz`), and
a convolutional network on the grey 28x28 writing, trained offline with torch on MNIST,
handwriting fonts and boxes of generated photos (`python -m training.train_cnn`), exported to
ONNX and run here with OpenCV's dnn module (`ocr/models/digits-cnn.onnx`). Their
calibrated probabilities are multiplied, the network's raised to a weight below one, and
renormalised, so a confident reading needs them to agree. Calibration (slope,
temperatures, weight, threshold) is in the .json files beside the weights. The engine is
loaded once per process (the lru_cache on `load_engine` is the only module-level state).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import NotFoundError
from ocr.convnet import PARAM_NAMES, ConvNet, logits_of
from ocr.digit_prep import BLANK_AREA, Prepared, cnn_inputs, features, network_inputs, prepare
from ocr.svm import SvmWeights, coupled_probabilities, decision_values

GrayImage = NDArray[np.uint8]
"""A 2-D grey uint8 image, dark ink on light paper (a 3-channel BGR one is accepted too)."""

DIGITS = 10
REJECT = 10
"""The model's 11th class: not a single clean digit."""
CLASSES = 11
MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODEL_DIR / "digits-v1.npz"
CNN_MODEL = MODEL_DIR / "digits-cnn.onnx"
EDGE_INK = 3
"""Px of ink on the crop's outermost ring (at WORK_SIZE) from which writing crosses the box."""
EDGE_CAP = 0.5
"""The confidence of a reading whose writing crosses the box edge is capped at this."""
BLANK_SURE = 0.75
"""A blank reading is accepted when its confidence (1 - stray ink / 2 BLANK_AREA) is >= this."""


@dataclass(frozen=True)
class BoxReading:
    """The reading of one box.

    - `blank`: no writing; then `digit` is None and `probabilities` are all 0.
    - `digit`: the most likely digit (even when not accepted: a hint for the reviewer).
    - `probabilities`: 10 calibrated probabilities of the digits 0-9; they sum to
      1 - P(not a single digit).
    - `confidence`: the probability of `digit` (capped at EDGE_CAP when the writing crosses
      the box edge); for a blank box, how clean it is.
    - `accepted`: confidence >= the model's threshold (digits) or BLANK_SURE (blank).
    - `reason`: why it is not accepted: "low-confidence", "not-a-digit", "touches-edge",
      "faint-marks" (almost blank), or "" when accepted.
    """

    blank: bool
    digit: int | None
    probabilities: tuple[float, ...]
    confidence: float
    accepted: bool = True
    reason: str = ""


def blank_reading(confidence: float = 1.0) -> BoxReading:
    """A blank box (accepted when `confidence` >= BLANK_SURE)."""
    sure = confidence >= BLANK_SURE
    return BoxReading(True, None, (0.0,) * DIGITS, confidence, sure, "" if sure else "faint-marks")


def digit_reading(
    digit: int, confidence: float, accepted: bool = True, reason: str = ""
) -> BoxReading:
    """A digit with `confidence` on it and the rest spread evenly (for tests and fakes)."""
    rest = (1.0 - confidence) / (DIGITS - 1)
    probabilities = tuple(confidence if d == digit else rest for d in range(DIGITS))
    return BoxReading(False, digit, probabilities, confidence, accepted, reason)


class DigitEngine(Protocol):
    """Anything that reads digit-box crops: the real model or a fake."""

    def classify(self, crops: Sequence[GrayImage]) -> list[BoxReading]:
        """One reading per crop, in order."""
        ...


@dataclass(frozen=True)
class Calibration:
    """What the calibration split chose: the SVM's pairwise slope, the convnet's
    temperature, and the confidence threshold for accepting a digit."""

    svm_slope: float
    temperature: float
    threshold: float


def combine(
    svm_probs: NDArray[np.float64], net_logits: NDArray[np.float32], temperature: float
) -> NDArray[np.float64]:
    """The product of the two models' calibrated probabilities, renormalised (B, CLASSES)."""
    scaled = net_logits.astype(np.float64) / temperature
    net = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    net /= net.sum(axis=1, keepdims=True)
    joint = np.maximum(svm_probs * net, 1e-300)
    return joint / joint.sum(axis=1, keepdims=True)


@dataclass
class CnnModel:
    """The ONNX network (OpenCV dnn), its softmax temperature and its weight in the product.
    Not thread-safe (the dnn net keeps its buffers): one per process or thread."""

    net: cv2.dnn.Net
    temperature: float
    weight: float
    threshold: float

    def logits(self, prepared: Sequence[Prepared]) -> NDArray[np.float32]:
        """Raw logits (B, CLASSES) of non-blank prepared boxes, in one batch."""
        glyphs, extra = cnn_inputs(list(prepared))
        self.net.setInput(glyphs, "frame")
        self.net.setInput(extra, "geometry")
        return np.asarray(self.net.forward(), np.float32).reshape(len(prepared), CLASSES)


def softmax(logits: NDArray[np.float32], temperature: float) -> NDArray[np.float64]:
    """Softmax of logits / temperature (B, CLASSES), in float64."""
    scaled = logits.astype(np.float64) / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    probs = np.exp(scaled)
    return np.asarray(probs / probs.sum(axis=1, keepdims=True), np.float64)


def weighted_product(
    probs: NDArray[np.float64], other: NDArray[np.float64], weight: float
) -> NDArray[np.float64]:
    """probs * other**weight, renormalised (a product of experts, `other` trusted less)."""
    joint = np.maximum(probs * np.power(np.maximum(other, 1e-300), weight), 1e-300)
    return np.asarray(joint / joint.sum(axis=1, keepdims=True), np.float64)


def load_net(path: Path) -> cv2.dnn.Net:
    """The ONNX network at `path`, on OpenCV's own CPU backend."""
    if not path.is_file():
        raise NotFoundError(f"{path}: digit network missing; run `python -m training.train_cnn`")
    net = cv2.dnn.readNetFromONNX(str(path))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net


def read_cnn(path: Path) -> CnnModel:
    """The network at `path` (.onnx) with its calibration (.json beside it)."""
    meta_path = path.with_suffix(".json")
    if not meta_path.is_file():
        raise NotFoundError(f"{meta_path}: calibration missing; run `python -m training.train_cnn`")
    calibration = json.loads(meta_path.read_text())["calibration"]
    return CnnModel(
        load_net(path),
        float(calibration["temperature"]),
        float(calibration["weight"]),
        float(calibration["threshold"]),
    )


def to_reading(probs: NDArray[np.float64], edge_ink: int, threshold: float) -> BoxReading:
    """A non-blank box's reading from its combined class probabilities."""
    digit = int(np.argmax(probs[:DIGITS]))
    confidence = float(probs[digit])
    reason = ""
    if edge_ink >= EDGE_INK:
        confidence, reason = min(confidence, EDGE_CAP), "touches-edge"
    elif confidence < threshold:
        reason = "not-a-digit" if int(np.argmax(probs)) == REJECT else "low-confidence"
    accepted = reason == ""
    return BoxReading(
        False, digit, tuple(float(p) for p in probs[:DIGITS]), confidence, accepted, reason
    )


class ModelDigitEngine:
    """The real engine. Construct it with `load_engine()` (loads once per process)."""

    def __init__(self, model: DigitModel) -> None:
        self.model = model

    @property
    def threshold(self) -> float:
        """The confidence at and above which a digit is accepted (chosen for the combination
        in use: with the network, by `training.train_cnn`)."""
        if self.model.cnn is not None:
            return self.model.cnn.threshold
        return self.model.calibration.threshold

    def classify(self, crops: Sequence[GrayImage]) -> list[BoxReading]:
        """Reads every crop (any size, grey or BGR uint8). About 1 ms a box on one core."""
        prepared = [prepare(crop) for crop in crops]
        written = [i for i, p in enumerate(prepared) if not p.blank]
        probs = self.model.class_probabilities([prepared[i] for i in written])
        readings: list[BoxReading] = []
        for item in prepared:
            confidence = max(0.5, 1.0 - item.ink_area / (2.0 * BLANK_AREA))
            readings.append(blank_reading(confidence))
        for row, i in enumerate(written):
            edge = prepared[i].edge_ink
            readings[i] = to_reading(probs[row], edge, self.threshold)
        return readings


@dataclass(frozen=True)
class DigitModel:
    """The classifiers' weights, the calibration and the training metadata; `cnn` is the
    third opinion (None while `training.train_cnn` calibrates it against the other two)."""

    svm: SvmWeights
    net: ConvNet
    calibration: Calibration
    metadata: dict[str, Any]
    cnn: CnnModel | None = None

    def class_probabilities(self, prepared: Sequence[Prepared]) -> NDArray[np.float64]:
        """Combined calibrated probabilities (B, CLASSES) of non-blank prepared boxes."""
        if not prepared:
            return np.zeros((0, CLASSES))
        values = decision_values(self.svm, features(list(prepared)))
        svm_probs = coupled_probabilities(values, self.calibration.svm_slope, CLASSES)
        frames, extra = network_inputs(list(prepared))
        probs = combine(svm_probs, logits_of(self.net, frames, extra), self.calibration.temperature)
        if self.cnn is None:
            return probs
        cnn = softmax(self.cnn.logits(prepared), self.cnn.temperature)
        return weighted_product(probs, cnn, self.cnn.weight)


def save_model(model: DigitModel, path: Path) -> None:
    """Writes the weights to `path` (.npz) and calibration + metadata beside it (.json)."""
    net = model.net
    arrays: dict[str, Any] = {
        "svm_vectors": model.svm.support_vectors.astype(np.float16),
        "svm_coef": model.svm.coef,
        "svm_rho": model.svm.rho,
        **net.params(),
    }
    np.savez_compressed(path, **arrays)
    meta = dict(model.metadata)
    meta["svm_gamma"] = model.svm.gamma
    meta["calibration"] = vars(model.calibration)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def read_model(path: Path, cnn_path: Path | None = CNN_MODEL) -> DigitModel:
    """Reads a model written by `save_model` (and the network at `cnn_path` unless None);
    NotFoundError if a file is missing."""
    meta_path = path.with_suffix(".json")
    if not path.is_file() or not meta_path.is_file():
        raise NotFoundError(f"{path}: digit model missing; run `python -m training.train_digits`")
    meta = json.loads(meta_path.read_text())
    with np.load(path, allow_pickle=False) as weights:
        svm = SvmWeights(
            weights["svm_vectors"].astype(np.float32),
            weights["svm_coef"].astype(np.float32),
            weights["svm_rho"].astype(np.float32),
            float(meta["svm_gamma"]),
            CLASSES,
        )
        net = ConvNet(**{name: weights[name].astype(np.float32) for name in PARAM_NAMES})
    calibration = Calibration(**meta["calibration"])
    cnn = None if cnn_path is None else read_cnn(cnn_path)
    return DigitModel(svm, net, calibration, meta, cnn)


@lru_cache(maxsize=4)
def load_engine(path: Path = DEFAULT_MODEL, cnn_path: Path | None = CNN_MODEL) -> ModelDigitEngine:
    """The engine for the models at `path` and `cnn_path`, loaded once per process (cached)."""
    return ModelDigitEngine(read_model(path, cnn_path))
