"""The page reader on generated photos: identity, values, refusals, formats, fallbacks."""

from __future__ import annotations

import io
import json

import cv2
import numpy as np
import pillow_heif
import pytest
from PIL import Image

from canvass.elections.iowa2020 import build_iowa2020
from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.settings import BUILTIN_DATA
from canvass.synth.generate import SynthConfig, generate_set, plan_jobs
from canvass.synth.sources import certified_units, units_for
from ocr.assemble import Bands
from ocr.page import decode_photo, locate_sheet
from ocr.read import PhotoReader, default_reader, match_precinct, read_photo

FIXTURES = BUILTIN_DATA
IOWA = build_iowa2020(FIXTURES / "iowa2020")
REASON_WORDS = {
    "corner_cut": "corner",
    "blurred": "blurred",
    "glare": "glare",
    "not_a_worksheet": "not a worksheet",
}


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[bytes, dict]]:  # type: ignore[type-arg]
    """Three good photos and one of each kind to refuse (seeded, evaluate handwriting)."""
    out = tmp_path_factory.mktemp("photos")
    adair = [u for u in certified_units(FIXTURES, IOWA) if u[0].county == "Adair"][:4]
    units = adair[:3] + adair
    jobs = plan_jobs(units, None, 31, 0.0)
    kinds = ["good", "good", "good", "corner_cut", "blurred", "glare", "not_a_worksheet"]
    jobs = [type(j)(j.index, j.precinct, j.numbers, k) for j, k in zip(jobs, kinds, strict=True)]
    config = SynthConfig(
        seed=31, split="evaluate", digits_path=FIXTURES / "handwriting" / "digits.png"
    )
    generate_set(jobs, config, IOWA, out, workers=1)
    return [
        ((out / f"{j.stem}.jpg").read_bytes(), json.loads((out / f"{j.stem}.json").read_text()))
        for j in jobs
    ]


@pytest.fixture(scope="module")
def reader() -> PhotoReader:
    return default_reader(IOWA)


def test_good_photos_are_read_without_a_confident_error(photos, reader) -> None:  # type: ignore[no-untyped-def]
    for data, truth in photos[:3]:
        outcome = reader(data)
        reading = outcome.reading
        assert reading.status == "read", reading.reason
        assert reading.precinct == truth["precinct"]
        assert reading.form == truth["form"]
        confident = 0
        for key, field in reading.fields.items():
            if field.status in ("ok", "blank"):
                confident += 1
                value = 0 if field.status == "blank" else field.value
                assert value == truth["fields"][key]["value"], key
        assert confident >= len(reading.fields) // 2
        assert "sheet.jpg" in outcome.crops and "attendees.png" in outcome.crops


def test_photos_that_cannot_be_read_say_why(photos, reader) -> None:  # type: ignore[no-untyped-def]
    for data, truth in photos[3:]:
        reading = reader(data).reading
        assert reading.status == "rejected", truth["kind"]
        assert REASON_WORDS[truth["kind"]] in (reading.reason or ""), reading.reason
        assert ":" in (reading.reason or "")  # what is wrong: what to do


def test_exif_rotation_heic_and_pdf_read_the_same_sheet(photos, reader) -> None:  # type: ignore[no-untyped-def]
    data, truth = photos[0]
    image = Image.open(io.BytesIO(data))
    rotated = image.rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 270 to show": undoes the rotation above
    variants = {}
    out = io.BytesIO()
    rotated.save(out, "JPEG", quality=92, exif=exif.tobytes())
    variants["exif"] = out.getvalue()
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    image.save(out, format="HEIF", quality=90)
    variants["heic"] = out.getvalue()
    out = io.BytesIO()
    image.convert("RGB").save(out, "PDF", resolution=300)
    variants["pdf"] = out.getvalue()
    for name, variant in variants.items():
        reading = reader(variant).reading
        assert reading.status == "read", (name, reading.reason)
        assert reading.precinct == truth["precinct"], name


@pytest.mark.slow
def test_a_damaged_qr_code_falls_back_to_the_printed_id(photos, reader) -> None:  # type: ignore[no-untyped-def]
    data, truth = photos[1]
    image = decode_photo(data)
    sheet = locate_sheet(image, reader.layout)
    qr = reader.layout.qr
    corners = np.array(
        [[qr.x, qr.y], [qr.x + qr.w, qr.y], [qr.x + qr.w, qr.y + qr.h], [qr.x, qr.y + qr.h]],
        np.float64,
    )
    polygon = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), sheet.form_to_photo).astype(
        np.int32
    )
    damaged = image.copy()
    cv2.fillPoly(damaged, [polygon.reshape(-1, 2)], 255)
    encoded = cv2.imencode(".png", damaged)[1].tobytes()
    reading = reader(encoded).reading
    assert reading.status == "read", reading.reason
    assert reading.precinct == truth["precinct"]


class ScriptedBoxes:
    """Every box blank except those listed: box index -> digit, read with certainty."""

    def __init__(self, digits: dict[int, int]) -> None:
        self.digits = digits

    def box_probabilities(self, crops):  # type: ignore[no-untyped-def]
        rows = np.zeros((len(crops), 11))
        rows[:, 0] = 1.0
        for index, digit in self.digits.items():
            rows[index] = 0.0
            rows[index, digit + 1] = 1.0
        return rows


def test_fields_are_assembled_right_aligned_from_box_readings(photos) -> None:  # type: ignore[no-untyped-def]
    layout = default_reader(IOWA).layout
    # attendees has 4 boxes at indices 0-3: "  4 2" -> 42; threshold boxes 4-6: "7 _ _" is malformed
    fake = PhotoReader(layout, frozenset(), ScriptedBoxes({2: 4, 3: 2, 4: 7}), Bands())
    reading = read_photo(photos[0][0], fake).reading
    assert reading.fields["attendees"].value == 42 and reading.fields["attendees"].status == "ok"
    assert reading.fields["viability_threshold"].status == "unreadable"
    assert reading.fields["first.Bennet"].status == "blank"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ADAIR-01NW", "ADAIR-01NW"),
        ("ADAIR-O1NW", "ADAIR-01NW"),
        (" adair-01nw\n", "ADAIR-01NW"),
        ("ADAIR-01N", None),
        ("", None),
    ],
)
def test_printed_ids_match_only_a_known_precinct(text: str, expected: str | None) -> None:
    known = frozenset(p.id for p in IOWA.precincts)
    assert match_precinct(text, known) == expected


@pytest.mark.slow
def test_a_precinct_results_sheet_is_read_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The general election's results sheet, filled with a precinct's certified votes
    (every number written, zeros too), photographed and read by the real reader."""
    general = build_general(general_data_dir(FIXTURES))
    units = units_for(general, FIXTURES)
    busy = max(units, key=lambda u: sum(1 for v in u[1].values.values() if v >= 100))
    jobs = plan_jobs([busy], None, 7, 0.0)
    config = SynthConfig(
        seed=7, split="evaluate", digits_path=FIXTURES / "handwriting" / "digits.png"
    )
    generate_set(jobs, config, general, tmp_path, workers=1)
    truth = json.loads((tmp_path / f"{jobs[0].stem}.json").read_text())
    reading = default_reader(general)((tmp_path / f"{jobs[0].stem}.jpg").read_bytes()).reading
    assert reading.status == "read", reading.reason
    assert (reading.precinct, reading.form) == (busy[0].id, "ws-iowa-2020-general-v1")
    assert sorted(reading.fields) == sorted(busy[1].values)
    confident = 0
    for key, field in reading.fields.items():
        if field.status in ("ok", "blank"):
            confident += 1
            value = 0 if field.status == "blank" else field.value
            assert value == busy[1].values[key] == truth["fields"][key]["value"], key
    assert confident >= len(reading.fields) // 2
