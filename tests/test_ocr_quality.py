"""The glare check names the row it lost, as the sheet prints it, on any form."""

from __future__ import annotations

from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.settings import BUILTIN_DATA
from canvass.worksheet.layout import build_layout
from ocr.quality import _row_name
from tests.support.iowa import IOWA


def test_rows_are_named_by_the_form() -> None:
    caucus = build_layout(IOWA)
    assert _row_name(caucus, "first.Sanders") == "Sanders"
    assert _row_name(caucus, "viability_threshold") == "viability threshold"
    general = build_layout(build_general(general_data_dir(BUILTIN_DATA)))
    assert _row_name(general, "absentee.Write-in") == "Write-in"
    assert _row_name(general, "total") == "Totals"
    dotted = "Joseph R. Biden and Kamala D. Harris"
    assert _row_name(general, f"election_day.{dotted}") == dotted
