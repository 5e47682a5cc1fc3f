"""From photo bytes to a located worksheet: decode, find the four markers, map the form.

Stages, each a plain function: `decode_photo` (JPEG/PNG honour EXIF orientation; HEIC via
pillow-heif; the first page of a PDF rendered at 300 dpi) -> `locate_sheet` (ArUco markers
found on a reduced copy for speed, corners refined on the full image, a homography from
form to photo) -> `cut_region` (any rectangle of the form, perspective-corrected, at the
resolution asked for). Problems are `RefusedError`s that tell the person what to do.

Registration is strict, as ballot scanners do it: all four markers must be found and agree
with one another (reprojection error), or the photo is refused rather than guessed at.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import pillow_heif
import pypdfium2
from numpy.typing import NDArray
from PIL import Image

from canvass.errors import RefusedError
from canvass.worksheet.layout import Box, WorksheetLayout
from ocr.markers import find_markers
from ocr.refusal import explain_missing_markers

Gray = NDArray[np.uint8]
DETECT_SIDE = 1600  # longest side of the copy markers are searched in (see detection_copy)
MAP_WIDTH = 1024  # pixels a row of the map `cut_many` samples the photo with
CORNER_NAMES = ("top-left", "top-right", "bottom-right", "bottom-left")
MAX_REPROJECTION_PX = 0.012  # of the page diagonal in the photo


@dataclass(frozen=True)
class LocatedSheet:
    """A photo and the homography taking form pixels to photo pixels."""

    image: Gray
    form_to_photo: NDArray[np.float64]
    scale: float  # photo pixels per form pixel (mean), to judge resolution


def decode_photo(data: bytes) -> Gray:
    """The photo as one grey channel, upright."""
    if data.startswith(b"%PDF-"):
        return _render_pdf(data)
    if data[4:8] == b"ftyp":
        pillow_heif.register_heif_opener()
        with Image.open(io.BytesIO(data)) as heif:
            return np.asarray(heif.convert("L"))
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise RefusedError("the photo cannot be decoded (corrupt or not an image): take it again")
    return np.asarray(image, np.uint8)


def _render_pdf(data: bytes) -> Gray:
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        bitmap = page.render(scale=300 / 72, grayscale=True)
        return np.asarray(bitmap.to_pil().convert("L"))
    finally:
        document.close()


def locate_sheet(image: Gray, layout: WorksheetLayout) -> LocatedSheet:
    """Find the four corner markers and map the form onto the photo."""
    expected = {m.id for m in layout.markers}
    found = _detect_markers(image, expected)
    missing = sorted(expected - set(found))
    if len(missing) == len(expected):
        raise explain_missing_markers(image)
    if missing:
        corners = " and ".join(f"the {CORNER_NAMES[i]} corner" for i in missing)
        raise RefusedError(
            f"{corners} of the sheet is not in the photo: retake it with the whole sheet in view"
        )
    form_pts = np.array([c for m in layout.markers for c in m.corners], np.float64)
    photo_pts = np.array([found[m.id][k] for m in layout.markers for k in range(4)], np.float64)
    found_h, _ = cv2.findHomography(form_pts, photo_pts, 0)
    if found_h is None:
        raise RefusedError(
            "the sheet's corners do not fit together: retake the photo flat and whole"
        )
    homography = np.asarray(found_h, np.float64)
    _check_fit(homography, form_pts, photo_pts, image)
    scale = float(np.sqrt(abs(np.linalg.det(homography[:2, :2]))))
    return LocatedSheet(image, homography, scale)


def _detect_markers(image: Gray, expected: Collection[int]) -> dict[int, NDArray[np.float32]]:
    """Marker id -> its four corners in full-resolution photo pixels."""
    small = detection_copy(image)
    fx, fy = small.shape[1] / image.shape[1], small.shape[0] / image.shape[0]
    found: dict[int, NDArray[np.float32]] = {}
    for marker_id, quad in find_markers(small, expected).items():
        full = (quad / np.array([fx, fy])).astype(np.float32)
        found[marker_id] = _refine(image, full)
    return found


def detection_copy(image: Gray) -> Gray:
    """The photo reduced to about DETECT_SIDE px for finding the markers: halved with
    pyrDown while still twice too large (a 12 MP area resize took 28 ms of a 190 ms read;
    two pyrDowns and a small one take a quarter of that), then area-resized the rest of
    the way. Corners found here are refined on the full image.

    Tried for issue 17 and not kept: a 1,000 px copy, or ArUco's adaptive threshold with
    two windows (3, 13 px) instead of three, found the same markers in half or two thirds
    of the time, but corners refined from other starting points land up to a few
    hundredths of a pixel apart, every box moves with them, and bench.read read 0.05-0.07
    points fewer fields surely (README "Reading photos").
    """
    small = image
    while max(small.shape) >= 2 * DETECT_SIDE:
        small = np.asarray(cv2.pyrDown(small), np.uint8)
    factor = min(1.0, DETECT_SIDE / max(small.shape))
    if factor < 1.0:
        resized = cv2.resize(small, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        small = np.asarray(resized, np.uint8)
    return small


def _refine(image: Gray, corners: NDArray[np.float32]) -> NDArray[np.float32]:
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)
    pts = corners.reshape(-1, 1, 2).copy()
    cv2.cornerSubPix(image, pts, (5, 5), (-1, -1), criteria)
    return pts.reshape(4, 2)


def _check_fit(
    h: NDArray[np.float64], form: NDArray[np.float64], photo: NDArray[np.float64], image: Gray
) -> None:
    projected = cv2.perspectiveTransform(form.reshape(-1, 1, 2), h).reshape(-1, 2)
    error = float(np.max(np.linalg.norm(projected - photo, axis=1)))
    if error > MAX_REPROJECTION_PX * float(np.hypot(*image.shape)):
        raise RefusedError(
            "the sheet is bent or folded (its corners do not line up): lay it flat and retake"
        )


def cut_region(sheet: LocatedSheet, box: Box, out_w: int, out_h: int, margin: float = 0.0) -> Gray:
    """The form rectangle `box` (grown by `margin` of its size on every side), corrected
    for perspective, as an `out_w` x `out_h` grey image."""
    dx, dy = box.w * margin, box.h * margin
    x0, y0 = box.x - dx, box.y - dy
    sx, sy = (box.w + 2 * dx) / out_w, (box.h + 2 * dy) / out_h
    to_form = np.array([[sx, 0, x0], [0, sy, y0], [0, 0, 1]], np.float64)
    matrix = sheet.form_to_photo @ to_form
    warped = cv2.warpPerspective(
        sheet.image,
        matrix,
        (out_w, out_h),
        flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(warped, np.uint8)


@dataclass(frozen=True)
class Cut:
    """A form rectangle `box`, grown by `margin` of its size on every side, wanted as a
    `width` x `height` image (what `cut_region` takes, as one value)."""

    box: Box
    width: int
    height: int
    margin: float = 0.0


def cut_many(sheet: LocatedSheet, cuts: Sequence[Cut]) -> list[Gray]:
    """Every cut at once, each the image `cut_region` gives (the same pixel grid and
    bilinear sampling; a pixel may differ by a grey level or two where a coordinate
    rounds the other way): one `cv2.remap` of the photo instead of a warp per cut (a
    worksheet has ~150 digit boxes, and a warp's fixed cost was most of a small one's)."""
    points = _form_points(tuple(cuts))
    photo = cv2.perspectiveTransform(points, sheet.form_to_photo)
    flat = cv2.remap(
        sheet.image,
        photo.reshape(-1, MAP_WIDTH, 2),
        np.empty((0, 0), np.float32),  # no second map: the first holds x and y
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    ).ravel()
    images, start = [], 0
    for cut in cuts:
        size = cut.width * cut.height
        images.append(
            np.asarray(flat[start : start + size].reshape(cut.height, cut.width), np.uint8)
        )
        start += size
    return images


@lru_cache(maxsize=16)
def _form_points(cuts: tuple[Cut, ...]) -> NDArray[np.float32]:
    """The form coordinates every output pixel of `cuts` samples, one after another (row
    by row, as `cut_region` lays them out), padded to whole map rows: (N, 1, 2). Made
    once per set of cuts (a layout's boxes are the same on every photo)."""
    parts = []
    for cut in cuts:
        box = cut.box
        dx, dy = box.w * cut.margin, box.h * cut.margin
        sx, sy = (box.w + 2 * dx) / cut.width, (box.h + 2 * dy) / cut.height
        xs = box.x - dx + np.arange(cut.width) * sx
        ys = box.y - dy + np.arange(cut.height) * sy
        grid = np.stack(np.meshgrid(xs, ys), axis=-1)
        parts.append(grid.reshape(-1, 2))
    points = np.concatenate(parts) if parts else np.zeros((0, 2))
    padding = -len(points) % MAP_WIDTH or (MAP_WIDTH if not len(points) else 0)
    points = np.concatenate([points, np.zeros((padding, 2))])
    return np.asarray(points, np.float32).reshape(-1, 1, 2)
