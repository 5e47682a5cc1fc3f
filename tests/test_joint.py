"""The sheet's sums as evidence: exact marginals (checked by brute force on small sheets) and
what they do to a reading a reviewer would also settle from the rest of the sheet."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from canvass.forms.caucus import CAUCUS_WORKSHEET
from canvass.forms.rules import rule_set
from canvass.model import FieldReading
from ocr.verify import support_for, value_distribution
from reconcile.joint import Relation, SheetModel, SheetOdds, support_sheet

CANDIDATES = ("A", "B", "C")
RULES = rule_set("iowa-dem-2020")


def SheetFacts(candidates: tuple[str, ...], delegates: int | None, rules: object) -> SheetModel:
    """The caucus sheet's model for a precinct electing `delegates` (None: a satellite)."""
    identities = CAUCUS_WORKSHEET.identities(candidates, {"delegates_to_elect": delegates})
    if not delegates:
        return SheetModel(tuple(identities))
    elect = delegates

    def accepted(a: int) -> frozenset[int]:
        return RULES.viability(a, elect).accepted if a > 0 else frozenset()

    threshold = Relation("attendees", "viability_threshold", "THRESHOLD_MISMATCH", accepted)
    return SheetModel(tuple(identities), (threshold,))


def boxes_of(rng: np.random.Generator, n: int, lost: float = 0.05) -> tuple[tuple[float, ...], ...]:
    """Random per-box probabilities (blank, 0-9) summing to 1 - lost."""
    rows = rng.dirichlet(np.full(11, 0.3), size=n) * (1.0 - lost)
    return tuple(tuple(float(p) for p in row) for row in rows)


def reading(boxes: tuple[tuple[float, ...], ...]) -> FieldReading:
    return FieldReading(value=None, confidence=0.5, status="uncertain", boxes=boxes)


def sure(*digits: int | None, p: float = 0.999) -> tuple[tuple[float, ...], ...]:
    """Boxes that show `digits` (None = blank) with probability `p` each."""
    out = []
    for d in digits:
        row = [(1.0 - p) / 10] * 11
        row[0 if d is None else d + 1] = p
        out.append(tuple(row))
    return tuple(out)


def with_rest(v: np.ndarray) -> np.ndarray:
    """A value distribution with its missing mass as one more state, "no number"."""
    return np.append(v, 1.0 - v.sum())


def brute_force(
    fields: dict[str, FieldReading], delegates: int, odds: SheetOdds
) -> dict[str, np.ndarray]:
    """Marginals by enumerating every combination of the first-alignment group."""
    names = [f"first.{c}" for c in CANDIDATES]
    xs = [with_rest(value_distribution(fields[k].boxes)) for k in names]
    a = with_rest(value_distribution(fields["attendees"].boxes))
    t = with_rest(value_distribution(fields["viability_threshold"].boxes))
    none_x, none_a, none_t = len(xs[0]) - 1, len(a) - 1, len(t) - 1
    margins = {k: np.zeros(len(x)) for k, x in zip(names, xs, strict=True)}
    margins["attendees"] = np.zeros(len(a))
    margins["viability_threshold"] = np.zeros(len(t))
    for combo in itertools.product(*(range(len(x)) for x in xs)):
        px = np.prod([x[i] for x, i in zip(xs, combo, strict=True)])
        total = None if none_x in combo else sum(combo)
        for ai in range(len(a)):
            sums = total is not None and ai != none_a and total == ai
            accepted = RULES.viability(ai, delegates).accepted if 0 < ai != none_a else frozenset()
            sure_t = np.array([ti in accepted and ti != none_t for ti in range(len(t))])
            w = (
                px
                * a[ai]
                * (1 + odds.of("FIRST_TOTAL_MISMATCH") * sums)
                * t
                * (1 + odds.of("THRESHOLD_MISMATCH") * sure_t)
            )
            for k, i in zip(names, combo, strict=True):
                margins[k][i] += w.sum()
            margins["attendees"][ai] += w.sum()
            margins["viability_threshold"] += w
    z = margins["attendees"].sum()
    return {k: v[:-1] / z for k, v in margins.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_marginals_equal_brute_force_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    fields = {f"first.{c}": reading(boxes_of(rng, 1)) for c in CANDIDATES}
    fields["attendees"] = reading(boxes_of(rng, 2))
    fields["viability_threshold"] = reading(boxes_of(rng, 1))
    odds = SheetOdds(
        by_code=(
            ("FIRST_TOTAL_MISMATCH", 30.0),
            ("THRESHOLD_MISMATCH", 7.0),
            ("DELEGATE_TOTAL_MISMATCH", 1.0),
        )
    )
    got = support_sheet(fields, SheetFacts(CANDIDATES, 4, RULES), odds)
    want = brute_force(fields, 4, odds)
    for key, vector in want.items():
        marginal = got.marginal(key)
        assert marginal is not None
        np.testing.assert_allclose(marginal, vector, rtol=1e-9, atol=1e-12, err_msg=key)


def first_sheet(first: dict[str, tuple[tuple[float, ...], ...]]) -> dict[str, FieldReading]:
    fields = {f"first.{c}": reading(first[c]) for c in CANDIDATES}
    fields["attendees"] = reading(sure(None, 2, 7))  # 27
    return fields


def test_a_nearly_sure_count_is_confirmed_when_the_sheet_adds_up() -> None:
    shaky_five = ((0.0005,) * 6 + (0.97,) + (0.0045,) * 4,)  # blank, 0..4, "5", 6..9
    fields = first_sheet({"A": sure(1, 2), "B": sure(1, 0), "C": shaky_five})
    facts = SheetFacts(CANDIDATES, 0, RULES)
    alone = support_for(fields["first.C"], 5).probability
    joint = support_sheet(fields, facts)
    assert alone < 0.999 < joint.support("first.C", 5)
    assert joint.best_other("first.C", 5)[1] < 1e-3


def test_a_value_that_breaks_the_sum_needs_a_much_clearer_image() -> None:
    five_or_six = ((0.0,) * 6 + (0.6, 0.4) + (0.0,) * 3,)  # blank, 0..4, "5" 0.6, "6" 0.4
    fields = first_sheet({"A": sure(1, 2), "B": sure(1, 0), "C": five_or_six})
    joint = support_sheet(fields, SheetFacts(CANDIDATES, 0, RULES))
    assert joint.support("first.C", 6) < 0.4 / 50  # 12 + 10 + 6 is not 27
    assert joint.support("first.C", 5) > 0.99


def test_a_sheet_whose_sum_is_wrong_on_paper_is_not_read_into_another_value() -> None:
    """The paper says 12 + 10 + 4 with 27 attending (a math finding): the sure 4 stays the
    reading (less sure than its image alone, so a person sees it with the finding)."""
    fields = first_sheet({"A": sure(1, 2), "B": sure(1, 0), "C": sure(4)})
    joint = support_sheet(fields, SheetFacts(CANDIDATES, 0, RULES))
    assert 0.9 < joint.support("first.C", 4) < 0.999
    best, p = joint.best_other("first.C", 4)
    assert best == 5 and 0.05 < p < 0.1  # 1e-4 in the image, 1,000 times likelier by the sum


def test_county_delegates_add_up_to_the_delegates_elected() -> None:
    shaky_two = ((0.001, 0.001, 0.001, 0.95) + (0.0047,) * 8,)
    fields = {
        "county_delegates.A": reading(sure(3)),
        "county_delegates.B": reading(sure(0)),
        "county_delegates.C": reading(shaky_two),
    }
    joint = support_sheet(fields, SheetFacts(CANDIDATES, 5, RULES))
    assert support_for(fields["county_delegates.C"], 2).probability < 0.999
    assert joint.support("county_delegates.C", 2) > 0.999
    satellite = support_sheet(fields, SheetFacts(CANDIDATES, None, RULES))
    assert satellite.support("county_delegates.C", 2) == pytest.approx(0.95, abs=0.01)


def test_a_missing_field_leaves_the_others_to_their_images() -> None:
    shaky_five = ((0.0005,) * 6 + (0.97,) + (0.0045,) * 4,)
    fields = first_sheet({"A": sure(1, 2), "B": sure(1, 0), "C": shaky_five})
    del fields["first.B"]
    joint = support_sheet(fields, SheetFacts(CANDIDATES, 0, RULES))
    assert joint.support("first.C", 5) == pytest.approx(0.97)
    assert joint.support("first.B", 10) == 0.0


def test_a_value_a_person_keyed_is_certain() -> None:
    fields = first_sheet({"A": sure(1, 2), "B": sure(1, 0), "C": sure(7, p=0.3)})
    facts = SheetFacts(CANDIDATES, 0, RULES)
    assert support_sheet(fields, facts, known={"first.C": 5}).support(
        "first.C", 5
    ) == pytest.approx(1.0)
    assert support_sheet(fields, facts, known={"first.C": 5}).support("first.C", 7) == 0.0
