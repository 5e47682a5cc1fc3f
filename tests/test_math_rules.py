"""The iowa-dem-2020 rule set, worked by hand from docs/caucus-rules.md: thresholds per band, the
satellite table, rounding, and the registry of named rule sets."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from canvass.errors import InputError
from canvass.forms.rules import round_half_up, rule_set

RULES = rule_set("iowa-dem-2020")


@pytest.mark.parametrize(
    ("attendees", "delegates", "threshold"),
    [
        # 4 or more delegates: 15%, rounded up. 215 x 0.15 = 32.25 -> 33.
        (215, 6, 33),
        (100, 4, 15),  # exactly 15: no rounding up
        (101, 9, 16),  # 15.15 -> 16
        (20, 36, 3),
        # 3 delegates: one sixth, exactly (0.1667 x 600 would give 101).
        (600, 3, 100),
        (6, 3, 1),
        (61, 3, 11),  # 10.17 -> 11
        # 2 delegates: 25%.
        (40, 2, 10),
        (41, 2, 11),
        (1, 2, 1),
    ],
)
def test_threshold_bands(attendees: int, delegates: int, threshold: int) -> None:
    viability = RULES.viability(attendees, delegates)
    assert viability.threshold == threshold
    assert viability.accepted == {threshold}
    assert not viability.largest_group_wins
    assert viability.uncertain is None


def test_threshold_fractions_are_exact() -> None:
    assert RULES.viability(30, 3).fraction == Fraction(1, 6)
    assert RULES.viability(30, 2).fraction == Fraction(1, 4)
    assert RULES.viability(30, 4).fraction == Fraction(3, 20)
    assert RULES.viability(30, 25).fraction == Fraction(3, 20)


@pytest.mark.parametrize(
    ("attendees", "more_than_half", "accepted"),
    [(40, 21, {20, 21}), (41, 21, {21}), (1, 1, {1}), (2, 2, {1, 2})],
)
def test_one_delegate_is_largest_group_and_uncertain(
    attendees: int, more_than_half: int, accepted: set[int]
) -> None:
    viability = RULES.viability(attendees, 1)
    assert viability.largest_group_wins
    assert viability.threshold == more_than_half
    assert viability.accepted == accepted  # "more than 50%" and "50%, rounded up"
    assert viability.uncertain is not None and "sources conflict" in viability.uncertain


def test_no_delegates_has_no_viability() -> None:
    with pytest.raises(ValueError):
        RULES.viability(10, 0)


def test_describe_says_how_the_threshold_is_reached() -> None:
    assert RULES.viability(215, 6).describe(215) == "15% of 215, rounded up"
    assert RULES.viability(61, 3).describe(61) == "1/6 of 61, rounded up"
    assert RULES.viability(40, 2).describe(40) == "25% of 40, rounded up"
    assert RULES.viability(40, 1).describe(40) == "more than half of 40"


@pytest.mark.parametrize(
    ("attendees", "delegates"),
    [
        (0, 0),
        (1, 4),
        (20, 4),
        (21, 5),
        (40, 5),
        (41, 6),
        (60, 6),
        (61, 7),
        (80, 7),
        (81, 8),
        (100, 8),
        (101, 9),
        (318, 9),
    ],
)
def test_satellite_delegates_by_attendance(attendees: int, delegates: int) -> None:
    assert RULES.satellite_delegates(attendees) == delegates


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(5, 2), 3),  # Python's round() would give 2
        (Fraction(7, 2), 4),
        (Fraction(1, 2), 1),
        (Fraction(49, 100), 0),
        (Fraction(3, 2), 2),
        (Fraction(9, 7), 1),
        (Fraction(0), 0),
    ],
)
def test_round_half_up(value: Fraction, rounded: int) -> None:
    assert round_half_up(value) == rounded


def test_sde_rounding_half_up() -> None:
    assert RULES.round_sde(Decimal("0.00005")) == Decimal("0.0001")
    assert RULES.round_sde(Decimal("0.00004999")) == Decimal("0.0000")
    assert RULES.round_sde(Decimal("0.0784375")) == Decimal("0.0784")
    assert RULES.round_state_sde(Decimal("562.9535")) == Decimal("562.954")
    assert RULES.round_state_sde(Decimal("562.0214")) == Decimal("562.021")


def test_rule_sets_are_named() -> None:
    assert rule_set("iowa-dem-2020") is rule_set("iowa-dem-2020")
    assert rule_set("iowa-dem-2020").name == "iowa-dem-2020"
    with pytest.raises(InputError, match="iowa-dem-2020"):
        rule_set("nevada-dem-2020")


def test_a_rule_set_file_with_a_mistake_is_refused_naming_the_file() -> None:
    """Rule sets are data: a misspelt key or an impossible fraction is an InputError that
    names the file, never a silent default."""
    from canvass.errors import InputError
    from canvass.forms.rules import parse_rule_set

    base = {
        "name": "x",
        "title": "t",
        "forms": ["precinct-results"],
        "allocates": "nothing",
        "findings": [],
        "instructions": [],
    }
    assert parse_rule_set(
        base | {"default_fraction": "1/6"}, "x.json"
    ).default_fraction == Fraction(1, 6)
    for bad in ({"thresholds": []}, {"default_fraction": "1/0"}, {"allocates": "seats"}):
        with pytest.raises(InputError, match=r"^x\.json: not a valid rule set"):
            parse_rule_set(base | bad, "x.json")
