"""The reader's faster paths (issue 17) give what the slower ones gave: every cut at once
is each cut alone, the QR code read where the layout prints it is the code found by
searching (and a code printed elsewhere is still found), and the digit model's rewritten
pooling and cached SVM norms give the same numbers. On the real rendered worksheet, with a
perspective; no camera model needed."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from canvass.elections.iowa2020 import build_iowa2020
from canvass.settings import BUILTIN_DATA
from canvass.worksheet.layout import Box, WorksheetLayout, build_layout
from canvass.worksheet.qr import SheetIdentity, qr_image
from canvass.worksheet.render import WorksheetRenderer
from ocr.convnet import pool
from ocr.page import Cut, LocatedSheet, cut_many, cut_region
from ocr.read import (
    BOX_MARGIN,
    BOX_PIXELS,
    _qr_where_printed,
    default_reader,
    identify_sheet,
    qr_symbols,
)
from ocr.svm import SvmWeights, decision_values

IOWA = build_iowa2020(BUILTIN_DATA / "iowa2020")
PRECINCT = next(p for p in IOWA.precincts if p.county == "Adair")


@pytest.fixture(scope="module")
def layout() -> WorksheetLayout:
    return build_layout(IOWA)


@pytest.fixture(scope="module")
def page(layout: WorksheetLayout) -> np.ndarray:  # type: ignore[type-arg]
    return WorksheetRenderer(layout, IOWA).render_array(PRECINCT)


def photographed(page: np.ndarray) -> LocatedSheet:  # type: ignore[type-arg]
    """The page seen at an angle, a little smaller than printed, slightly blurred."""
    h, w = page.shape
    form = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    seen = np.array([[120, 90], [w * 0.85, 140], [w * 0.88, h * 0.9], [60, h * 0.86]], np.float32)
    matrix = cv2.getPerspectiveTransform(form, seen)
    photo = cv2.warpPerspective(page, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=128)
    photo = cv2.GaussianBlur(photo, (0, 0), 0.8)
    return LocatedSheet(np.asarray(photo, np.uint8), matrix.astype(np.float64), 0.85)


def test_every_cut_at_once_is_each_cut_alone(layout: WorksheetLayout, page) -> None:  # type: ignore[no-untyped-def]
    sheet = photographed(page)
    cuts = [Cut(b, BOX_PIXELS, BOX_PIXELS, BOX_MARGIN) for f in layout.fields for b in f.boxes]
    cuts += [Cut(layout.qr, 240, 200, 0.1), Cut(Box(0, 0, 2550, 3300), 637, 825)]
    together = cut_many(sheet, cuts)
    assert [c.shape for c in together] == [(c.height, c.width) for c in cuts]
    for cut, image in zip(cuts, together, strict=True):
        alone = cut_region(sheet, cut.box, cut.width, cut.height, cut.margin)
        difference = np.abs(alone.astype(int) - image.astype(int))
        assert difference.max() <= 8  # a coordinate rounding the other way, at an edge
        assert (difference > 0).mean() < 0.01


def test_the_qr_code_is_read_where_the_layout_prints_it(layout: WorksheetLayout, page) -> None:  # type: ignore[no-untyped-def]
    reader = default_reader(IOWA)
    identity = identify_sheet(photographed(page), reader)
    assert identity == SheetIdentity(layout.election, PRECINCT.id, layout.form)
    sizes = qr_symbols(layout, reader.known_precincts)
    assert len(sizes) == 2  # longer precinct ids need a larger code
    payload = identity.payload()
    ys, xs = np.nonzero(qr_image(payload, layout.qr.w) < 128)
    assert (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1) in sizes


def test_a_code_printed_off_its_place_is_still_found(layout: WorksheetLayout, page) -> None:  # type: ignore[no-untyped-def]
    """A sheet whose QR code is not where this layout prints it (an old print, a sticker):
    reading it at the printed corners fails, and the search of the corner finds it."""
    moved = page.copy()
    qr = layout.qr
    code = moved[qr.y : qr.y + qr.h, qr.x : qr.x + qr.w].copy()
    moved[qr.y : qr.y + qr.h, qr.x : qr.x + qr.w] = 255
    small = cv2.resize(code, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)
    moved[qr.y + 20 : qr.y + 20 + small.shape[0], qr.x + 60 : qr.x + 60 + small.shape[1]] = small
    sheet, reader = photographed(moved), default_reader(IOWA)
    assert _qr_where_printed(sheet, reader) is None
    assert identify_sheet(sheet, reader).precinct == PRECINCT.id


def test_the_pooling_is_the_max_of_each_two_by_two_block() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 4, 6, 8)).astype(np.float32)
    expected = x.reshape(3, 4, 3, 2, 4, 2).max(axis=(3, 5))
    assert np.array_equal(pool(x), expected)


def test_the_svm_norms_are_the_support_vectors_lengths() -> None:
    rng = np.random.default_rng(6)
    vectors = rng.normal(size=(40, 12)).astype(np.float32)
    weights = SvmWeights(
        vectors, rng.normal(size=(40, 3)).astype(np.float32), np.zeros(3, np.float32), 0.1, 3
    )
    features = rng.normal(size=(5, 12)).astype(np.float32)
    distances = (
        (features**2).sum(1)[:, None] + (vectors**2).sum(1)[None, :] - 2 * features @ vectors.T
    )
    kernel = np.exp(-0.1 * np.maximum(distances, 0.0))
    assert np.array_equal(
        decision_values(weights, features), (kernel @ weights.coef - weights.rho).astype(np.float32)
    )
