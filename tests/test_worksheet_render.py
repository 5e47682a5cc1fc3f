"""Rendered worksheets: the QR code says which sheet it is, the markers sit where the layout
says, in the PNG and in the PDF (rasterised again with pdfium)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from numpy.typing import NDArray
from PIL import Image

from canvass.elections.iowa2020 import build_iowa2020
from canvass.elections.iowa2020_general import build_general, general_data_dir
from canvass.errors import InputError
from canvass.model import Election, Precinct
from canvass.settings import BUILTIN_DATA, Settings
from canvass.worksheet.layout import ARUCO_DICTIONARY, WorksheetLayout, build_layout
from canvass.worksheet.pdf import write_pdf
from canvass.worksheet.qr import SheetIdentity, decode_qr, parse_payload
from canvass.worksheet.render import WorksheetRenderer, display_name, save_sheet
from tests.support.images import read_grey


@pytest.fixture(scope="module")
def iowa() -> Election:
    return build_iowa2020(Settings().fixtures_dir / "iowa2020")


@pytest.fixture(scope="module")
def renderer(iowa: Election) -> WorksheetRenderer:
    return WorksheetRenderer(build_layout(iowa), iowa)


def detect_markers(grey: NDArray[np.uint8]) -> dict[int, NDArray[np.float32]]:
    dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICTIONARY))
    corners, ids, _ = cv2.aruco.ArucoDetector(dictionary).detectMarkers(grey)
    assert ids is not None, "no marker found"
    return {
        int(i): np.asarray(c, np.float32).reshape(4, 2)
        for i, c in zip(ids.ravel(), corners, strict=True)
    }


def assert_markers_at_layout(
    found: dict[int, NDArray[np.float32]], layout: WorksheetLayout
) -> None:
    assert sorted(found) == [0, 1, 2, 3]
    for marker in layout.markers:
        expected = np.array(marker.corners, np.float32)
        assert np.abs(found[marker.id] - expected).max() <= 2.5, marker.id


def test_qr_code_names_election_precinct_and_form(renderer: WorksheetRenderer) -> None:
    page = renderer.render_array(renderer_precinct(renderer, "POLK-ANK-01"))
    identity = decode_qr(page)
    assert identity == SheetIdentity("iowa-dem-2020", "POLK-ANK-01", "ws-iowa-dem-2020-v1")
    assert identity.payload() == "canvass:1|iowa-dem-2020|POLK-ANK-01|ws-iowa-dem-2020-v1"


def renderer_precinct(renderer: WorksheetRenderer, pid: str) -> Precinct:
    return renderer.election.precinct_by_id[pid]


def test_png_has_markers_at_the_layout_corners(renderer: WorksheetRenderer, tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    save_sheet(renderer.render(renderer_precinct(renderer, "SAT-CD1-01")), out)
    with Image.open(out) as png:
        assert png.size == (2550, 3300)
        assert round(png.info["dpi"][0]) == 300
    grey = read_grey(out)
    assert_markers_at_layout(detect_markers(grey), renderer.layout)
    assert decode_qr(grey) is not None


def test_pdf_pages_are_letter_with_markers_and_qr(
    renderer: WorksheetRenderer, tmp_path: Path
) -> None:
    out = tmp_path / "county.pdf"
    ids = ["ADAIR-04SE", "POLK-ANK-01"]
    pages = (renderer.render(renderer_precinct(renderer, pid)) for pid in ids)
    assert write_pdf(pages, out, 300) == 2
    pdf = pdfium.PdfDocument(str(out))
    assert len(pdf) == 2
    assert pdf[0].get_size() == pytest.approx((612.0, 792.0))
    bitmap = pdf[1].render(scale=300 / 72, grayscale=True).to_numpy()
    grey = bitmap if bitmap.ndim == 2 else cv2.cvtColor(bitmap, cv2.COLOR_BGR2GRAY)
    assert_markers_at_layout(detect_markers(grey[:3300, :2550]), renderer.layout)
    identity = decode_qr(np.ascontiguousarray(grey))
    assert identity is not None and identity.precinct == "POLK-ANK-01"


def test_satellite_sheets_carry_delegate_boxes(renderer: WorksheetRenderer) -> None:
    box = renderer.layout.delegates_to_elect.boxes[0]

    def ink(pid: str) -> int:
        page = renderer.render_array(renderer_precinct(renderer, pid))
        return int((page[box.y : box.y + box.h, box.x + 40 : box.x + 50] < 128).sum())

    assert ink("SAT-CD1-01") > 0  # the box's top and bottom lines
    assert ink("POLK-ANK-01") > ink("SAT-CD1-01")  # the pre-printed number instead


def test_payload_parsing_refuses_other_codes() -> None:
    assert parse_payload("canvass:1|e|P-1|ws-e-v1") == SheetIdentity("e", "P-1", "ws-e-v1")
    for bad in ("http://example.org", "canvass:2|e|P|f", "canvass:1|e||f", "canvass:1|e|P"):
        with pytest.raises(InputError, match="not a canvass worksheet"):
            parse_payload(bad)


def test_names_are_printed_without_html_entities() -> None:
    assert display_name("Carroll Ward Two &amp;amp; N1/2 Maple") == "Carroll Ward Two & N1/2 Maple"


def test_only_png_and_pdf_are_written(renderer: WorksheetRenderer, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.png or \.pdf"):
        save_sheet(Image.new("L", (10, 10)), tmp_path / "sheet.jpg")
    assert not (tmp_path / "sheet.jpg").exists()


def test_results_sheet_renders_its_boxes_markers_and_qr() -> None:
    general = build_general(general_data_dir(BUILTIN_DATA))
    renderer = WorksheetRenderer(build_layout(general), general)
    precinct = general.precincts[0]
    page = renderer.render_array(precinct)
    assert_markers_at_layout(detect_markers(page), renderer.layout)
    identity = decode_qr(page)
    assert identity == SheetIdentity(general.id, precinct.id, "ws-iowa-2020-general-v1")
    for key in ("election_day.Write-in", "total"):
        box = renderer.layout.field(key).boxes[-1]
        edge = page[box.y + 40 : box.y + 50, box.x : box.x + box.w + 1]
        assert (edge[:, :3] < 128).any() and (edge[:, -3:] < 128).any(), key
        inside = page[box.y + 10 : box.y + box.h - 10, box.x + 10 : box.x + box.w - 10]
        assert (inside > 200).all(), f"{key}: a box is empty on a blank sheet"
