"""The read benchmark's arithmetic: bounds, the wrong values tried by kind, and bands fitted
on one population measured on another (on small hand-made samples; the benchmark itself is
`python -m bench.read`)."""

from __future__ import annotations

import pytest

from bench.read_report import cross_calibration, verification_figures
from bench.read_results import FieldSample, PhotoResult
from bench.read_stats import upper_bound
from bench.read_wrong import CLASSIC, KINDS, Neighbours, neighbours_of, wrong_values


def test_the_bound_is_the_exact_one_sided_95_percent_bound() -> None:
    assert upper_bound(2, 57_639) == pytest.approx(1.09e-4, rel=0.01)  # the figure
    assert upper_bound(0, 30_000) <= 1e-4 < upper_bound(0, 29_000)
    assert upper_bound(2, 63_000) <= 1e-4
    assert upper_bound(5, 10) == pytest.approx(0.7776, abs=1e-3)
    assert upper_bound(0, 0) == 1.0 and upper_bound(3, 3) == 1.0


def test_sirekaps_misreads_are_among_the_wrong_values() -> None:
    kinds = wrong_values(25, 3, Neighbours(rows=(31, 25), columns=(7,)))
    assert "leading digit inserted" in kinds[825]  # Sirekap: 25 published as 825
    assert "digit doubled" in kinds[225] and "digit doubled" in kinds[255]
    assert kinds[31] == ["neighbouring row"] and kinds[7] == ["neighbouring column"]
    assert 25 not in kinds  # a neighbour with the same number is no wrong value
    assert "leading digit inserted" in wrong_values(58, 3, Neighbours())[958]
    assert all(len(str(v)) <= 3 for v in wrong_values(117, 3, Neighbours()))  # fits the boxes


def test_the_classic_kinds_are_the_ones_measured_before() -> None:
    kinds = wrong_values(59, 3, Neighbours())
    classic = {v for v, k in kinds.items() if any(c in CLASSIC for c in k)}
    assert classic == {60, 58, 9, 39, 57, 95}  # off by one, dropped, 5->3, 9->7, swapped
    assert wrong_values(0, 3, Neighbours()) == {1: ["off by one"], 6: ["confusable digit"]}


def sample(key: str, truth: int, rows: list[list[float]] | None = None) -> FieldSample:
    return FieldSample("p.jpg", key, truth, rows or [[1.0] + [0.0] * 10] * 3)


def test_neighbours_are_the_same_column_above_and_below_and_the_same_row_beside() -> None:
    fields = [
        sample("attendees", 40),
        sample("viability_threshold", 6),
        sample("first.A", 10),
        sample("final.A", 12),
        sample("first.B", 30),
        sample("final.B", 28),
    ]
    beside = neighbours_of(fields)
    assert beside["final.A"] == Neighbours(rows=(28,), columns=(10,))
    assert beside["first.B"] == Neighbours(rows=(10,), columns=(28,))
    assert beside["attendees"] == Neighbours(rows=(), columns=(6,))


def digit_row(digit: int, p: float) -> list[float]:
    row = [0.0] * 11
    row[digit + 1] = p
    return row


def photo(fields: list[FieldSample]) -> PhotoResult:
    return PhotoResult("p.jpg", "good", "read", None, True, 0.1, fields, "X")


def test_a_wrong_value_the_image_supports_is_counted_in_each_of_its_kinds() -> None:
    blank = [1.0] + [0.0] * 10
    # the image says 225 surely: a report of 225 for a true 25 is "digit doubled"
    field = sample("first.A", 25, [digit_row(2, 1.0), digit_row(2, 1.0), digit_row(5, 1.0)])
    other = sample("final.A", 0, [blank] * 3)
    figures = verification_figures([photo([field, other])], 0.999)
    assert figures["all_wrong_verified"] == 1
    assert figures["by_kind"]["digit doubled"] == {
        "tried": 2,
        "verified": 1,
        "bound": pytest.approx(upper_bound(1, 2)),
    }
    assert figures["wrong_verified"] == 0  # not one of the classic kinds
    assert set(figures["by_kind"]) == set(KINDS)
    assert figures["verified_examples"][0]["value"] == 225


def test_bands_fitted_on_one_population_are_measured_on_the_other() -> None:
    blank = [1.0] + [0.0] * 10
    sure_seven = sample("first.A", 7, [blank, blank, digit_row(7, 1.0)])
    # writers of the second population draw a 9 the model reads as 3 at 0.9999
    nine_as_three = sample("first.A", 9, [blank, blank, digit_row(3, 0.9999)])
    first = ([photo([sure_seven])], [photo([sure_seven])])
    second = ([photo([nine_as_three])], [photo([nine_as_three])])
    rows = cross_calibration({"MNIST": first, "Semeion": second})
    got = {(r["fitted_on"], r["measured_on"]): r for r in rows}
    assert got["MNIST", "Semeion"]["silent_errors"] == 1  # fitted on MNIST: passes the 3
    assert got["Semeion", "Semeion"]["silent_errors"] == 0  # its own calibration sees it
    assert got["all", "MNIST"]["silent_errors"] == 0
    assert got["MNIST", "Semeion"]["silent_error_bound"] == 1.0


def test_a_higher_clearing_threshold_refuses_a_wrong_value_the_lower_one_clears() -> None:
    from bench.read_report import THRESHOLD_GRID, threshold_grid

    blank = [1.0] + [0.0] * 10
    # a 9 the model takes for a 7 at 0.9995: cleared at 0.999 as 7, not at 0.9999
    field = sample("first.A", 9, [blank, blank, digit_row(7, 0.9995)])
    rows = {r["threshold"]: r for r in threshold_grid([photo([field])])}
    assert set(rows) == set(THRESHOLD_GRID)
    assert rows[0.999]["wrong_verified"] == 1 and rows[0.9999]["wrong_verified"] == 0
    assert rows[0.999]["true_verified_rate"] == 0.0
