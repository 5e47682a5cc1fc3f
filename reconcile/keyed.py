"""People's numbers go through the sheet's bounds at once.

A value a reviewer keys (or confirms) is certain evidence in the sheet's sums, so a wrong
one could move delegates on its own. Before the sheet is complete its full math is not
checked (the unreadable items come first), but some bounds hold whatever the other
fields turn out to be: no group's count above the attendees, no group's county delegates
above the delegates the precinct elects, and the known county delegates together not
above them either. A keyed value that breaks one raises a `math_finding` at once, named
`KEYED_VALUE_OUT_OF_BOUNDS`, on the field it concerns. Pure: no storage, web or CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CODE = "KEYED_VALUE_OUT_OF_BOUNDS"


@dataclass(frozen=True)
class KeyedFinding:
    field: str
    message: str


def keyed_findings(
    decided: Mapping[str, int],
    known: Mapping[str, int],
    delegates_to_elect: int | None,
) -> list[KeyedFinding]:
    """Bounds broken by decided values. `known` holds every field's best-known value
    (decided, read clearly or verified); `delegates_to_elect` is None for satellites
    (they elect by attendance, itself a field)."""
    found: list[KeyedFinding] = []
    attendees = known.get("attendees")
    elect = (
        delegates_to_elect if delegates_to_elect is not None else known.get("delegates_to_elect")
    )
    for key, value in sorted(decided.items()):
        measure, _, _candidate = key.partition(".")
        if measure in ("first", "final") and attendees is not None and value > attendees:
            found.append(
                KeyedFinding(key, f"{key}: {value} was keyed, more than the {attendees} attendees")
            )
        if measure == "county_delegates" and elect is not None and value > elect:
            found.append(
                KeyedFinding(
                    key, f"{key}: {value} was keyed, but the precinct elects {elect} delegates"
                )
            )
    keyed_cds = [k for k in decided if k.startswith("county_delegates.")]
    total = sum(v for k, v in known.items() if k.startswith("county_delegates."))
    if keyed_cds and elect is not None and total > elect and not found:
        found.append(
            KeyedFinding(
                sorted(keyed_cds)[0],
                f"county delegates: with the keyed {', '.join(sorted(keyed_cds))} they add up "
                f"to {total}, more than the {elect} the precinct elects",
            )
        )
    return found
