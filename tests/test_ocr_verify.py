"""Verification of a reported value against a field's per-box probabilities."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canvass.model import FieldReading
from ocr.verify import support_for, value_probability, well_formed_mass


def box(blank: float = 0.0, **digits: float) -> tuple[float, ...]:
    probs = [blank] + [digits.get(f"d{d}", 0.0) for d in range(10)]
    rest = 1.0 - sum(probs)
    spread = [p + rest / 11 for p in probs]
    return tuple(spread)


def field(*boxes: tuple[float, ...]) -> FieldReading:
    return FieldReading(value=None, confidence=0.5, status="uncertain", boxes=boxes)


def test_a_clear_reading_supports_its_value_and_not_a_neighbour() -> None:
    f = field(box(blank=0.999), box(d2=0.999), box(d1=0.999), box(d5=0.999))
    assert support_for(f, 215).probability > 0.99
    assert support_for(f, 216).probability < 1e-3
    assert support_for(f, 251).probability < 1e-5  # transposed digits
    assert support_for(f, 215).best_alternative is not None


def test_an_ambiguous_digit_supports_neither_value_strongly() -> None:
    f = field(box(blank=0.999), box(d7=0.5, d9=0.49))
    assert 0.4 < support_for(f, 7).probability < 0.6
    assert 0.4 < support_for(f, 9).probability < 0.6
    assert support_for(f, 7).best_alternative == 9


def test_zero_may_be_written_as_blank_or_as_a_zero() -> None:
    blank = field(box(blank=0.999), box(blank=0.999))
    written = field(box(blank=0.999), box(d0=0.999))
    assert support_for(blank, 0).probability > 0.99
    assert support_for(written, 0).probability > 0.99


def test_values_too_long_for_the_boxes_have_no_support() -> None:
    f = field(box(d1=0.9), box(d2=0.9))
    assert value_probability(f.boxes, 123) == 0.0
    assert support_for(f, 123).probability == 0.0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(0.01, 1.0), min_size=11, max_size=11).map(
            lambda xs: tuple(x / sum(xs) for x in xs)
        ),
        min_size=1,
        max_size=3,
    )
)
def test_supports_of_all_values_sum_to_one(boxes: list[tuple[float, ...]]) -> None:
    """Every well-formed writing is some value: summing over values (minus the double-
    counted all-blank / zeros cases handled in value_probability) gives the whole mass."""
    n = len(boxes)
    total = sum(value_probability(boxes, v) for v in range(10**n))
    # all-blank is counted once in value 0; writings with leading zeros are counted in
    # their value; so the sum equals the mass of all well-formed writings.
    assert total == pytest.approx(well_formed_mass(boxes), rel=1e-9)
    brute = 0.0
    for combo in itertools.product(range(11), repeat=n):
        started = False
        ok = True
        for k in combo:
            if k == 0 and started:
                ok = False
            started = started or k != 0
        if ok:
            p = 1.0
            for b, k in zip(boxes, combo, strict=True):
                p *= b[k]
            brute += p
    assert well_formed_mass(boxes) == pytest.approx(brute, rel=1e-9)


def test_mass_on_no_clean_digit_counts_against_every_value() -> None:
    """A crossed-out box: 0.6 of its probability is "not one digit", 0.4 on a 7."""
    crossed = (0.0, *(0.4 if d == 7 else 0.0 for d in range(10)))
    f = field(box(blank=0.999), crossed)
    support = support_for(f, 7)
    assert support.probability < 0.5


def digit_box(digit: int, p: float) -> list[float]:
    row = [0.0] * 11
    row[digit + 1] = p
    return row


def test_a_field_keeps_the_resolution_that_parts_a_doubtful_digit_from_a_sure_one() -> None:
    """Rounded to six places, a box at 1 - 1e-7 and one at 1 - 1e-11 were both 1.0 and
    no band could part them (issue 20)."""
    import numpy as np

    from ocr.assemble import Bands, assemble_field

    bands = Bands(ok=1 - 1e-9)
    blank = [1.0] + [0.0] * 10
    doubtful = assemble_field(np.array([blank, digit_box(7, 1 - 1e-7)]), bands)
    sure = assemble_field(np.array([blank, digit_box(7, 1 - 1e-11)]), bands)
    assert doubtful.status == "uncertain" and sure.status == "ok"


def test_no_written_field_comes_out_certain() -> None:
    """A box the network calls certain (a shape it never saw can be) keeps some doubt."""
    import numpy as np

    from ocr.assemble import DIGIT_CAP, Bands, assemble_field

    blank = [1.0] + [0.0] * 10
    reading = assemble_field(np.array([blank, digit_box(3, 1.0), digit_box(9, 1.0)]), Bands())
    assert reading.value == 39 and reading.status == "ok"
    assert reading.confidence < 1.0 and max(reading.boxes[1]) == DIGIT_CAP
    empty = assemble_field(np.array([blank, blank]), Bands())
    assert empty.status == "blank" and empty.confidence == 1.0
