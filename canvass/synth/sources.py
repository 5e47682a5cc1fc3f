"""Where the numbers written on synthetic sheets come from: the real results of the built-in
elections by default (`units_for`), or a file of Tallies or SheetNumbers (to photograph
sheets with known mistakes, for example).

A unit is a precinct and the numbers written on its sheet (`SheetNumbers`: field key ->
count in the layout's order, and the ticked boxes). The caucus sheets carry the certified
2020 caucus tallies, with the viability threshold the rules give (`RuleSet.viability`); the
general election's results sheets carry each precinct's certified votes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from canvass.elections.iowa2020_general import GENERAL_ID, general_data_dir, load_general_numbers
from canvass.elections.iowa2020_results import load_certified
from canvass.errors import InputError, NotFoundError
from canvass.forms.caucus import CAUCUS_WORKSHEET, values_from_tally
from canvass.forms.registry import form_of, rules_of
from canvass.forms.rules import RuleSet
from canvass.forms.spec import key_of
from canvass.model import Election, Precinct, SheetNumbers, Tally

Unit = tuple[Precinct, SheetNumbers]
Record = TypeVar("Record", SheetNumbers, Tally)
COIN_TOSS = "coin_toss"
"""The caucus worksheet's tick column: a Tally's coin-toss winners are ticked there."""


def units_for(election: Election, fixtures_dir: Path) -> list[Unit]:
    """The real numbers of `election`'s sheets, in election order: the certified 2020
    caucus results for a caucus worksheet, the 2020 general election's precinct results
    for it; an InputError for any other election (its numbers come from a file)."""
    if election.form == CAUCUS_WORKSHEET.id:
        return certified_units(fixtures_dir, election)
    if election.id == GENERAL_ID:
        data = general_data_dir(fixtures_dir)
        return [
            (election.precinct_by_id[n.precinct], n) for n in load_general_numbers(data, election)
        ]
    raise InputError(
        f"no built-in numbers for {election.name}: pass --tallies FILE with this election's "
        "numbers (SheetNumbers records)"
    )


def certified_tallies(fixtures_dir: Path, election: Election) -> list[tuple[Precinct, Tally]]:
    """Every caucus unit with its certified 2020 tally and the threshold written on its
    sheet, in election order."""
    units = load_certified(fixtures_dir / "iowa2020", election)
    if not units:
        raise InputError(
            f"no certified results match {election.name}: the generator fills sheets with "
            "the 2020 results by default; pass --tallies FILE with this election's numbers"
        )
    rules = rules_of(election)
    return [
        (election.precinct_by_id[u.tally.precinct], with_threshold(u.tally, rules)) for u in units
    ]


def certified_units(fixtures_dir: Path, election: Election) -> list[Unit]:
    """Every caucus unit with the numbers of its certified 2020 tally, in election order."""
    return [
        (p, caucus_numbers(t, election, p)) for p, t in certified_tallies(fixtures_dir, election)
    ]


def written_threshold(rules: RuleSet, attendees: int, delegates: int) -> int:
    """The viability threshold a chair writes: the rule's (`RuleSet.viability`); 0 without
    attendees; with no delegates to elect, which has no rule, the largest precincts'
    fraction rounded up (what the generator has always written there)."""
    if attendees <= 0:
        return 0
    if delegates < 1:
        return math.ceil(attendees * rules.default_fraction)
    return rules.viability(attendees, delegates).threshold


def with_threshold(tally: Tally, rules: RuleSet) -> Tally:
    """The tally with the threshold the sheet shows (the rule's, unless it has one)."""
    if tally.viability_threshold is not None:
        return tally
    threshold = written_threshold(rules, tally.attendees, tally.delegates_to_elect or 0)
    return tally.model_copy(update={"viability_threshold": threshold})


def caucus_numbers(tally: Tally, election: Election, precinct: Precinct) -> SheetNumbers:
    """What a chair writes on a caucus worksheet for `tally` (its threshold filled in)."""
    values = values_from_tally(tally, election.candidates, precinct.satellite)
    ticks = tuple(key_of(COIN_TOSS, c) for c in tally.coin_toss_winners)
    return SheetNumbers(precinct=precinct.id, values=values, ticks=ticks)


def file_units(path: Path, election: Election) -> list[Unit]:
    """Sheets from a .json file (one object or a list) or JSON Lines, one per precinct:
    SheetNumbers records (`precinct`, `values`, `ticks`) for any form, or Tallies for a
    caucus worksheet."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFoundError(f"{path}: cannot read the tallies ({exc.strerror})") from exc
    caucus = election.form == CAUCUS_WORKSHEET.id
    rules = rules_of(election)
    units: list[Unit] = []
    for line, record in _records(text, path):
        where = f"{path}:{line}"
        if isinstance(record, dict) and "values" in record:
            numbers = _validated(SheetNumbers, record, where, "the sheet's numbers")
            precinct = _precinct(election, numbers.precinct, where)
            units.append((precinct, _checked(numbers, election, precinct, where)))
            continue
        if not caucus:
            raise InputError(
                f"{where}: give SheetNumbers records (precinct, values, ticks) for form "
                f"{election.form}; Tallies are for the caucus worksheet"
            )
        tally = _validated(Tally, record, where, "the tally")
        precinct = _precinct(election, tally.precinct, where)
        unknown = tally.candidates_named() - set(election.candidates)
        if unknown:
            raise InputError(f"{where}: unknown candidates {sorted(unknown)}")
        delegates = tally.delegates_to_elect or precinct.delegates_to_elect
        tally = with_threshold(tally.model_copy(update={"delegates_to_elect": delegates}), rules)
        units.append((precinct, caucus_numbers(tally, election, precinct)))
    return units


def _validated(kind: type[Record], record: object, where: str, what: str) -> Record:
    try:
        return kind.model_validate(record)
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}: {place}: {first['msg']}; fix {what}") from exc


def _precinct(election: Election, precinct_id: str, where: str) -> Precinct:
    precinct = election.precinct_by_id.get(precinct_id)
    if precinct is None:
        raise NotFoundError(f"{where}: precinct {precinct_id!r} is not in {election.name}")
    return precinct


def _checked(
    numbers: SheetNumbers, election: Election, precinct: Precinct, where: str
) -> SheetNumbers:
    """The record, refused when it names a field its precinct's sheet does not have or a
    number too long for the field's boxes."""
    spec = form_of(election)
    for key, value in numbers.values.items():
        field = spec.header_field(key)
        on_sheet = spec.is_key(key, election.candidates) and spec.digits_of(key) > 0
        if field is not None and field.only != "all":
            on_sheet = on_sheet and (field.only == "satellite") == precinct.satellite
        if not on_sheet:
            raise InputError(
                f"{where}: {key!r} is not a number on {precinct.id}'s {spec.title} sheet; "
                f"its keys are {spec.key_help()}"
            )
        if value >= 10 ** spec.digits_of(key):
            raise InputError(
                f"{where}: {key} = {value} does not fit its {spec.digits_of(key)} boxes"
            )
    ticks = set(spec.tick_keys(election.candidates))
    for key in numbers.ticks:
        if key not in ticks:
            raise InputError(f"{where}: {key!r} is not a tick box of the {spec.title} sheet")
    return numbers


def _records(text: str, path: Path) -> list[tuple[int, object]]:
    """(line or position, parsed value) for every record in the file."""
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        value = _parse(text, path, 1)
        values = value if isinstance(value, list) else [value]
        return [(i + 1, v) for i, v in enumerate(values)]
    return [
        (number, _parse(line, path, number))
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def _parse(text: str, path: Path, line: int) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{line + exc.lineno - 1}: not JSON ({exc.msg})") from exc
