"""The election model and the shared Tally record, as plain typed values.

These types carry no storage or web concerns: the caucus math, the reader and the
reconciler take and return them, and one adapter (`canvass.store.elections`) converts
database rows to and from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

CountyKind = Literal["county", "satellite_group"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class County(Frozen):
    """A county, or a group of satellite caucuses that reports like one.

    `state_delegate_ratio` is the county's state delegates divided by its county delegates:
    a group's SDE = its county delegates x this ratio. Satellite groups in 2020 instead
    carried a fixed SDE per attendee (`sde_per_attendee`).
    """

    name: str = Field(min_length=1)
    kind: CountyKind = "county"
    state_delegate_ratio: float | None = Field(default=None, ge=0)
    sde_per_attendee: float | None = Field(default=None, ge=0)


class Precinct(Frozen):
    """A caucus unit: a precinct, or a satellite caucus.

    `delegates_to_elect` is None for satellites, whose delegates follow attendance.
    `sde_weight` is the precinct's total SDE (None where it follows attendance).
    """

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    county: str = Field(min_length=1)
    name: str = Field(min_length=1)
    short_code: str | None = None
    delegates_to_elect: NonNegativeInt | None = None
    sde_weight: float | None = Field(default=None, ge=0)
    satellite: bool = False


class Election(Frozen):
    """Everything the rules and the forms need to know about one election.

    `form` and `rule_set` name entries of `canvass.forms.registry`, which checks that they
    exist and fit each other (`check_election`); `candidates` are the sheet's rows
    (candidates or preference groups, or a general election's ballot lines)."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    rule_set: str = Field(min_length=1)
    form: str = Field(default="caucus-math-worksheet", min_length=1)
    candidates: tuple[str, ...] = Field(min_length=1)
    counties: tuple[County, ...]
    precincts: tuple[Precinct, ...]

    @model_validator(mode="after")
    def _check_references(self) -> Election:
        _require_unique("candidate", self.candidates)
        _require_unique("county", [c.name for c in self.counties])
        _require_unique("precinct id", [p.id for p in self.precincts])
        known = {c.name for c in self.counties}
        for p in self.precincts:
            if p.county not in known:
                raise ValueError(f"precinct {p.id} names county {p.county!r}, which is not listed")
        return self

    @cached_property
    def precinct_by_id(self) -> Mapping[str, Precinct]:
        return {p.id: p for p in self.precincts}

    @cached_property
    def county_by_name(self) -> Mapping[str, County]:
        return {c.name: c for c in self.counties}


def _require_unique(what: str, values: list[str] | tuple[str, ...]) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {v!r} appears twice")
        seen.add(v)


class Tally(Frozen):
    """The shared record of one precinct's numbers (docs/contracts.md section 2).

    Candidates left out of a map count as 0. `county_delegates` None means "compute it".
    """

    precinct: str = Field(min_length=1)
    delegates_to_elect: NonNegativeInt | None = None
    attendees: NonNegativeInt
    viability_threshold: NonNegativeInt | None = None
    first: dict[str, NonNegativeInt] = Field(default_factory=dict)
    final: dict[str, NonNegativeInt] = Field(default_factory=dict)
    county_delegates: dict[str, NonNegativeInt] | None = None
    coin_toss_winners: tuple[str, ...] = ()

    def candidates_named(self) -> set[str]:
        """Every candidate this tally mentions, to check against the election's list."""
        names = set(self.first) | set(self.final) | set(self.coin_toss_winners)
        if self.county_delegates:
            names |= set(self.county_delegates)
        return names


class SheetNumbers(Frozen):
    """The numbers written on one precinct's sheet, whatever its form: field key -> count
    (in the layout's order) and the keys of the boxes ticked. Keys are the form's
    (`canvass.forms.spec`); this record does not interpret them."""

    precinct: str = Field(min_length=1)
    values: dict[str, NonNegativeInt] = Field(default_factory=dict)
    ticks: tuple[str, ...] = ()


FieldStatus = Literal["ok", "uncertain", "unreadable", "blank"]
SheetStatus = Literal["read", "rejected"]


class FieldReading(Frozen):
    """The machine reading of one field (docs/contracts.md section 6).

    `boxes` keeps, per digit box left to right, the probabilities of
    (blank, 0, 1, ..., 9), so a reported value can be verified later against every
    alternative without the image. A `blank` field counts as 0.
    """

    value: int | None
    confidence: float = Field(ge=0, le=1)
    status: FieldStatus
    boxes: tuple[tuple[float, ...], ...] = ()


class SheetReading(Frozen):
    """What the reader made of one photo. The machine reading is never overwritten: a
    person's decision is stored beside it.

    `test_sheet`: the code of a logic-and-accuracy test sheet (its QR said `test:CODE`);
    such a reading is stored as a test reading and never counts as paper. It is left out
    of the JSON when None, so a real sheet's reading serialises exactly as before."""

    status: SheetStatus
    reason: str | None = None
    precinct: str | None = None
    form: str | None = None
    fields: dict[str, FieldReading] = Field(default_factory=dict)
    test_sheet: str | None = None

    @model_serializer(mode="wrap")
    def _without_test_none(self, handler: SerializerFunctionWrapHandler) -> object:
        data = handler(self)
        if isinstance(data, dict) and data.get("test_sheet", "") is None:
            del data["test_sheet"]
        return data

    def contract_json(self) -> dict[str, object]:
        """The `canvass read --json` object: the contract's keys, without the box detail."""
        shown: dict[str, object] = {
            "status": self.status,
            "reason": self.reason,
            "precinct": self.precinct,
            "form": self.form,
            "fields": {
                k: {"value": f.value, "confidence": round(f.confidence, 4), "status": f.status}
                for k, f in self.fields.items()
            },
        }
        if self.test_sheet is not None:
            shown["test_sheet"] = self.test_sheet
        return shown


@dataclass(frozen=True)
class ReadOutcome:
    """A reader's answer for one photo: the reading, and image crops for reviewers
    (name -> PNG or JPEG bytes; one per field key, and `sheet` for the corrected page)."""

    reading: SheetReading
    crops: dict[str, bytes]
