"""The test deck end to end, with every real part: `canvass testdeck` prints the deck; its
PDF's test worksheets are filled with known handwriting (canvass.synth, the `evaluate`
samples) and photographed like phones do; one photo goes up through the web API, another
and a blurred one through `canvass ingest --source testdeck`; `canvass read-queued` reads
them with the real reader; `canvass testdeck report` must say what the readings say
against the scripts, figure for figure, and nothing may reach results, the queue or the
progress of the county. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pytest

from canvass.settings import BUILTIN_DATA, Settings
from canvass.store.accounts import add_account
from canvass.store.db import open_engine
from canvass.store.testdeck import deck_sheets
from canvass.store.types import utcnow
from canvass.synth.camera import photograph
from canvass.synth.fill import DigitBank, fill_sheet
from canvass.synth.generate import digit_region
from canvass.worksheet.layout import DPI, build_layout
from tests.conftest import CANVASS, canvass_env
from tests.support.client import bearer, client_for
from tests.support.iowa import IOWA
from tests.support.site import PASSWORD

pytestmark = pytest.mark.slow
LAYOUT = build_layout(IOWA)
PHONE = (2448, 3264)


def canvass(settings: Settings, *args: str | Path) -> str:
    done = subprocess.run(
        [CANVASS, *map(str, args)],
        env=canvass_env(settings),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 8), done.stderr  # 8: ingest refused nothing here
    return done.stdout


def printed_sheet(pdf: Path, page: int) -> np.ndarray:
    """A page of the deck as the printer would put it on paper, at the form's 300 dpi."""
    image = pdfium.PdfDocument(pdf)[page].render(scale=DPI / 72).to_pil().convert("L")
    assert abs(image.size[0] - LAYOUT.width) <= 1 and abs(image.size[1] - LAYOUT.height) <= 1
    return np.asarray(image.crop((0, 0, LAYOUT.width, LAYOUT.height)), np.uint8)


def photo_of(pdf: Path, page: int, script: dict[str, int | None], kind: str, seed: int) -> bytes:
    rng = np.random.default_rng([20, seed])
    bank = DigitBank.load(BUILTIN_DATA / "handwriting" / "digits.png", "evaluate")
    values = {k: v for k, v in script.items() if v is not None}
    sheet, _, _ = fill_sheet(printed_sheet(pdf, page), LAYOUT, values, bank, rng)
    return photograph(sheet, kind, PHONE, rng, digit_region(LAYOUT)).jpeg


def expected(script: dict[str, int | None], reading: dict[str, Any]) -> dict[str, Any]:
    """The figures of one sheet, worked out here from the read result the API gives
    (docs/contracts.md section 6): a settled field (ok, or blank = 0) is right or misread,
    any other is left to a person."""
    right, misread, unsure = 0, [], 0
    for key, scripted in script.items():
        field = reading["fields"].get(key, {"status": "unreadable", "value": None})
        if field["status"] in ("ok", "blank"):
            if (field["value"] or 0) == (scripted or 0):
                right += 1
            else:
                misread.append(key)
        else:
            unsure += 1
    return {"fields": len(script), "right": right, "misread": misread, "unsure": unsure}


def test_a_county_prints_fills_photographs_uploads_and_reads_its_test_deck(
    database_settings: Settings, tmp_path: Path
) -> None:
    settings = database_settings
    canvass(settings, "init")
    engine = open_engine(settings)
    add_account(engine, "admin", PASSWORD, "admin", utcnow())
    deck = tmp_path / "adair-deck.pdf"
    made = json.loads(
        canvass(
            settings,
            "testdeck",
            "--county",
            "Adair",
            "--out",
            deck,
            "--sheets",
            "2",
            "--writer",
            "Ann",
            "--writer",
            "Bo",
            "--seed",
            "3",
            "--json",
        )
    )
    assert made["pages"] == 4 and [s["writer"] for s in made["sheets"]] == ["Ann", "Bo"]
    sheets = {s.code: s for s in deck_sheets(engine, IOWA.id, "Adair")}
    first, second = (sheets[s["code"]] for s in made["sheets"])

    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "sheet2.jpg").write_bytes(photo_of(deck, 2, second.values, "ok", 2))
    (photos / "blurred.jpg").write_bytes(photo_of(deck, 0, first.values, "blurred", 3))
    with client_for(settings) as client:
        sent = client.post(
            "/api/photos",
            content=photo_of(deck, 0, first.values, "ok", 1),
            headers=bearer(settings, "admin") | {"Content-Type": "image/jpeg"},
        )
        assert sent.status_code == 202, sent.text
    ingested = json.loads(
        canvass(
            settings, "ingest", photos, "--source", "testdeck", "--precinct", "ADAIR-02NE", "--json"
        )
    )
    assert [r["status"] for r in ingested] == ["stored", "stored"]
    assert json.loads(canvass(settings, "read-queued", "--json"))["read"] >= 2

    report = json.loads(canvass(settings, "testdeck", "report", "--county", "Adair", "--json"))
    county = report["counties"][0]
    assert (county["county"], county["sheets_printed"], county["sheets_read"]) == ("Adair", 2, 2)
    assert county["photos_refused"] == 1 and "blurred" in county["refusals"][0]["reason"]
    with client_for(settings) as client:
        admin = bearer(settings, "admin")
        for found in county["sheets"]:
            state = client.get(f"/api/photos/{found['photo']}", headers=admin).json()
            assert state["status"] == "test" and state["reading"]["test_sheet"] == found["code"]
            want = expected(sheets[found["code"]].values, state["reading"])
            assert found["fields"] == want["fields"] and found["right"] == want["right"]
            assert found["unsure"] == want["unsure"]
            assert [m["field"] for m in found["misreads"]] == want["misread"]
            assert found["read"] == want["right"] + len(want["misread"])
            assert 0 < found["verified"] <= found["fields"]
        page = client.get("/testdeck?county=Adair", headers=admin)
        assert page.status_code == 200 and f"{county['verified']}</b>" in page.text
    assert sum(county[k] for k in ("right", "misread", "unsure")) == county["fields"]

    # Nothing of it is a precinct's paper: no results, no queue, no progress for Adair.
    assert json.loads(canvass(settings, "results", "--county", "Adair", "--json")) == []
    assert json.loads(canvass(settings, "queue", "--county", "Adair", "--json")) == []
    status = json.loads(canvass(settings, "status", "--json"))
    adair = next(c for c in status["counties"] if c["county"] == "Adair")
    assert (adair["photos"], adair["read"]) == (0, 0)
