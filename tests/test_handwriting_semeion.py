"""Semeion's digits, a second population of writers (outside NIST), as photo handwriting."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from canvass.errors import InputError, NotFoundError
from canvass.handwriting import (
    SEMEION_SPLITS,
    load_samples,
    load_semeion,
    read_semeion,
    semeion_rounds,
)
from canvass.settings import REPO_ROOT, Settings
from canvass.synth.fill import DigitBank
from tests.conftest import CANVASS, canvass_env

SEMEION = REPO_ROOT / "fixtures" / "handwriting" / "semeion.csv"


def test_the_file_runs_in_six_rounds_of_every_digit() -> None:
    squares, labels = read_semeion(SEMEION)
    assert squares.shape == (1593, 16, 16) and set(np.unique(squares)) == {0, 1}
    rounds = semeion_rounds(labels)
    assert [len(r) for r in rounds] == [199, 199, 199, 199, 399, 398]
    for r in rounds:
        run = labels[r.start : r.stop]
        assert (np.diff(run) >= 0).all() and set(run.tolist()) == set(range(10))


def test_calibrate_and_evaluate_are_whole_rounds_kept_apart() -> None:
    calibrate = load_semeion(SEMEION, "calibrate")
    evaluate = load_semeion(SEMEION, "evaluate")
    assert len(calibrate.ids) == 597 and len(evaluate.ids) == 996
    assert calibrate.ids.max() < evaluate.ids.min()  # rounds 0-2, then rounds 3-5
    assert SEMEION_SPLITS["calibrate"] == (0, 1, 2)
    for part in (calibrate, evaluate):
        assert part.images.shape[1:] == (40, 40) and part.images.dtype == np.uint8
        assert np.bincount(part.labels, minlength=10).min() >= 50


def test_a_tile_keeps_the_digits_proportions_not_the_scans_square() -> None:
    samples = load_samples(SEMEION, "evaluate")
    widths = {}
    for digit in (0, 1):
        tile = samples.images[samples.labels == digit][0]
        xs = np.flatnonzero((tile > 100).any(axis=0))
        widths[digit] = xs.max() - xs.min() + 1
    assert widths[1] < 0.7 * widths[0]  # a 1 is narrow again, though the scan filled a square


def test_semeion_is_never_a_training_source_and_a_bad_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="kept for measuring"):
        load_semeion(SEMEION, "train")
    bad = tmp_path / "digits.csv"
    bad.write_text("0,1,2\n")
    with pytest.raises(InputError, match="not Semeion's layout"):
        load_semeion(bad, "evaluate")
    with pytest.raises(NotFoundError, match=r"semeion\.csv"):
        load_semeion(tmp_path / "missing.csv", "evaluate")


def test_a_bank_names_its_source() -> None:
    assert DigitBank.load(SEMEION, "calibrate").source == "semeion"


def test_synth_photos_with_semeion_writers(sqlite_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "photos"
    done = subprocess.run(
        [
            CANVASS,
            *("synth", "photos", "--out", str(out), "--count", "2", "--seed", "4"),
            *("--rejects", "0", "--scale", "0.15", "--handwriting", str(SEMEION), "--json"),
        ],
        env=canvass_env(sqlite_settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    evaluate = set(load_semeion(SEMEION, "evaluate").ids.tolist())
    for n in range(2):
        truth = json.loads((out / f"photo-{n:05d}.json").read_text())
        assert truth["handwriting"] == "semeion" and truth["split"] == "evaluate"
        used = [s for f in truth["fields"].values() for s in f["samples"]]
        assert used and set(used) <= evaluate
