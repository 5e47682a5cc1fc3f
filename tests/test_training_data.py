"""The digit model's training material: font digits, labelled page crops, prepared sets."""

from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageFont

from canvass.errors import InputError
from canvass.handwriting import SAMPLE_SIZE
from canvass.synth.generate import plan_jobs
from canvass.synth.sources import certified_units
from ocr.digit_prep import NET_FRAME, prepare
from training.data import prepare_set
from training.font_digits import (
    GLYPH_HEIGHT,
    TILE,
    has_own_digits,
    ink_of,
    load_font_digits,
    to_tile,
)
from training.mnist_test import as_samples, load_parts
from training.page_crops import (
    BLANK,
    FIXTURES,
    REJECT,
    box_labels,
    iowa,
    make_page_crops,
    photo_crops,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def test_a_font_digit_becomes_a_sample_shaped_tile() -> None:
    font = ImageFont.truetype(str(DEJAVU), 96)
    assert has_own_digits(font)
    tile = to_tile(ink_of(font, "7"))
    assert tile.shape == (TILE, TILE) and tile.dtype == np.uint8
    rows = np.flatnonzero(tile.max(axis=1) > 60)
    assert GLYPH_HEIGHT - 2 <= rows[-1] - rows[0] + 1 <= GLYPH_HEIGHT + 1


def test_no_fonts_installed_gives_an_empty_set(tmp_path: Path) -> None:
    digits = load_font_digits(tmp_path)
    assert digits.images.shape == (0, TILE, TILE) and len(digits.labels) == 0


def test_box_labels_follow_the_ground_truth() -> None:
    truth = {"boxes": [1, 2], "text": "47", "crossed_out": None}
    assert box_labels(truth, 3) == [BLANK, 4, 7]
    corrected = {"boxes": [2], "text": "5", "crossed_out": {"boxes": [1, 2]}}
    assert box_labels(corrected, 3) == [BLANK, REJECT, REJECT]
    assert box_labels({"boxes": [], "text": "", "crossed_out": None}, 2) == [BLANK, BLANK]


def test_evaluate_photos_are_never_used_for_fitting() -> None:
    with pytest.raises(InputError):
        make_page_crops("evaluate", 1, 1, 1)


def test_page_crops_carry_every_written_digit_of_the_photo() -> None:
    jobs = plan_jobs(certified_units(FIXTURES, iowa()), 1, 5, 0.0)
    crops = photo_crops(jobs, "calibrate", 5)
    attendees = jobs[0].numbers.values["attendees"]
    assert crops.crops.shape[1:] == (64, 64)
    assert len(crops.labels) == len(crops.crossing) == len(crops.crops)
    written = (crops.labels >= 0) & (crops.labels <= 9)
    assert written.sum() >= len(str(attendees))
    prepared = [prepare(c) for c in crops.crops[written]]
    assert sum(p.blank for p in prepared) <= 1  # a written box is seen as written
    assert all(p.glyph.shape == (NET_FRAME, NET_FRAME) for p in prepared)
    blanks = [prepare(c) for c in crops.crops[crops.labels == BLANK][:40]]
    assert sum(p.blank for p in blanks) >= 36


def test_prepared_sets_drop_blank_crops_and_relabel_marked_blanks() -> None:
    clean = np.full((64, 64), 220, np.uint8)
    marked = clean.copy()
    marked[20:44, 30:34] = 40  # a stroke in a box labelled blank
    labels = np.array([BLANK, BLANK], np.int64)
    prepared = prepare_set([clean, marked], labels, 2, 1)
    assert prepared.labels.tolist() == [REJECT]
    assert prepared.frames.shape == (1, NET_FRAME, NET_FRAME)
    assert prepared.source.tolist() == [2]


def _write_pickle(path: Path, payload: object) -> None:
    with gzip.open(path, "wb") as out:
        pickle.dump(payload, out)


def test_the_mnist_file_is_read_as_three_parts_of_images_and_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    parts = tuple(
        (rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n)) for n in (4, 2, 3)
    )
    path = tmp_path / "mnist.pkl.gz"
    _write_pickle(path, parts)
    loaded = load_parts(path)
    assert [len(labels) for _, labels in loaded] == [4, 2, 3]
    images, labels = loaded[2]
    assert images.shape == (3, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == parts[2][1].tolist()
    assert as_samples(images).shape == (3, SAMPLE_SIZE, SAMPLE_SIZE)


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mnist.pkl.gz"
    _write_pickle(path, (np.zeros(2), os.getcwd))
    with pytest.raises(pickle.UnpicklingError, match="getcwd is not allowed"):
        load_parts(path)
