"""The digit model on real held-out handwriting (evaluate split) rendered into box crops.

Floors are the figures measured with the committed model (`python -m bench.digits`)
minus a margin for the smaller sample; a retrained model that falls below them is worse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from canvass.errors import InputError, NotFoundError, NotReadyError
from canvass.handwriting import load_digits
from canvass.settings import BUILTIN_DATA
from ocr import tesseract
from ocr.digit_prep import prepare
from ocr.digits import (
    DEFAULT_MODEL,
    REJECT,
    BoxReading,
    ModelDigitEngine,
    load_engine,
    read_model,
    weighted_product,
)
from training.augment import BLANK, Rendered, render

DIGITS_PNG = BUILTIN_DATA / "handwriting" / "digits.png"
ACCURACY_FLOOR = 0.95  # bench: 0.964 on 3,000 evaluate crops; 0.983 on this sample
# A box accepted on its own must clear the threshold that let no wrong reading of the 7,000
# calibration crops through; the three-way product reads one atypical sample wrongly at
# 1 - 1e-10, so few boxes clear it alone (0.04 on this sample). The page reader does not
# use it: fields are judged by their support, with bands chosen on calibration photos.
ACCEPT_FLOOR = 0.02


@pytest.fixture(scope="module")
def engine() -> ModelDigitEngine:
    return load_engine()


@pytest.fixture(scope="module")
def held_out() -> Rendered:
    """300 evaluate samples (about 30 a class) as box crops, 120 negatives, 60 blank boxes."""
    samples = load_digits(DIGITS_PNG, "evaluate")
    pick = np.arange(0, len(samples.labels), 3)[:300]
    return render(
        samples.images[pick],
        samples.ids[pick],
        samples.labels[pick],
        seed=11,
        variants=1,
        negatives=120,
        blanks=60,
    )


@pytest.fixture(scope="module")
def readings(engine: ModelDigitEngine, held_out: Rendered) -> list[BoxReading]:
    return engine.classify(held_out.crops)


def test_reads_held_out_digits_above_the_floor(
    held_out: Rendered, readings: list[BoxReading]
) -> None:
    digits = [(r, int(y)) for r, y in zip(readings, held_out.labels, strict=True) if 0 <= y < 10]
    right = sum(r.digit == y and not r.blank for r, y in digits)
    accepted = [(r, y) for r, y in digits if r.accepted]
    assert right / len(digits) >= ACCURACY_FLOOR
    assert len(accepted) / len(digits) >= ACCEPT_FLOOR
    assert all(r.digit == y for r, y in accepted), "a digit was accepted wrongly"


def test_readings_are_well_formed(readings: list[BoxReading], engine: ModelDigitEngine) -> None:
    for r in readings:
        assert len(r.probabilities) == 10
        assert 0.0 <= sum(r.probabilities) <= 1.0 + 1e-9
        if r.blank:
            assert r.digit is None
        else:
            assert r.digit is not None and r.confidence == pytest.approx(
                min(r.probabilities[r.digit], r.confidence)
            )
            assert r.accepted == (r.confidence >= engine.threshold and r.reason == "")


def test_blank_boxes_come_out_blank(held_out: Rendered, readings: list[BoxReading]) -> None:
    blanks = [r for r, y in zip(readings, held_out.labels, strict=True) if y == BLANK]
    assert sum(r.blank for r in blanks) >= 0.9 * len(blanks)
    assert not any(r.accepted and not r.blank for r in blanks)


def test_empty_and_bordered_boxes_are_accepted_blank(engine: ModelDigitEngine) -> None:
    plain = np.full((90, 90), 220, np.uint8)
    bordered = plain.copy()
    bordered[:4, :] = bordered[-3:, :] = bordered[:, :3] = bordered[:, -4:] = 40
    for reading in engine.classify([plain, bordered]):
        assert reading.blank and reading.accepted


def test_not_a_single_digit_is_never_accepted(
    held_out: Rendered, readings: list[BoxReading]
) -> None:
    negatives = [
        (r, k)
        for r, y, k in zip(readings, held_out.labels, held_out.kinds, strict=True)
        if y == REJECT
    ]
    assert len(negatives) == 120
    accepted = [k for r, k in negatives if r.accepted and not r.blank]
    assert accepted == []


def test_a_crop_that_is_not_grey_uint8_is_refused(engine: ModelDigitEngine) -> None:
    with pytest.raises(InputError):
        engine.classify([np.zeros((90, 90), np.float32)])


def test_model_loads_once() -> None:
    assert load_engine() is load_engine()


def test_the_network_is_a_third_opinion(engine: ModelDigitEngine, held_out: Rendered) -> None:
    """The ONNX network runs through OpenCV in one batch, and multiplying it in keeps the
    likeliest digit right at least as often as the SVM and numpy convnet alone."""
    assert engine.model.cnn is not None
    digits = [i for i, y in enumerate(held_out.labels) if 0 <= y < 10]
    prepared = [prepare(held_out.crops[i]) for i in digits]
    written = [(p, int(held_out.labels[i])) for p, i in zip(prepared, digits, strict=True)]
    items = [p for p, _ in written if not p.blank]
    truth = np.array([y for p, y in written if not p.blank])
    logits = engine.model.cnn.logits(items)
    assert logits.shape == (len(items), 11) and np.isfinite(logits).all()
    both = engine.model.class_probabilities(items)
    two = read_model(DEFAULT_MODEL, None).class_probabilities(items)
    assert np.allclose(both.sum(axis=1), 1.0)
    right_both = (both[:, :10].argmax(axis=1) == truth).mean()
    right_two = (two[:, :10].argmax(axis=1) == truth).mean()
    assert right_both >= right_two - 0.005


def test_a_weighted_product_trusts_the_second_opinion_less() -> None:
    first = np.array([[0.7, 0.2, 0.1]])
    second = np.array([[0.1, 0.8, 0.1]])
    assert np.allclose(weighted_product(first, second, 0.0), first)
    half = weighted_product(first, second, 0.5)
    full = weighted_product(first, second, 1.0)
    assert np.isclose(half.sum(), 1.0) and np.isclose(full.sum(), 1.0)
    assert first[0, 1] < half[0, 1] < full[0, 1]


def test_a_missing_network_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="train_cnn"):
        read_model(DEFAULT_MODEL, tmp_path / "missing.onnx")


def test_missing_tesseract_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    tesseract.tesseract_binary.cache_clear()
    monkeypatch.setattr(tesseract.shutil, "which", lambda name: None)
    try:
        with pytest.raises(NotReadyError, match="tesseract-ocr"):
            tesseract.read_digit(np.full((40, 40), 255, np.uint8))
    finally:
        tesseract.tesseract_binary.cache_clear()


@pytest.mark.slow
def test_tesseract_reads_a_printed_digit() -> None:
    import cv2

    crop = np.full((90, 90), 255, np.uint8)
    cv2.putText(crop, "7", (25, 70), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 0, 5)
    assert tesseract.read_digit(crop) == 7
