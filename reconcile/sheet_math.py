"""What the rules make of one sheet's numbers, whatever the form: findings, and where the
rule set allocates delegates, the allocation and its SDE.

The rule set says what is allocated (`canvass.forms.rules.RuleSet.allocates`):
- `delegates`: the caucus math (`reconcile.caucus_math`) on the sheet's Tally, built by
  the caucus form (the only code that knows a Tally's keys);
- `nothing`: the sheet's identities (`canvass.forms.spec.Identity`) are checked and each
  one the paper breaks is a finding on the fields it ties together.
Pure: no storage, web or CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from canvass.forms.caucus import DELEGATES, REPORTED_SDE, tally_from_values
from canvass.forms.registry import form_of, rules_of
from canvass.forms.spec import Identity, key_of, parse_key
from canvass.model import Election, Tally
from reconcile.caucus_math import MathResult, compute_for_election, precinct_info
from reconcile.joint import Relation, SheetModel


@dataclass(frozen=True)
class SheetFinding:
    """A departure of the sheet's own numbers from the rules: the sheet is the legal
    record, so a finding is acknowledged, never fixed. `fields`: the keys it concerns."""

    code: str
    fields: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class SheetMath:
    """`allocation`/`sde`: per row, where the rules allocate delegates (else None);
    `caucus`: the caucus math's whole result, for the pages that explain it."""

    precinct: str
    findings: tuple[SheetFinding, ...]
    allocation: Mapping[str, int] | None = None
    sde: Mapping[str, Decimal] | None = None
    caucus: MathResult | None = None

    def to_json(self) -> dict[str, Any]:
        if self.caucus is not None:
            return self.caucus.to_json()
        return {
            "precinct": self.precinct,
            "findings": [
                {"code": f.code, "fields": list(f.fields), "message": f.message}
                for f in self.findings
            ],
        }


def sheet_identities(election: Election, precinct: str) -> list[Identity]:
    """The sums that tie `precinct`'s sheet together (delegates printed on it included)."""
    info = precinct_info(election, precinct)
    printed = {"delegates_to_elect": None if info is None else info.delegates_to_elect}
    return form_of(election).identities(election.candidates, printed)


def sheet_model(election: Election, precinct: str) -> SheetModel:
    """What the joint sheet model knows of `precinct`'s sheet: the form's identities and,
    where the rules allocate delegates, the threshold the rules accept for the attendees
    (none for a satellite, whose delegates follow attendance)."""
    info = precinct_info(election, precinct)
    delegates = None if info is None or info.satellite else info.delegates_to_elect
    spec, rules = form_of(election), rules_of(election)
    identities = spec.identities(election.candidates, {"delegates_to_elect": delegates})
    relations: list[Relation] = []
    if rules.allocates == "delegates" and delegates:
        elect = delegates

        def accepted(attendees: int) -> frozenset[int]:
            return rules.viability(attendees, elect).accepted if attendees > 0 else frozenset()

        relations = [
            Relation(h.derived_from, h.key, "THRESHOLD_MISMATCH", accepted)
            for h in spec.header
            if h.derived_from
        ]
    return SheetModel(tuple(identities), tuple(relations))


def check_sheet(
    election: Election, precinct: str, values: Mapping[str, int], ticks: Sequence[str] = ()
) -> SheetMath:
    """The rules applied to the sheet's `values` (field key -> count; missing counts are
    0) and ticked boxes."""
    if rules_of(election).allocates == "delegates":
        return _caucus(election, caucus_tally(election, precinct, values, ticks))
    found = []
    for identity in sheet_identities(election, precinct):
        complete = {k: values.get(k, 0) for k in (*identity.parts, identity.total) if k}
        if not identity.holds(complete):
            found.append(_broken(election, identity, complete))
    return SheetMath(precinct, tuple(found))


def reported_alias(
    election: Election, precinct: str, key: str, fields: Mapping[str, float]
) -> int | None:
    """A report's value for `key` given under another name the rules convert: a group's
    SDE, as county delegates (where the rules allocate delegates). -1 when the SDE is no
    whole number of delegates (so it matches no paper value); None when not reported."""
    column, row = parse_key(key)
    if rules_of(election).allocates != "delegates" or column != DELEGATES or row is None:
        return None
    sde = fields.get(key_of(REPORTED_SDE, row))
    info = precinct_info(election, precinct)
    if sde is None or info is None or info.sde_weight is None or not info.delegates_to_elect:
        return None
    delegates = Decimal(repr(sde)) / (info.sde_weight / info.delegates_to_elect)
    nearest = int(delegates.to_integral_value())
    return nearest if abs(delegates - nearest) < Decimal("0.01") else -1


def caucus_tally(
    election: Election, precinct: str, values: Mapping[str, int], ticks: Sequence[str] = ()
) -> Tally:
    """The Tally of a caucus sheet; `ticks` are keys of ticked boxes (coin-toss winners)."""
    winners = [c for c in election.candidates if key_of("coin_toss", c) in set(ticks)]
    return tally_from_values(precinct, values, winners)


def _caucus(election: Election, tally: Tally) -> SheetMath:
    result = compute_for_election(tally, election)
    findings = tuple(
        SheetFinding(
            f.code.value,
            (key_of(DELEGATES, f.candidate),) if f.candidate else (),
            f.message,
        )
        for f in result.findings
    )
    return SheetMath(tally.precinct, findings, result.allocation.delegates, result.sde, result)


def _broken(election: Election, identity: Identity, values: Mapping[str, int]) -> SheetFinding:
    spec = form_of(election)
    total = values[identity.total] if identity.total else identity.constant
    parts = " + ".join(spec.label(p) for p in identity.parts[:3])
    more = f" and {len(identity.parts) - 3} more" if len(identity.parts) > 3 else ""
    written = sum(values[p] for p in identity.parts)
    target = spec.label(identity.total) if identity.total else "the number printed"
    message = f"{parts}{more} add up to {written}, but {target} is {total}"
    fields = (identity.total,) if identity.total else identity.parts
    return SheetFinding(identity.code, fields, message)
