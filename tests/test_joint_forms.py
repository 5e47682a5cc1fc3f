"""The joint sheet model on the precinct results sheet: the form's identities as a tree,
checked against brute-force enumeration, and what the sums do to a shaky count."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from canvass.forms.results_sheet import PRECINCT_RESULTS
from canvass.forms.spec import Identity
from canvass.model import FieldReading
from ocr.verify import value_distribution
from reconcile.joint import SheetModel, SheetOdds, support_sheet

LINES = ("X", "Y")


def reading(boxes: tuple[tuple[float, ...], ...]) -> FieldReading:
    return FieldReading(value=None, confidence=0.5, status="uncertain", boxes=boxes)


def few_values(rng: np.random.Generator) -> tuple[tuple[float, ...], ...]:
    """One box whose probability sits on three random digits and a little lost mass."""
    row = np.zeros(11)
    row[rng.choice(np.arange(1, 11), 3, replace=False)] = rng.dirichlet(np.ones(3)) * 0.97
    return (tuple(float(p) for p in row),)


def brute_force(
    fields: dict[str, FieldReading], identities: list[Identity], odds: float
) -> dict[str, np.ndarray]:
    """Marginals by enumerating every combination of the fields' possible values."""
    keys = list(fields)
    dists = {k: value_distribution(fields[k].boxes) for k in keys}
    states = {
        k: [(v, p) for v, p in enumerate(d) if p > 0] + [(None, 1 - d.sum())]
        for k, d in dists.items()
    }
    margins = {k: np.zeros(len(dists[k])) for k in keys}
    z = 0.0
    for combo in itertools.product(*(states[k] for k in keys)):
        values = dict(zip(keys, (v for v, _ in combo), strict=True))
        w = float(np.prod([p for _, p in combo]))
        for i in identities:
            known = {k: v for k in (*i.parts, i.total) if k and (v := values[k]) is not None}
            w *= 1 + odds * bool(i.holds(known))
        z += w
        for k in keys:
            if values[k] is not None:
                margins[k][values[k]] += w
    return {k: v / z for k, v in margins.items()}


def test_the_sheet_sums_form_a_tree_and_the_loop_closing_ones_are_left_out() -> None:
    identities = PRECINCT_RESULTS.identities(LINES)
    codes = [i.name for i in identities]
    assert codes[:3] == [
        "LINE_TOTAL_MISMATCH:X",
        "LINE_TOTAL_MISMATCH:Y",
        "LINE_TOTAL_MISMATCH:Totals",
    ]
    assert [i.total for i in identities[3:]] == ["total", "election_day", "absentee"]


@pytest.mark.parametrize("seed", [1, 2])
def test_marginals_equal_brute_force_on_the_tree_of_identities(seed: int) -> None:
    rng = np.random.default_rng(seed)
    identities = PRECINCT_RESULTS.identities(LINES)
    fields = {k: reading(few_values(rng)) for k in PRECINCT_RESULTS.number_keys(LINES)}
    got = support_sheet(fields, SheetModel(tuple(identities)), SheetOdds(5.0))
    tree = identities[:4]  # the three line sums and the total column's; the others close loops
    want = brute_force(fields, tree, 5.0)
    for key, vector in want.items():
        marginal = got.marginal(key)
        assert marginal is not None
        np.testing.assert_allclose(marginal, vector, rtol=1e-9, atol=1e-12, err_msg=key)


def sure(digits: int, p: float = 0.9995) -> tuple[tuple[float, ...], ...]:
    out = []
    for ch in f"{digits:04d}":
        row = [(1 - p) / 10] * 11
        row[int(ch) + 1] = p
        out.append(tuple(row))
    return tuple(out)


def test_a_shaky_absentee_count_is_confirmed_by_its_line_total() -> None:
    numbers = {
        "election_day.X": 384,
        "absentee.X": 244,
        "total.X": 628,
        "election_day.Y": 90,
        "absentee.Y": 125,
        "total.Y": 215,
        "election_day": 474,
        "absentee": 369,
        "total": 843,
    }
    fields = {k: reading(sure(v)) for k, v in numbers.items()}
    shaky = list(sure(244))
    shaky[3] = (0.0, 0.0, 0.0, 0.0, 0.0, 0.93, 0.07, 0.0, 0.0, 0.0, 0.0)  # a 4, or a 5
    fields["absentee.X"] = reading(tuple(shaky))
    model = SheetModel(tuple(PRECINCT_RESULTS.identities(LINES)))
    joint = support_sheet(fields, model)
    assert joint.support("absentee.X", 244) > 0.999
    assert joint.best_other("absentee.X", 244)[1] < 1e-3
