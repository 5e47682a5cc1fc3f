"""`canvass math` as a user runs it: the real console script in a subprocess, on an empty
data directory (no `canvass init`: the built-in Iowa 2020 election is used)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canvass.cli import build_app
from canvass.cli.math_files import read_tallies
from canvass.errors import InputError, NotFoundError
from canvass.settings import REPO_ROOT
from tests.support.iowa import EXPECTED_COUNTS

CANVASS = str(Path(os.environ.get("VIRTUAL_ENV", REPO_ROOT / ".venv")) / "bin" / "canvass")
EXAMPLE = REPO_ROOT / "fixtures" / "examples" / "tally-solon.json"


def canvass(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVASS_")}
    env["CANVASS_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [CANVASS, *args], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def tally(precinct: str, final: dict[str, int]) -> dict[str, object]:
    return {"precinct": precinct, "attendees": sum(final.values()), "first": final, "final": final}


def test_single_tally_json(tmp_path: Path) -> None:
    done = canvass(tmp_path, "math", str(EXAMPLE), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["precinct"] == "JOHNSON-SO"
    assert result["threshold"] == 33
    assert result["viable"] == ["Biden", "Buttigieg", "Sanders", "Warren"]
    assert result["allocation"] == {"Biden": 1, "Buttigieg": 2, "Sanders": 2, "Warren": 1}
    assert result["coin_toss"] is None
    assert result["sde"]["Sanders"] == 0.81  # 2 x 2.43 / 6
    codes = [(f["code"], f["candidate"]) for f in result["findings"]]
    assert codes == [
        ("THRESHOLD_MISMATCH", None),
        ("ALLOCATION_MISMATCH", "Buttigieg"),
        ("ALLOCATION_MISMATCH", "Warren"),
    ]
    assert not (tmp_path / "data").exists()  # math stores nothing


def test_json_lines_give_one_result_per_line(tmp_path: Path) -> None:
    lines = [
        tally("ADAIR-01NW", {"Sanders": 20, "Warren": 20}),
        tally("SAT-CD1-01", {"Biden": 12, "Sanders": 12}),
        {**tally("NEW-1", {"Yang": 3}), "delegates_to_elect": 2},
    ]
    path = tmp_path / "tallies.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in lines) + "\n\n")
    done = canvass(tmp_path, "math", str(path), "--json")
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["precinct"] for r in results] == ["ADAIR-01NW", "SAT-CD1-01", "NEW-1"]
    assert results[0]["allocation"] == {"Sanders": 4, "Warren": 4}
    assert results[1]["delegates_to_elect"] == 5  # 24 attendees at a satellite
    assert results[2]["sde"] is None and results[2]["notes"]


def test_malformed_line_exits_nonzero_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tallies.jsonl"
    bad = tally("ADAIR-01NW", {"Sanders": 20, "Warren": -2})
    path.write_text(json.dumps(tally("ADAIR-01NW", {"Sanders": 4})) + "\n" + json.dumps(bad))
    done = canvass(tmp_path, "math", str(path), "--json")
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("canvass: error:")
    assert "line 2" in done.stderr and "first.Warren = -2" in done.stderr


def test_whole_state_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's reproducible command: dump the certified tallies, run the math on them
    (in-process: the same command without the console script's start-up time)."""
    monkeypatch.setenv("CANVASS_DATA_DIR", str(tmp_path / "data"))
    app, runner = build_app(), CliRunner()
    dump = runner.invoke(app, ["math", "--dump-certified-iowa2020"])
    assert dump.exit_code == 0, dump.output
    (tmp_path / "iowa2020.jsonl").write_text(dump.stdout)
    done = runner.invoke(app, ["math", str(tmp_path / "iowa2020.jsonl"), "--json"])
    assert done.exit_code == 0, done.output
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == 1765
    counts = dict.fromkeys(EXPECTED_COUNTS, 0)
    for result in results:
        for code in {f["code"] for f in result["findings"]}:
            counts[code] += 1
    assert counts == EXPECTED_COUNTS


def test_readable_table_without_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANVASS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "120")
    out = CliRunner().invoke(build_app(), ["math", str(EXAMPLE)])
    assert out.exit_code == 0, out.output
    assert "JOHNSON-SO: 215 attendees, 6 delegates to elect, threshold 33" in out.output
    assert "Buttigieg" in out.output and "0.8100" in out.output
    assert "THRESHOLD_MISMATCH" in out.output


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", '{"precinct": "X",\n"attendees": 3', "bad.json line 2: not valid JSON"),
        ("bad.jsonl", '{"precinct": "X", "attendees": 3}\n{oops}\n', "bad.jsonl line 2"),
        ("list.json", "[1, 2]", "expected a JSON object"),
        ("missing.json", '{"precinct": "X"}', "attendees is missing; add it"),
        ("extra.json", '{"precinct": "X", "attendees": 1, "sde": {}}', "sde is not a tally key"),
        ("empty.jsonl", "\n", "no tallies"),
    ],
)
def test_malformed_input_says_where_and_what(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_tallies(path)


def test_several_objects_in_a_json_file_are_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text('{"precinct": "X", "attendees": 1}\n{"precinct": "Y", "attendees": 2}\n')
    tallies, many = read_tallies(path)
    assert many and [(n, t.precinct) for n, t in tallies] == [(1, "X"), (2, "Y")]
    with pytest.raises(NotFoundError):
        read_tallies(tmp_path / "nope.json")
