"""The photo generator: deterministic, truthful ground truth, the right digits, real rejects;
for caucus worksheets and the general election's precinct results sheets.

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
from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.errors import InputError
from canvass.forms.caucus import CAUCUS_WORKSHEET
from canvass.forms.registry import rules_of
from canvass.forms.results_sheet import PRECINCT_RESULTS
from canvass.handwriting import Split, split_of
from canvass.model import Election, Precinct, SheetNumbers
from canvass.settings import Settings
from canvass.synth.camera import REJECT_KINDS
from canvass.synth.fill import DigitBank, always_written, rows_in_use
from canvass.synth.generate import (
    MANIFEST,
    PhotoJob,
    SynthConfig,
    generate_set,
    make_photo,
    plan_jobs,
)
from canvass.synth.sources import (
    certified_tallies,
    certified_units,
    file_units,
    units_for,
    written_threshold,
)
from canvass.worksheet.layout import ARUCO_DICTIONARY, build_layout
from canvass.worksheet.qr import decode_qr
from canvass.worksheet.render import WorksheetRenderer

FIXTURES = Settings().fixtures_dir
DIGITS = FIXTURES / "handwriting" / "digits.png"
SAMPLES_PER_CLASS = 500
IOWA_ROWS = build_iowa2020(FIXTURES / "iowa2020").candidates


@pytest.fixture(scope="module")
def iowa() -> Election:
    return build_iowa2020(FIXTURES / "iowa2020")


@pytest.fixture(scope="module")
def units(iowa: Election) -> dict[str, tuple[Precinct, SheetNumbers]]:
    return {p.id: (p, n) for p, n in certified_units(FIXTURES, iowa)}


@pytest.fixture(scope="module")
def renderer(iowa: Election) -> WorksheetRenderer:
    return WorksheetRenderer(build_layout(iowa), iowa)


def config(split: Split = "evaluate", scale: float = 0.25, seed: int = 11) -> SynthConfig:
    return SynthConfig(seed=seed, split=split, digits_path=DIGITS, scale=scale)


def job(units: dict[str, tuple[Precinct, SheetNumbers]], pid: str, kind: str = "good") -> PhotoJob:
    precinct, numbers = units[pid]
    return PhotoJob(index=3, precinct=precinct, numbers=numbers, kind=kind)


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


def test_ground_truth_is_the_certified_tally(
    renderer: WorksheetRenderer, units: dict, iowa: Election
) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    precinct, certified = dict((p.id, (p, t)) for p, t in certified_tallies(FIXTURES, iowa))[
        "POLK-ANK-01"
    ]
    _, truth = make_photo(job(units, "POLK-ANK-01"), config(), renderer, bank)
    values = truth["numbers"]["values"]
    for name in iowa.candidates:
        assert values[f"first.{name}"] == certified.first.get(name, 0)
        assert values[f"final.{name}"] == certified.final.get(name, 0)
        assert values[f"county_delegates.{name}"] == (certified.county_delegates or {}).get(name, 0)
    assert values["attendees"] == certified.attendees
    assert "delegates_to_elect" not in values  # printed on a regular precinct's sheet
    assert certified.delegates_to_elect == precinct.delegates_to_elect
    assert values["viability_threshold"] == written_threshold(
        rules_of(iowa), certified.attendees, precinct.delegates_to_elect or 0
    )
    assert truth["numbers"]["ticks"] == list(units["POLK-ANK-01"][1].ticks)
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
            assert truth["precinct"] is None and truth["numbers"] is None and not found
        elif kind == "glare":
            assert truth["conditions"]["glare_centre"]
            assert (decode(jpeg) >= 250).mean() > 0.01, "a saturated patch"


def test_zero_counts_are_left_blank(renderer: WorksheetRenderer, units: dict) -> None:
    bank = DigitBank.load(DIGITS, "evaluate")
    _, truth = make_photo(job(units, "POLK-ANK-01"), config(), renderer, bank)
    values = units["POLK-ANK-01"][1].values
    empty_rows = [c for c in IOWA_ROWS if values[f"first.{c}"] == 0 == values[f"final.{c}"]]
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
def test_viability_threshold_rule(
    iowa: Election, attendees: int, delegates: int, threshold: int
) -> None:
    assert written_threshold(rules_of(iowa), attendees, delegates) == threshold


@pytest.fixture(scope="module")
def general() -> Election:
    return build_general(general_data_dir(FIXTURES))


def test_results_sheet_photo_writes_every_number_zeros_too(general: Election) -> None:
    units = units_for(general, FIXTURES)
    assert len(units) == len(general.precincts)
    precinct, numbers = next(u for u in units if 0 in u[1].values.values())
    renderer = WorksheetRenderer(build_layout(general), general)
    bank = DigitBank.load(DIGITS, "evaluate")
    jpeg, truth = make_photo(PhotoJob(0, precinct, numbers, "good"), config(), renderer, bank)
    assert sorted(markers(decode(jpeg))) == [0, 1, 2, 3]
    assert truth["form"] == "ws-iowa-2020-general-v1" and truth["precinct"] == precinct.id
    assert truth["numbers"]["values"] == numbers.values
    assert sorted(truth["fields"]) == sorted(f.key for f in renderer.layout.fields)
    for key, value in numbers.values.items():
        field = truth["fields"][key]
        assert field["value"] == value and field["text"] == str(value), key


def test_a_row_is_in_use_by_its_members_not_by_delegates_handed_out(iowa: Election) -> None:
    spec = CAUCUS_WORKSHEET
    values = {
        "attendees": 5,
        "first.A": 0,
        "final.A": 0,
        "county_delegates.A": 1,
        "first.B": 0,
        "final.B": 5,
        "county_delegates.B": 0,
    }
    assert rows_in_use(spec, values) == {"B"}
    assert always_written(spec, "attendees") and not always_written(spec, "first.B")
    assert always_written(PRECINCT_RESULTS, "absentee.Write-in")
    assert always_written(PRECINCT_RESULTS, "total")


def test_sheet_numbers_files_fill_any_form(general: Election, tmp_path: Path) -> None:
    precinct = general.precincts[3]
    good = {"precinct": precinct.id, "values": {"election_day.Write-in": 2, "total": 9}}
    path = tmp_path / "sheets.jsonl"
    path.write_text(json.dumps(good) + "\n")
    [(found, numbers)] = file_units(path, general)
    assert found == precinct and numbers.values == good["values"]
    for bad, words in (
        ({"first.Write-in": 2}, "not a number on"),
        ({"total": 12345}, "does not fit"),
    ):
        path.write_text(json.dumps({"precinct": precinct.id, "values": bad}) + "\n")
        with pytest.raises(InputError, match=words):
            file_units(path, general)
    path.write_text(json.dumps({"precinct": precinct.id, "attendees": 3}) + "\n")
    with pytest.raises(InputError, match="SheetNumbers records"):
        file_units(path, general)


def test_caucus_files_take_tallies_or_sheet_numbers(iowa: Election, tmp_path: Path) -> None:
    path = tmp_path / "tallies.jsonl"
    tally = {"precinct": "POLK-ANK-01", "attendees": 40, "first": {"Sanders": 40}}
    sheet = {"precinct": "POLK-ANK-02", "values": {"attendees": 7, "first.Biden": 7}}
    path.write_text(json.dumps(tally) + "\n" + json.dumps(sheet) + "\n")
    (_, from_tally), (_, as_written) = file_units(path, iowa)
    assert from_tally.values["first.Sanders"] == 40 and from_tally.values["viability_threshold"]
    assert as_written.values == sheet["values"]
    path.write_text(json.dumps({**sheet, "values": {"delegates_to_elect": 4}}) + "\n")
    with pytest.raises(InputError, match="not a number on POLK-ANK-02"):
        file_units(path, iowa)
