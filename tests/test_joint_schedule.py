"""The joint model's message schedule on real readings (the committed photos, read by the
committed digit model): each message computed once where it can be, and still the fixed
point of the round-by-round propagation, whose messages no further round would change.

Real readings are what make this worth testing: their totals have values just above
SIGNIFICANT that the other factors' messages push below it, so a factor's message to
its total or given depends on the rest of the sheet (`reconcile.joint._propagate`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canvass.elections.iowa2020 import build_iowa2020
from canvass.model import FieldReading
from canvass.settings import BUILTIN_DATA
from ocr.read import default_reader
from ocr.verify import value_distribution
from reconcile.joint import DEFAULT_ODDS, SheetModel, _propagate, _send, _tree, _with_none
from reconcile.sheet_math import sheet_model

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos" / "small"


@pytest.fixture(scope="module")
def sheets() -> list[tuple[dict[str, FieldReading], SheetModel]]:
    election = build_iowa2020(BUILTIN_DATA / "iowa2020")
    reader = default_reader(election)
    out = []
    for line in (PHOTOS / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["kind"] != "good":
            continue
        reading = reader((PHOTOS / entry["photo"]).read_bytes()).reading
        assert reading.status == "read" and reading.precinct, entry["photo"]
        out.append((dict(reading.fields), sheet_model(election, reading.precinct)))
    return out


def test_no_further_round_changes_a_message(sheets) -> None:  # type: ignore[no-untyped-def]
    assert sum(bool(model.relations) for _, model in sheets) >= 8  # attendees: total and given
    for fields, model in sheets:
        image = {k: _with_none(value_distribution(f.boxes)) for k, f in fields.items() if f.boxes}
        factors = _tree(model, image, DEFAULT_ODDS)
        incoming = _propagate(factors, image)
        for i, factor in enumerate(factors):
            assert _send(factor, i, factor.variables, image, incoming) == [], (model, i)
