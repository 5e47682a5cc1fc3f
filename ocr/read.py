"""The story of one worksheet photo, stage by stage:

decode -> locate the four markers -> check for glare -> read the QR code (or the printed
precinct id) -> cut out every digit box -> classify the boxes -> assemble each field ->
keep a crop of every field for the reviewers.

`read_photo` never stores anything; `PhotoReader` bundles what it needs so a pool of
worker processes can share it (each worker loads the digit model once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from canvass.errors import InputError, RefusedError
from canvass.model import Election, FieldReading, ReadOutcome, SheetReading
from canvass.worksheet.layout import Box, Field, WorksheetLayout, build_layout
from canvass.worksheet.qr import SheetIdentity, decode_qr, parse_payload, qr_image
from ocr.assemble import Bands, assemble_field
from ocr.crossing import crossing_flags
from ocr.digits import DEFAULT_MODEL, EDGE_CAP, load_engine
from ocr.glyphs import printed_around, recut_boxes
from ocr.page import LocatedSheet, cut_region, decode_photo, locate_sheet
from ocr.quality import check_glare
from ocr.tesseract import read_text
from ocr.verify import BLANK

BOX_PIXELS = 64  # a digit box is cut out at this size (the form draws it at 90)
BOX_MARGIN = 0.08  # of the box size, so ink across the border is seen
OVERFLOW_BLANK = 0.99  # P(blank) of a box whose only ink was a neighbour's overflow
QR_ATTEMPTS = (
    (240, 0.1, False),
    (360, 0.0, True),
    (360, 0.1, False),
    (240, 0.0, True),
    (300, 0.05, True),
)


class BoxClassifier(Protocol):
    """One row per crop: P(blank), P(0), ..., P(9); mass left over means "not one clean digit"."""

    def box_probabilities(self, crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.float64]: ...


class PrintedIdReader(Protocol):
    def __call__(self, image: NDArray[np.uint8]) -> str: ...


@dataclass(frozen=True)
class ModelBoxes:
    """The digit model (`ocr.digits`) as a `BoxClassifier`. Holds only the model's path, so
    it pickles small; each worker process loads the model once (`load_engine` is cached).

    A blank box puts its cleanliness on "blank"; a written box puts the model's calibrated
    digit probabilities on the digits (what they leave is "not one clean digit"); writing
    across the box edge keeps at most `EDGE_CAP` on any digit.
    """

    model_path: Path = DEFAULT_MODEL

    def box_probabilities(self, crops: Sequence[NDArray[np.uint8]]) -> NDArray[np.float64]:
        readings = load_engine(self.model_path).classify(crops)
        rows = np.zeros((len(readings), 11), np.float64)
        for i, reading in enumerate(readings):
            if reading.blank:
                rows[i, BLANK] = reading.confidence
                continue
            digits = np.asarray(reading.probabilities, np.float64)
            if reading.reason == "touches-edge" and digits.max() > EDGE_CAP:
                digits *= EDGE_CAP / digits.max()
            rows[i, 1:] = digits
        return rows


@dataclass(frozen=True)
class PhotoReader:
    """Everything needed to read photos of one election's worksheets."""

    layout: WorksheetLayout
    known_precincts: frozenset[str]
    classifier: BoxClassifier
    bands: Bands = field(default_factory=Bands)
    printed_id: PrintedIdReader | None = None

    def __call__(self, data: bytes) -> ReadOutcome:
        return read_photo(data, self)


def read_photo(data: bytes, reader: PhotoReader) -> ReadOutcome:
    """Read one photo; a photo that cannot be read comes back `rejected` with the reason."""
    try:
        image = decode_photo(data)
        sheet = locate_sheet(image, reader.layout)
        check_glare(sheet, reader.layout)
        identity = identify_sheet(sheet, reader)
        fields, crops = read_fields(sheet, reader)
    except RefusedError as refusal:
        return ReadOutcome(SheetReading(status="rejected", reason=refusal.message), {})
    crops["sheet.jpg"] = sheet_preview(sheet, reader.layout)
    reading = SheetReading(
        status="read",
        precinct=identity.precinct,
        form=identity.form,
        fields=fields,
        test_sheet=identity.test,
    )
    return ReadOutcome(reading, crops)


def identify_sheet(sheet: LocatedSheet, reader: PhotoReader) -> SheetIdentity:
    """The QR code where the sheet prints it; failing that, the code found in its corner
    at a few sizes; failing that, the printed precinct id."""
    identity = _qr_where_printed(sheet, reader)
    for size, margin, binarise in () if identity else QR_ATTEMPTS:
        crop = cut_region(sheet, reader.layout.qr, size, size, margin)
        if binarise:
            crop = np.asarray(
                cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1], np.uint8
            )
        try:
            identity = decode_qr(crop)
        except Exception:
            identity = None
        if identity is not None:
            break
    if identity is None:
        return _identify_by_print(sheet, reader)
    if identity.form != reader.layout.form:
        raise RefusedError(
            f"this sheet is form {identity.form}, not {reader.layout.form}: use the current "
            "worksheet for this election"
        )
    return identity


def _qr_where_printed(sheet: LocatedSheet, reader: PhotoReader) -> SheetIdentity | None:
    """The QR code decoded at the corners where the layout prints its symbol (one per size
    the election's codes come in, commonest first), skipping OpenCV's search for the code
    (two thirds of the time of finding and decoding it)."""
    size, margin = QR_ATTEMPTS[0][:2]
    qr = reader.layout.qr
    crop = cut_region(sheet, qr, size, size, margin)
    scale, shift = size / (qr.w * (1 + 2 * margin)), qr.w * margin
    detector = cv2.QRCodeDetector()
    for x0, y0, x1, y1 in qr_symbols(reader.layout, reader.known_precincts):
        corners = (np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32) + shift) * scale
        text = detector.decode(crop, corners.reshape(4, 1, 2))[0]
        if text:
            try:
                return parse_payload(text)
            except InputError:
                return None
    return None


@lru_cache(maxsize=8)
def qr_symbols(
    layout: WorksheetLayout, precincts: frozenset[str]
) -> tuple[tuple[int, int, int, int], ...]:
    """Where in the QR box the symbol's corners are (x0, y0, x1, y1, without the quiet
    zone) for each size the sheets' codes come in, commonest first: the code grows with
    the precinct id's length, so one code of each payload length is drawn (as the
    worksheet renderer draws it) and measured. Computed once per layout."""
    lengths: dict[int, tuple[str, int]] = {}
    for precinct in sorted(precincts):
        payload = SheetIdentity(layout.election, precinct, layout.form).payload()
        seen = lengths.get(len(payload), (payload, 0))
        lengths[len(payload)] = (seen[0], seen[1] + 1)
    symbols: dict[tuple[int, int, int, int], int] = {}
    for payload, count in lengths.values():
        ys, xs = np.nonzero(qr_image(payload, layout.qr.w) < 128)
        corners = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        symbols[corners] = symbols.get(corners, 0) + count
    return tuple(sorted(symbols, key=lambda c: -symbols[c]))


def _identify_by_print(sheet: LocatedSheet, reader: PhotoReader) -> SheetIdentity:
    """Tesseract on the large printed id, at two sizes; the text must name a known
    precinct exactly, allowing only the usual letter/digit confusions (O/0, I/1, ...)."""
    if reader.printed_id is not None:
        box = printed_id_box(reader.layout)
        for factor in (2, 1):
            text = reader.printed_id(cut_region(sheet, box, box.w // factor, box.h // factor))
            precinct = match_precinct(text, reader.known_precincts)
            if precinct is not None:
                return SheetIdentity(reader.layout.election, precinct, reader.layout.form)
    raise RefusedError(
        "the QR code and the printed precinct id cannot be read: retake the photo with the "
        "top of the sheet sharp and unshaded"
    )


CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})


def match_precinct(text: str, known: frozenset[str]) -> str | None:
    """The one known precinct id `text` spells, or None when none or several could be meant."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum() or ch == "-").strip("-")
    if cleaned in known:
        return cleaned
    folded = cleaned.translate(CONFUSIONS)
    matches = [p for p in known if p.translate(CONFUSIONS) == folded]
    return matches[0] if len(matches) == 1 else None


def printed_id_box(layout: WorksheetLayout) -> Box:
    """Where the precinct id is printed in large type (the text item with `{precinct_id}`)."""
    item = next(t for t in layout.texts if "{precinct_id}" in t.text)
    height = int(item.size * 1.4)
    top = item.y - (height // 2 if item.anchor[1:] == "m" else int(item.size * 0.2))
    return Box(item.x - 10, max(0, top), item.max_width or 1400, height)


def read_fields(
    sheet: LocatedSheet, reader: PhotoReader
) -> tuple[dict[str, FieldReading], dict[str, bytes]]:
    """Every digit field: cut its boxes, classify them in one batch, assemble the values."""
    fields = reader.layout.fields
    crops = [
        cut_region(sheet, box, BOX_PIXELS, BOX_PIXELS, BOX_MARGIN)
        for f in fields
        for box in f.boxes
    ]
    probabilities = reader.classifier.box_probabilities(crops)
    crossing = crossing_flags(sheet, reader.layout)
    probabilities, crossing = reread_crossing(sheet, reader, probabilities, crossing)
    probabilities = cap_crossing(probabilities, crossing)
    readings: dict[str, FieldReading] = {}
    images: dict[str, bytes] = {}
    start = 0
    for f in fields:
        rows = probabilities[start : start + len(f.boxes)]
        start += len(f.boxes)
        readings[f.key] = assemble_field(rows, reader.bands)
        images[f"{f.key}.png"] = field_crop(sheet, f)
    return readings, images


def reread_crossing(
    sheet: LocatedSheet,
    reader: PhotoReader,
    probabilities: NDArray[np.float64],
    crossing: Sequence[bool],
) -> tuple[NDArray[np.float64], list[bool]]:
    """Fields whose writing crosses a border, holds a box the model would not read as one
    digit, or holds a digit it is not sure of, are cut again digit by digit
    (`ocr.glyphs`). The new cut is read where the boxes' crops failed, or where its writing
    lay on a printed line (the box crops cut it); a doubtful digit clear of the lines keeps
    its own reading, so the new cut is never a second try at a plain digit."""
    rows, flags = probabilities.copy(), list(crossing)
    around = printed_around(reader.layout)
    start = 0
    redo: list[tuple[int, int]] = []
    new_crops: list[NDArray[np.uint8]] = []
    for f in reader.layout.fields:
        span = range(start, start + len(f.boxes))
        start += len(f.boxes)
        failed = any(flags[i] or _refused(rows[i]) for i in span)
        if not (failed or any(_doubtful(rows[i]) for i in span)):
            continue
        recut = recut_boxes(sheet, f, around[f.key], BOX_PIXELS, BOX_MARGIN)
        if recut is not None and (failed or recut.on_lines):
            redo.append((span.start, len(recut.crops)))
            new_crops += recut.crops
    if not new_crops:
        return rows, flags
    reread = reader.classifier.box_probabilities(new_crops)
    taken = 0
    for first, count in redo:
        fresh = reread[taken : taken + count]
        taken += count
        merged = _merge_recut(rows[first : first + count], fresh)
        if merged is not None:
            rows[first : first + count] = merged
            flags[first : first + count] = [False] * count
    return rows, flags


def _doubtful(row: NDArray[np.float64]) -> bool:
    """A written box whose likeliest digit is below 0.999 (worth a look for a cut digit)."""
    return bool(row[BLANK] == 0.0 and row[1:].max() < 0.999)


def _refused(row: NDArray[np.float64]) -> bool:
    """A box with writing that the model would not call one clean digit."""
    return bool(row[BLANK] == 0.0 and row[1:].sum() < 0.9)


def _merge_recut(
    before: NDArray[np.float64], after: NDArray[np.float64]
) -> NDArray[np.float64] | None:
    """The field's rows from the new cut where it found writing; elsewhere the boxes' own
    rows (a faint mark escapes the cut's single threshold, and must keep its doubt), except
    a refused box beside new writing: a digit's overflow, now nearly surely blank. None
    (keep every box's own row) when the cut lost writing a box read as a digit."""
    merged = before.copy()
    for i, row in enumerate(after):
        if row[BLANK] == 0.0:
            merged[i] = row
            continue
        if before[i, BLANK] != 0.0:
            continue
        beside = any(after[j, BLANK] == 0.0 for j in (i - 1, i + 1) if 0 <= j < len(after))
        if not (_refused(before[i]) and beside):
            return None
        merged[i] = 0.0
        merged[i, BLANK] = OVERFLOW_BLANK
    return merged


def cap_crossing(
    probabilities: NDArray[np.float64], crossing: Sequence[bool]
) -> NDArray[np.float64]:
    """A box whose writing crosses the comb's edge keeps at most EDGE_CAP on any digit."""
    capped = probabilities.copy()
    for i, flag in enumerate(crossing):
        digits = capped[i, 1:]
        if flag and digits.max() > EDGE_CAP:
            capped[i, 1:] = digits * (EDGE_CAP / digits.max())
    return capped


def field_crop(sheet: LocatedSheet, f: Field) -> bytes:
    """The field's boxes as the reviewer sees them (PNG, 48 px high)."""
    first, last = f.boxes[0], f.boxes[-1]
    box = Box(first.x, first.y, last.x + last.w - first.x, first.h)
    strip = cut_region(sheet, box, 48 * len(f.boxes), 48, 0.15)
    return bytes(cv2.imencode(".png", strip)[1].tobytes())


def sheet_preview(sheet: LocatedSheet, layout: WorksheetLayout) -> bytes:
    """The whole corrected sheet at a quarter of the form's resolution (JPEG)."""
    page = cut_region(
        sheet, Box(0, 0, layout.width, layout.height), layout.width // 4, layout.height // 4
    )
    return bytes(cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())


def printed_precinct_id(image: NDArray[np.uint8]) -> str:
    """Tesseract on the large printed precinct id (printed text is what it is good at)."""
    return read_text(image, psm=7)


def default_reader(election: Election) -> PhotoReader:
    """The reader for `election`'s worksheets with the committed digit model."""
    return PhotoReader(
        layout=build_layout(election),
        known_precincts=frozenset(p.id for p in election.precincts),
        classifier=ModelBoxes(),
        printed_id=printed_precinct_id,
    )
