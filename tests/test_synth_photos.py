"""The photo generator: deterministic, truthful ground truth, the right digits, real rejects.

Most photos here are made at a quarter of phone resolution (`scale`) to keep the run short;
one is made at the full 12 MP.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from canvass.elections.iowa2020 import build_iowa2020
from canvass.handwriting import Split, split_of
from canvass.model import Election, Precinct, Tally
from canvass.settings import Settings
from canvass.synth.camera import REJECT_KINDS
from canvass.synth.fill import DigitBank
from canvass.synth.generate import (
    MANIFEST,
    PhotoJob,
    SynthConfig,
    generate_set,
    make_photo,
    plan_jobs,
)
from canvass.synth.sources import certified_units
from canvass.synth.values import viability_threshold
from canvass.worksheet.layout import ARUCO_DICTIONARY, build_layout
from canvass.worksheet.qr import decode_qr
from canvass.worksheet.render import WorksheetRenderer

FIXTURES = Settings().fixtures_dir
DIGITS = FIXTURES / "handwriting" / "digits.png"
SAMPLES_PER_CLASS = 500


@pytest.fixture(scope="module")
def iowa() -> Election:
    return build_iowa2020(FIXTURES / "iowa2020")


@pytest.fixture(scope="module")
def units(iowa: Election) -> dict[str, tuple[Precinct, Tally]]:
    return {p.id: (p, t) for p, t in certified_units(FIXTURES, iowa)}


@pytest.fixture(scope="module")
def renderer(iowa: Election) -> WorksheetRenderer:
    return WorksheetRenderer(build_layout(iowa), iowa)


def config(split: Split = "evaluate", scale: float = 0.25, seed: int = 11) -> SynthConfig:
    return SynthConfig(seed=seed, split=split, digits_path=DIGITS, scale=scale)


def job(units: dict[str, tuple[Precinct, Tally]], pid: str, kind: str = "good") -> PhotoJob:
    precinct, tally = units[pid]
    return PhotoJob(index=3, precinct=precinct, tally=tally, kind=kind)


def decode(jpeg: bytes) -> NDArray[np.uint8]:
    return np.asarray(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE), np.uint8)


def markers(grey: NDArray[np.uint8]) -> dict[int, NDArray[np.float32]]:
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICTIONARY))
    corners, ids, _ = cv2.aruco.ArucoDetector(dictionary).detectMarkers(grey)
    if ids is None:
        return {}
    return {
        int(i): np.asarray(c, np.float32).reshape(4, 2)
        for i, c in zip(ids.ravel(), corners, strict=True)
    }


def test_same_seed_same_bytes(tmp_path: Path, iowa: Election, units: dict) -> None:
    chosen = plan_jobs(list(units.values()), 3, seed=5, rejects=0.34)
    first, second = tmp_path / "a", tmp_path / "b"
    generate_set(chosen, config(scale=0.12), iowa, first, workers=1)
    generate_set(chosen, config(scale=0.12), iowa, second, workers=2)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    assert len(names) == 2 * 3 + 1
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    rows = [json.loads(line) for line in (first / MANIFEST).read_text().splitlines()]
    assert [r["index"] for r in rows] == [0, 1, 2]
    assert [r["kind"] for r in rows] == ["good", "good", "corner_cut"]


def test_ground_truth_is_the_certified_tally(renderer: WorksheetRenderer, units: dict) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    precinct, certified = units["POLK-ANK-01"]
    _, truth = make_photo(job(units, "POLK-ANK-01"), config(), renderer, bank)
    tally = Tally.model_validate(truth["tally"])
    assert tally.first == certified.first and tally.final == certified.final
    assert tally.county_delegates == certified.county_delegates
    assert tally.attendees == certified.attendees
    assert tally.delegates_to_elect == precinct.delegates_to_elect
    assert tally.viability_threshold == viability_threshold(
        certified.attendees, precinct.delegates_to_elect or 0
    )
    assert (truth["precinct"], truth["form"]) == ("POLK-ANK-01", "ws-iowa-dem-2020-v1")
    fields = truth["fields"]
    assert fields["attendees"]["value"] == certified.attendees
    for name, count in certified.first.items():
        field = fields[f"first.{name}"]
        assert field["value"] == count
        assert field["text"] in (str(count), "" if count == 0 else str(count))
        assert len(field["samples"]) == len(field["text"]) == len(field["boxes"])


@pytest.mark.parametrize("split", ["evaluate", "calibrate"])
def test_digits_come_only_from_the_requested_split(
    renderer: WorksheetRenderer, units: dict, split: Split
) -> None:
    bank = DigitBank.load(DIGITS, split)
    _, truth = make_photo(job(units, "SAT-CD1-01"), config(split=split), renderer, bank)
    assert "delegates_to_elect" in truth["fields"]
    used = 0
    for field in truth["fields"].values():
        struck = field["crossed_out"] or {"samples": [], "struck": ""}
        for samples, text in (
            (field["samples"], field["text"]),
            (struck["samples"], struck["struck"]),
        ):
            for sample, char in zip(samples, text, strict=True):
                assert split_of(sample) == split
                assert sample // SAMPLES_PER_CLASS == int(char), "the sample shows the digit"
                used += 1
    assert used >= 10


def test_good_photo_markers_survive_the_camera(renderer: WorksheetRenderer, units: dict) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    for seed in (1, 2, 3):
        jpeg, truth = make_photo(job(units, "POLK-ANK-02"), config(seed=seed), renderer, bank)
        found = markers(decode(jpeg))
        assert sorted(found) == [0, 1, 2, 3], f"seed {seed}: {truth['conditions']}"
        homography = np.array(truth["homography"])
        for marker in renderer.layout.markers:
            expected = cv2.perspectiveTransform(np.array([marker.corners], np.float64), homography)[
                0
            ]
            assert np.abs(found[marker.id] - expected).max() < 4.0
        assert truth["markers_in_frame"] == [0, 1, 2, 3]


def test_full_resolution_photo_reads_back(renderer: WorksheetRenderer, units: dict) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    full = SynthConfig(seed=4, split="evaluate", digits_path=DIGITS, size=(3000, 4000))
    jpeg, truth = make_photo(job(units, "POLK-ANK-01"), full, renderer, bank)
    grey = decode(jpeg)
    assert grey.shape == (4000, 3000) and truth["photo_size"] == [3000, 4000]
    assert sorted(markers(grey)) == [0, 1, 2, 3]
    page = cv2.warpPerspective(grey, np.linalg.inv(np.array(truth["homography"])), (2550, 3300))
    identity = decode_qr(page)
    assert identity is not None and identity.precinct == "POLK-ANK-01"


def test_rejects_carry_their_kind(renderer: WorksheetRenderer, units: dict) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    planned = plan_jobs(list(units.values())[:8], 8, seed=1, rejects=0.5)
    assert [j.kind for j in planned if j.kind != "good"] == list(REJECT_KINDS)
    for kind in REJECT_KINDS:
        jpeg, truth = make_photo(job(units, "POLK-ANK-01", kind), config(), renderer, bank)
        assert truth["kind"] == kind
        found = markers(decode(jpeg))
        if kind == "corner_cut":
            cut = truth["conditions"]["cut_corner"]
            assert cut not in truth["markers_in_frame"] and cut not in found
        elif kind == "blurred":
            assert len(found) < 4
        elif kind == "not_a_worksheet":
            assert truth["precinct"] is None and truth["tally"] is None and not found
        elif kind == "glare":
            assert truth["conditions"]["glare_centre"]
            assert (decode(jpeg) >= 250).mean() > 0.01, "a saturated patch"


def test_zero_counts_are_left_blank(renderer: WorksheetRenderer, units: dict) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    _, truth = make_photo(job(units, "POLK-ANK-01"), config(), renderer, bank)
    _, certified = units["POLK-ANK-01"]
    empty_rows = [c for c in certified.first if certified.first[c] == 0 == certified.final[c]]
    assert empty_rows
    for name in empty_rows:
        for group in ("first", "final", "county_delegates"):
            assert truth["fields"][f"{group}.{name}"]["blank"]


@pytest.mark.parametrize(
    ("attendees", "delegates", "threshold"),
    [
        (0, 4, 0),
        (10, 1, 6),
        (11, 1, 6),
        (10, 2, 3),
        (12, 3, 2),
        (13, 3, 3),
        (20, 6, 3),
        (21, 6, 4),
        (100, 9, 15),
    ],
)
def test_viability_threshold_rule(attendees: int, delegates: int, threshold: int) -> None:
    assert viability_threshold(attendees, delegates) == threshold
