"""Where the numbers written on synthetic sheets come from: the certified 2020 results by
default, or a file of Tallies (to photograph sheets with known mistakes, for example)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from canvass.elections.iowa2020_results import load_certified
from canvass.errors import InputError, NotFoundError
from canvass.model import Election, Precinct, Tally

Unit = tuple[Precinct, Tally]


def certified_units(fixtures_dir: Path, election: Election) -> list[Unit]:
    """Every unit with its certified 2020 tally, in election order."""
    units = load_certified(fixtures_dir / "iowa2020", election)
    if not units:
        raise InputError(
            f"no certified results match {election.name}: the generator fills sheets with "
            "the 2020 results by default; pass --tallies FILE with this election's numbers"
        )
    return [(election.precinct_by_id[u.tally.precinct], u.tally) for u in units]


def file_units(path: Path, election: Election) -> list[Unit]:
    """Tallies from a .json file (one object or a list) or JSON Lines, one per precinct."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise NotFoundError(f"{path}: cannot read the tallies ({exc.strerror})") from exc
    records = _records(text, path)
    units: list[Unit] = []
    for line, record in records:
        try:
            tally = Tally.model_validate(record)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{path}:{line}: {where}: {first['msg']}; fix the tally") from exc
        precinct = election.precinct_by_id.get(tally.precinct)
        if precinct is None:
            raise NotFoundError(
                f"{path}:{line}: precinct {tally.precinct!r} is not in {election.name}"
            )
        unknown = tally.candidates_named() - set(election.candidates)
        if unknown:
            raise InputError(f"{path}:{line}: unknown candidates {sorted(unknown)}")
        delegates = tally.delegates_to_elect or precinct.delegates_to_elect
        units.append((precinct, tally.model_copy(update={"delegates_to_elect": delegates})))
    return units


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
