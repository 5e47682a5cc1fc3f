"""People's numbers go through the sheet's bounds at once.

A value a reviewer keys (or confirms) is certain evidence in the sheet's sums, so a wrong
one could move results on its own. Before the sheet is complete its full math is not
checked (the unreadable items come first), but some bounds hold whatever the other
fields turn out to be: every part of a sum or bound of the form (a group's count, a
ballot line's absentee votes) is at most its total (the attendees, the line's total, the
delegates the precinct elects), and the known parts together are at most it too. A keyed
value that breaks one raises a `math_finding` at once, named `KEYED_VALUE_OUT_OF_BOUNDS`,
on the field it concerns. Pure: no storage, web or CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from canvass.forms.registry import form_of
from canvass.model import Election
from reconcile.caucus_math import precinct_info

CODE = "KEYED_VALUE_OUT_OF_BOUNDS"


@dataclass(frozen=True)
class KeyedFinding:
    field: str
    message: str


def keyed_findings(
    election: Election, precinct: str, decided: Mapping[str, int], known: Mapping[str, int]
) -> list[KeyedFinding]:
    """Bounds broken by decided values. `known` holds every field's best-known value
    (decided, read clearly or verified); a satellite's delegates are its own field."""
    spec = form_of(election)
    info = precinct_info(election, precinct)
    printed = info.delegates_to_elect if info is not None else None
    elect = printed if printed is not None else known.get("delegates_to_elect")
    identities = spec.identities(election.candidates, {"delegates_to_elect": elect})
    found: list[KeyedFinding] = []
    for key, value in sorted(decided.items()):
        for i in identities:
            total = i.constant if i.total is None else known.get(i.total)
            if key in i.parts and total is not None and value > total:
                what = spec.label(i.total) if i.total else "the delegates the precinct elects"
                found.append(
                    KeyedFinding(key, f"{key}: {value} was keyed, more than {what} ({total})")
                )
                break
    if found:
        return found
    for i in identities:
        keyed = sorted(k for k in decided if k in i.parts)
        total = i.constant if i.total is None else known.get(i.total)
        written = sum(known.get(p, 0) for p in i.parts)
        if keyed and total is not None and written > total:
            what = spec.label(i.total) if i.total else "the delegates the precinct elects"
            message = (
                f"with the keyed {', '.join(keyed)} the parts add up to {written}, "
                f"more than {what} ({total})"
            )
            return [KeyedFinding(keyed[0], message)]
    return found
