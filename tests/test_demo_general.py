"""`canvass demo --election FILE`: the general election end to end, and what is refused."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from canvass.demo import default_counties, demo_election, run_demo
from canvass.elections.fileformat import election_text
from canvass.errors import InputError
from canvass.model import County, Election, Precinct
from canvass.settings import REPO_ROOT, Settings

GENERAL_FILE = REPO_ROOT / "fixtures" / "elections" / "iowa2020-general.json"


@contextmanager
def no_bar(_label: str) -> Iterator[Callable[[int, int], None]]:
    yield lambda done, total: None


def test_an_election_without_built_in_numbers_is_refused_saying_what_to_do(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    tiny = Election(
        id="tiny-2024",
        name="Tiny general",
        rule_set="vote-count",
        form="precinct-results",
        candidates=("A", "B"),
        counties=(County(name="One"),),
        precincts=(Precinct(id="ONE-1", county="One", name="First"),),
    )
    path = tmp_path / "tiny.json"
    path.write_text(election_text(tiny), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        run_demo(sqlite_settings, None, 2020, no_bar, path)
    message = str(caught.value)
    assert "'tiny-2024'" in message and "iowa-2020-general" in message
    assert "canvass init --election FILE" in message
    assert not sqlite_settings.sqlite_path.exists()  # refused before touching the database


def test_a_county_the_election_lacks_is_refused(sqlite_settings: Settings) -> None:
    with pytest.raises(InputError, match="has no county 'Atlantis'"):
        run_demo(sqlite_settings, ("Atlantis",), 2020, no_bar, GENERAL_FILE)


def test_the_general_demo_defaults_to_three_counties() -> None:
    general = demo_election(Settings(), GENERAL_FILE)
    counties = default_counties(general)
    assert counties == ("Adair", "Adams", "Story")
    assert sum(p.county in counties for p in general.precincts) == 53
    assert json.loads(GENERAL_FILE.read_text(encoding="utf-8"))["form"] == "precinct-results"


@pytest.mark.slow
def test_the_general_demo_catches_every_injected_error(sqlite_settings: Settings) -> None:
    result = run_demo(sqlite_settings, ("Adair", "Adams"), 2020, no_bar, GENERAL_FILE)
    assert result.precincts == 10 and result.stored == 10
    assert result.read is not None and result.read.read + result.read.rejected == 10
    assert result.effect_unit == "votes"
    kinds = {e.kind for e in result.injected}
    assert kinds == {"missing", "transposed", "swapped_columns", "off_by_few"}
    assert result.missed == []
