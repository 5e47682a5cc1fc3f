"""The worksheet form as data: every field there, nothing overlapping, markers at corners."""

from __future__ import annotations

import itertools

import pytest

from canvass.elections.iowa2020 import CANDIDATES, build_iowa2020
from canvass.errors import InputError
from canvass.model import County, Election, Precinct
from canvass.settings import Settings
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
    named = [(f.key, b) for f in layout.fields for b in f.boxes]
    named += [(layout.delegates_to_elect.key, b) for b in layout.delegates_to_elect.boxes]
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


def test_boxes_are_hand_sized_inside_the_page_and_do_not_overlap(layout: WorksheetLayout) -> None:
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


def test_markers_sit_at_the_corners_with_a_quiet_zone(layout: WorksheetLayout) -> None:
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
