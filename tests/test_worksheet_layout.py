"""The worksheet form as data: every field there, nothing overlapping, markers at corners;
for the caucus worksheet and the general election's precinct results sheet. The caucus
sheet is pinned byte for byte (`test_caucus_layout_is_pinned`)."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json

import pytest

from canvass.elections.iowa2020 import CANDIDATES, build_iowa2020
from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.errors import InputError
from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import County, Election, Precinct
from canvass.settings import BUILTIN_DATA, Settings
from canvass.worksheet.layout import (
    MARKER_SIZE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    Box,
    WorksheetLayout,
    build_layout,
)


@pytest.fixture(scope="module")
def iowa() -> Election:
    return build_iowa2020(Settings().fixtures_dir / "iowa2020")


@pytest.fixture(scope="module")
def layout(iowa: Election) -> WorksheetLayout:
    return build_layout(iowa)


@pytest.fixture(scope="module")
def general() -> Election:
    return build_general(general_data_dir(BUILTIN_DATA))


@pytest.fixture(scope="module")
def results_layout(general: Election) -> WorksheetLayout:
    return build_layout(general)


def tiny_election(candidates: int) -> Election:
    return Election(
        id="tiny-2024",
        name="Tiny",
        rule_set="iowa-dem-2020",
        candidates=tuple(f"Candidate{i}" for i in range(candidates)),
        counties=(County(name="Here"),),
        precincts=(Precinct(id="HERE-1", county="Here", name="One", delegates_to_elect=3),),
    )


def all_boxes(layout: WorksheetLayout) -> list[tuple[str, Box]]:
    named = [(f.key, b) for f in layout.combs for b in f.boxes]
    named += [(c.key, c.boxes[0]) for c in layout.checkboxes]
    named += [("qr", layout.qr)] + [(f"marker {m.id}", m.box) for m in layout.markers]
    return named


def test_every_field_key_for_every_candidate(layout: WorksheetLayout) -> None:
    keys = [f.key for f in layout.fields]
    expected = ["attendees", "viability_threshold"]
    for name in CANDIDATES:
        expected += [f"first.{name}", f"final.{name}", f"county_delegates.{name}"]
    assert keys == expected
    assert layout.form == "ws-iowa-dem-2020-v1"
    widths = {k.split(".")[0]: len(layout.field(k).boxes) for k in keys}
    assert widths == {
        "attendees": 4,
        "viability_threshold": 3,
        "first": 4,
        "final": 4,
        "county_delegates": 2,
    }


def test_candidate_rows_run_down_the_page_in_ballot_order(layout: WorksheetLayout) -> None:
    tops = [layout.field(f"first.{name}").boxes[0].y for name in CANDIDATES]
    assert tops == sorted(tops)
    for name in CANDIDATES:
        row = {
            layout.field(f"{g}.{name}").boxes[0].y for g in ("first", "final", "county_delegates")
        }
        assert len(row) == 1


@pytest.mark.parametrize("form", ["caucus", "results"])
def test_boxes_are_hand_sized_inside_the_page_and_do_not_overlap(
    form: str, layout: WorksheetLayout, results_layout: WorksheetLayout
) -> None:
    layout = layout if form == "caucus" else results_layout
    boxes = all_boxes(layout)
    for key, box in boxes:
        assert 0 <= box.x <= box.x + box.w <= PAGE_WIDTH, key
        assert 0 <= box.y <= box.y + box.h <= PAGE_HEIGHT, key
    for f in layout.fields:
        assert all(b.w == b.h == 90 for b in f.boxes), f.key
        xs = [b.x for b in f.boxes]
        assert xs == sorted(xs), f"{f.key}: boxes run left to right"
    for (k1, b1), (k2, b2) in itertools.combinations(boxes, 2):
        assert not b1.overlaps(b2), f"{k1} overlaps {k2}"


@pytest.mark.parametrize("form", ["caucus", "results"])
def test_markers_sit_at_the_corners_with_a_quiet_zone(
    form: str, layout: WorksheetLayout, results_layout: WorksheetLayout
) -> None:
    layout = layout if form == "caucus" else results_layout
    assert [m.id for m in layout.markers] == [0, 1, 2, 3]
    corners = [(0, 0), (PAGE_WIDTH, 0), (PAGE_WIDTH, PAGE_HEIGHT), (0, PAGE_HEIGHT)]
    for marker, (cx, cy) in zip(layout.markers, corners, strict=True):
        x, y = marker.corners[0]
        assert marker.corners[2] == (x + MARKER_SIZE, y + MARKER_SIZE)
        centre = (x + MARKER_SIZE / 2, y + MARKER_SIZE / 2)
        assert abs(centre[0] - cx) < 200 and abs(centre[1] - cy) < 200
    quiet = 40
    for marker in layout.markers:
        m = marker.box
        zone = Box(m.x - quiet, m.y - quiet, m.w + 2 * quiet, m.h + 2 * quiet)
        for key, box in all_boxes(layout):
            if key != f"marker {marker.id}":
                assert not zone.overlaps(box), f"{key} is in marker {marker.id}'s quiet zone"


def test_contract_json_has_section_5_shape(layout: WorksheetLayout) -> None:
    contract = layout.to_contract()
    assert contract["page"] == {"width": 2550, "height": 3300}
    assert {"form", "page", "markers", "fields"} <= set(contract)
    assert len(contract["markers"]) == 4
    assert all(len(m["corners"]) == 4 for m in contract["markers"])
    assert contract["fields"]["first.Sanders"]["boxes"][0] == [
        *layout.field("first.Sanders").boxes[0].as_list()
    ]
    assert len(contract["fields"]) == 2 + 3 * len(CANDIDATES)


def test_layout_follows_the_election_candidates() -> None:
    small = build_layout(tiny_election(3))
    assert [f.key for f in small.fields][2:5] == [
        "first.Candidate0",
        "final.Candidate0",
        "county_delegates.Candidate0",
    ]
    assert small.form == "ws-tiny-2024-v1"
    crowded = build_layout(tiny_election(18))
    assert all(b.w >= 60 for f in crowded.fields for b in f.boxes)
    with pytest.raises(InputError, match="do not fit"):
        build_layout(tiny_election(40))


# The caucus sheet must not move: printed sheets, the reader's calibration and the demo's
# photos depend on it. After a deliberate change to the caucus layout, regenerate with
#   .venv/bin/python -c "import hashlib, json; from tests.test_worksheet_layout import *; \
#   print(layout_digests(build_iowa2020(BUILTIN_DATA / 'iowa2020')))"
# and say in the commit why the printed caucus sheet changed.
CAUCUS_DIGESTS = {
    "contract": "6c78f7d592bd4ac20393dfa7edde0cec2341d02f1722a159d4003c8d4d0d6fda",
    "texts": "5a9a29dc3b30a73fc471dabf04cd5b27ec86860fa2ecf71a5864f3deddf0b469",
    "lines": "dcc69361ac019a2dbfe5452cf47963eaee93af98a2d7b221a1fa1aa25d597ed9",
}


def layout_digests(election: Election) -> dict[str, str]:
    """sha256 of the layout's contract JSON, of its texts and of its lines."""
    layout = build_layout(election)

    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    return {
        "contract": digest(json.dumps(layout.to_contract(), sort_keys=True)),
        "texts": digest(repr([dataclasses.astuple(t) for t in layout.texts])),
        "lines": digest(repr([dataclasses.astuple(line) for line in layout.lines])),
    }


def test_caucus_layout_is_pinned(iowa: Election) -> None:
    assert layout_digests(iowa) == CAUCUS_DIGESTS


def test_results_sheet_has_every_key_of_its_form(
    general: Election, results_layout: WorksheetLayout
) -> None:
    spec = form_of(general)
    keys = [f.key for f in results_layout.fields]
    assert sorted(keys) == sorted(spec.number_keys(general.candidates))
    rows = [*general.candidates, None]
    assert keys == [key_of(c.name, r) for r in rows for c in spec.columns]
    assert not results_layout.satellite_fields and not results_layout.checkboxes
    assert results_layout.delegates_to_elect.boxes == ()
    assert results_layout.form == "ws-iowa-2020-general-v1"
    assert all(len(f.boxes) == 4 and f.boxes[0].w == 90 for f in results_layout.fields)
    contract = results_layout.to_contract()
    assert contract["satellite_fields"] == {} and contract["checkboxes"] == {}
    assert len(contract["fields"]) == 3 * (len(general.candidates) + 1)


def test_results_sheet_totals_row_closes_the_table(
    general: Election, results_layout: WorksheetLayout
) -> None:
    spec = form_of(general)
    last = general.candidates[-1]
    for column in spec.columns:
        totals = results_layout.field(key_of(column.name)).boxes[0]
        above = results_layout.field(key_of(column.name, last)).boxes[0]
        assert (totals.x, totals.w) == (above.x, above.w) and totals.y > above.y
    label = next(t for t in results_layout.texts if t.text == spec.totals_row)
    assert label.bold and label.y == results_layout.field("total").boxes[0].y + 45
    heavy = [line for line in results_layout.lines if line.width > 3]
    assert len(heavy) == 1 and above.y + 90 < heavy[0].y0 < totals.y


def test_results_sheet_names_fit_left_of_the_first_column(
    general: Election, results_layout: WorksheetLayout
) -> None:
    names = [t for t in results_layout.texts if t.text in general.candidates]
    assert [t.text for t in names] == list(general.candidates)
    first = min(c.x for c in form_of(general).columns)
    assert all(t.max_width is not None and t.x + t.max_width < first for t in names)
    headings = {t.text for t in results_layout.texts if t.y in (1015, 1050)}
    assert {"Ballot line", "Election", "day", "Absentee", "Total", "votes"} <= headings
    assert not any("{delegates}" in t.text for t in results_layout.texts)
