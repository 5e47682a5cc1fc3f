"""`canvass worksheet layout | render | county` as a user runs them: the real console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pypdfium2 as pdfium

from canvass.elections.iowa2020 import build_iowa2020
from canvass.settings import Settings
from canvass.worksheet.layout import build_layout
from canvass.worksheet.qr import decode_qr
from tests.conftest import CANVASS, canvass_env
from tests.support.images import read_grey


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANVASS, *args], env=canvass_env(settings), capture_output=True, text=True, timeout=120
    )


def test_layout_json_is_the_contract(sqlite_settings: Settings) -> None:
    done = run(sqlite_settings, "worksheet", "layout", "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    expected = build_layout(build_iowa2020(sqlite_settings.fixtures_dir / "iowa2020"))
    assert printed == expected.to_contract()
    assert printed["form"] == "ws-iowa-dem-2020-v1"
    assert printed["page"] == {"width": 2550, "height": 3300}
    assert [m["id"] for m in printed["markers"]] == [0, 1, 2, 3]
    assert printed["fields"]["first.Sanders"]["boxes"][0] == [760, 1976, 90, 90]
    assert not sqlite_settings.sqlite_path.exists(), "reading the layout creates no database"


def test_render_png_then_an_unknown_precinct(sqlite_settings: Settings, tmp_path: Path) -> None:
    png = tmp_path / "ank.png"
    args = ("worksheet", "render", "--precinct")
    done = run(sqlite_settings, *args, "POLK-ANK-01", "--out", str(png))
    assert done.returncode == 0, done.stderr
    identity = decode_qr(read_grey(png))
    assert identity is not None and identity.precinct == "POLK-ANK-01"
    unknown = run(sqlite_settings, *args, "POLK-ANK-99", "--out", str(tmp_path / "x.png"))
    assert unknown.returncode == 4
    assert "POLK-ANK-99" in unknown.stderr and "canvass precincts" in unknown.stderr
    assert unknown.stdout == ""
    assert not (tmp_path / "x.png").exists()


def test_county_prints_one_page_per_precinct(sqlite_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "adams.pdf"
    done = run(
        sqlite_settings, "worksheet", "county", "--county", "Adams", "--out", str(out), "--json"
    )
    assert done.returncode == 0, done.stderr
    election = build_iowa2020(sqlite_settings.fixtures_dir / "iowa2020")
    adams = [p for p in election.precincts if p.county == "Adams"]
    assert json.loads(done.stdout) == {"county": "Adams", "pages": len(adams), "out": str(out)}
    assert len(pdfium.PdfDocument(str(out))) == len(adams)
