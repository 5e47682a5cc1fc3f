"""`canvass init` and `canvass precincts` as a user runs them: the real console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from canvass.settings import Settings
from tests.conftest import CANVASS, canvass_env
from tests.support.iowa import apportionment


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANVASS, *args], env=canvass_env(settings), capture_output=True, text=True, timeout=120
    )


def test_init_then_precincts_lists_all_units(database_settings: Settings) -> None:
    first = run(database_settings, "init", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"election": "iowa-dem-2020", "precincts": 1765}
    again = run(database_settings, "init", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)

    listed = run(database_settings, "precincts", "--json")
    assert listed.returncode == 0, listed.stderr
    units = json.loads(listed.stdout)
    assert len(units) == 1765
    assert set(units[0]) >= {"id", "county", "name", "delegates_to_elect"}
    published = apportionment()
    short_codes = {p["id"]: p for p in units}
    assert short_codes["POLK-ANK-01"]["delegates_to_elect"] == published[("Polk", "ANK 01")]
    precincts = [u for u in units if not u["satellite"]]
    assert sum(u["delegates_to_elect"] for u in precincts) == sum(published.values())


def test_precincts_before_init_says_run_init(sqlite_settings: Settings) -> None:
    result = run(sqlite_settings, "precincts", "--json")
    assert result.returncode == 5
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "canvass init" in result.stderr


def test_init_with_a_bad_election_file_is_refused(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "election.json"
    bad.write_text('{"id": "x"}')
    result = run(sqlite_settings, "init", "--election", str(bad))
    assert result.returncode == 3
    assert result.stderr.startswith("canvass: error:")
    assert "README" in result.stderr
    assert (
        not (sqlite_settings.data_dir / "canvass.db").exists()
        or "x" not in run(sqlite_settings, "precincts", "--json").stdout
    )


def test_init_with_own_election_file(sqlite_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(
        json.dumps(
            {
                "id": "tiny-2024",
                "name": "Tiny caucus",
                "rule_set": "iowa-dem-2020",
                "candidates": ["A", "B"],
                "counties": [{"name": "One", "state_delegate_ratio": 0.1}],
                "precincts": [
                    {"id": "ONE-1", "county": "One", "name": "First", "delegates_to_elect": 4}
                ],
            }
        )
    )
    assert run(sqlite_settings, "init", "--election", str(path)).returncode == 0
    units = json.loads(run(sqlite_settings, "precincts", "--json").stdout)
    assert units == [
        {
            "id": "ONE-1",
            "county": "One",
            "name": "First",
            "delegates_to_elect": 4,
            "satellite": False,
        }
    ]
