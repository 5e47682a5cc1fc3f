"""The marker search in windows finds the sheet's four markers exactly where ArUco's search
of the whole detection copy finds them, bit for bit, on every committed photo (good ones,
full-size ones, and the refused kinds, which fall back to the whole search); a marker the
half-size pass cannot see sends the photo to the whole search rather than guessing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ocr.markers import find_markers, search
from ocr.page import CORNER_NAMES, decode_photo, detection_copy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"
PHOTOS = sorted(FIXTURES.glob("*/photo-*.jpg"))
EXPECTED = set(range(len(CORNER_NAMES)))


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_windows_find_the_corners_the_whole_search_finds(path: Path) -> None:
    small = detection_copy(decode_photo(path.read_bytes()))
    whole, windows = search(small), find_markers(small, EXPECTED)
    assert {k for k in whole if k in EXPECTED} == set(windows) & EXPECTED
    for marker in EXPECTED & set(whole):
        assert np.array_equal(whole[marker], windows[marker]), marker


def test_a_marker_hidden_from_the_half_size_pass_falls_back_to_the_whole_search() -> None:
    small = detection_copy(decode_photo(next(p for p in PHOTOS if "full" in str(p)).read_bytes()))
    whole = search(small)
    assert set(whole) >= EXPECTED
    # a marker id the sheet does not carry is never found in a window: the whole search
    # answers, so the sheet's own four come back as it gives them
    asked = EXPECTED | {49}
    found = find_markers(small, asked)
    assert set(found) == set(whole)
    for marker in whole:
        assert np.array_equal(whole[marker], found[marker])
