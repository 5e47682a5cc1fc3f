"""The Iowa Democrats' Caucus Math Worksheet (2020), as a form spec, and its Tally.

The header holds the attendees, the viability threshold the chair wrote (the rules compute
their own from the attendees, so the written one only feeds a finding) and, on satellite
sheets only, the delegates elected by attendance. One row per candidate: first alignment,
final alignment, county delegates and a "won the coin toss" tick. The caucus math takes a
`Tally`; `tally_from_values` and `values_from_tally` are the one conversion between the
sheet's keyed numbers and it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from canvass.forms.spec import PRINTED, Column, ColumnSum, FormSpec, HeaderField, key_of, parse_key
from canvass.model import Tally

MEASURES = ("first", "final", "county_delegates")
DELEGATES = "county_delegates"
REPORTED_SDE = "sde"
"""Reports may give a group's SDE (`sde.<Candidate>`) instead of its county delegates;
the reconciler converts it with the precinct's SDE per delegate."""

CAUCUS_WORKSHEET = FormSpec(
    id="caucus-math-worksheet",
    title="Caucus Math Worksheet",
    row_heading="Candidate / group",
    header=(
        HeaderField("delegates_to_elect", "Delegates to elect", 2, 150, only="satellite"),
        HeaderField("attendees", "Attendees at start", 4, 800),
        HeaderField(
            "viability_threshold", "Viability threshold", 3, 1450, derived_from="attendees"
        ),
    ),
    columns=(
        Column("first", "First alignment", 4, 760, ("First alignment",)),
        Column("final", "Final alignment", 4, 1220, ("Final alignment",)),
        Column("county_delegates", "County delegates", 2, 1680, ("County", "delegates")),
        Column("coin_toss", "Won coin toss", 1, 2010, ("Won coin", "toss"), tick=True),
    ),
    sums=(
        ColumnSum("first", "attendees", "FIRST_TOTAL_MISMATCH", "first alignment = attendees"),
        ColumnSum(
            "final",
            "attendees",
            "FINAL_EXCEEDS_ATTENDEES",
            "final alignment <= attendees",
            at_most=True,
        ),
        ColumnSum(
            "county_delegates",
            PRINTED + "delegates_to_elect",
            "DELEGATE_TOTAL_MISMATCH",
            "county delegates = delegates to elect",
        ),
    ),
    always_written=("attendees", "viability_threshold", "delegates_to_elect"),
    footer=(
        "Coin toss: won by",
        "Signatures: this worksheet is the legal record of the caucus.",
    ),
)


def tally_from_values(precinct: str, values: Mapping[str, int], ticks: Sequence[str] = ()) -> Tally:
    """The Tally of a caucus sheet's numbers (missing counts are 0; zero counts are left
    out of the maps); `ticks`: the coin-toss winners, in ballot order."""
    maps: dict[str, dict[str, int]] = {m: {} for m in MEASURES}
    for key, value in values.items():
        column, row = parse_key(key)
        if column in maps and row and value:
            maps[column][row] = value
    return Tally(
        precinct=precinct,
        attendees=values.get("attendees", 0),
        viability_threshold=values.get("viability_threshold") or None,
        first=maps["first"],
        final=maps["final"],
        county_delegates=maps["county_delegates"],
        coin_toss_winners=tuple(ticks),
    )


def values_from_tally(tally: Tally, candidates: Sequence[str], satellite: bool) -> dict[str, int]:
    """Every count of the sheet for `tally`, in the layout's order (row by row; the
    coin-toss ticks are `tally.coin_toss_winners`)."""
    values: dict[str, int] = {}
    if satellite:
        values["delegates_to_elect"] = tally.delegates_to_elect or 0
    values["attendees"] = tally.attendees
    values["viability_threshold"] = tally.viability_threshold or 0
    delegates = tally.county_delegates or {}
    for c in candidates:
        values[key_of("first", c)] = tally.first.get(c, 0)
        values[key_of("final", c)] = tally.final.get(c, 0)
        values[key_of("county_delegates", c)] = delegates.get(c, 0)
    return values
