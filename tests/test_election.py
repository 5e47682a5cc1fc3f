"""The built-in Iowa 2020 election against its source data, and the election file format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from canvass.elections.fileformat import dump_election, load_election_file
from canvass.elections.iowa2020 import CANDIDATES
from canvass.errors import InputError, NotFoundError
from tests.support.iowa import IOWA, apportionment


def test_units_counties_and_satellites() -> None:
    precincts = [p for p in IOWA.precincts if not p.satellite]
    satellites = [p for p in IOWA.precincts if p.satellite]
    assert len(IOWA.precincts) == 1765
    assert len(precincts) == 1678
    assert len(satellites) == 87
    assert len({p.county for p in precincts}) == 99
    assert IOWA.candidates == CANDIDATES
    assert IOWA.candidates[0] == "Bennet"
    assert IOWA.candidates[-1] == "Uncommitted"


def test_delegates_match_the_idp_apportionment() -> None:
    published = apportionment()
    for p in IOWA.precincts:
        if p.satellite:
            assert p.delegates_to_elect is None
            continue
        assert p.short_code is not None
        assert p.delegates_to_elect == published[(p.county, p.short_code)], p.id
    total = sum(p.delegates_to_elect or 0 for p in IOWA.precincts)
    assert total == 11402


def test_ids_are_readable_unique_and_stable() -> None:
    ids = [p.id for p in IOWA.precincts]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Z0-9]+-[A-Z0-9-]+", i) for i in ids)
    by_id = IOWA.precinct_by_id
    assert by_id["POLK-ANK-01"].county == "Polk"
    assert by_id["ADAIR-01NW"].delegates_to_elect == 8
    assert by_id["SAT-CD1-01"].name.startswith("Cedar Rapids")


def test_county_ratios_reproduce_precinct_sde_weights() -> None:
    for p in IOWA.precincts:
        if p.satellite or not p.delegates_to_elect:
            continue
        ratio = IOWA.county_by_name[p.county].state_delegate_ratio
        assert ratio is not None
        assert p.sde_weight == pytest.approx(p.delegates_to_elect * ratio, abs=1e-9)


def test_satellite_groups_carry_sde_per_attendee() -> None:
    groups = [c for c in IOWA.counties if c.kind == "satellite_group"]
    assert {g.name for g in groups} == {
        "CD1 Satellite",
        "CD2 Satellite",
        "CD3 Satellite",
        "CD4 Satellite",
        "Out of State Satellite",
    }
    assert all(g.sde_per_attendee and 0 < g.sde_per_attendee < 0.05 for g in groups)


def test_election_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "iowa.json"
    path.write_text(json.dumps(dump_election(IOWA)))
    assert load_election_file(path) == IOWA


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("candidates"), "candidates"),
        (lambda d: d["precincts"][0].update(county="Atlantis"), "Atlantis"),
        (lambda d: d["precincts"].append(dict(d["precincts"][0])), "appears twice"),
        (lambda d: d["precincts"][0].update(delegates_to_elect=-1), "delegates_to_elect"),
        (
            lambda d: d.update(rule_set="nowhere-1990"),
            "unknown rule set .nowhere-1990.; use one of",
        ),
        (lambda d: d["precincts"][0].update(id="lower case"), "id"),
    ],
)
def test_bad_election_files_say_what_is_wrong(tmp_path: Path, mutate: object, message: str) -> None:
    data = dump_election(IOWA)
    mutate(data)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        load_election_file(path)


def test_unparseable_and_missing_election_files(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_election_file(path)
    with pytest.raises(NotFoundError):
        load_election_file(tmp_path / "absent.json")
