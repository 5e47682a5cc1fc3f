"""Draw a precinct's blank worksheet from its `WorksheetLayout`, as PNG or PDF.

The renderer only draws what the layout describes. Digit boxes are thin dark-grey lines
(grey 70, 3 px): dark enough to survive a phone photo, thin enough that a reader which
knows the box positions can step inside them to find the ink. The page is greyscale;
markers and the QR code are pure black on white.

A `WorksheetRenderer` keeps the precinct-independent page (one per kind of sheet:
precinct or satellite), so printing a county or generating photos draws it once.

A logic-and-accuracy test sheet (`render(precinct, test=CODE)`) differs from the real one
in three places only, all outside the boxes: its QR payload carries `test:CODE`, its
printed precinct id reads "TEST <id>" (so a photo whose QR cannot be read is refused, not
taken for the real precinct's sheet by the printed-id fallback), and a framed band
"TEST SHEET - NOT A RESULT" replaces the signature block. A real sheet is drawn exactly as
before.
"""

from __future__ import annotations

import html
import string
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from canvass.errors import InputError
from canvass.model import Election, Precinct
from canvass.worksheet.layout import (
    ARUCO_DICTIONARY,
    DPI,
    PRINTED_PLACEHOLDERS,
    Text,
    WorksheetLayout,
)
from canvass.worksheet.pdf import write_pdf
from canvass.worksheet.qr import SheetIdentity, qr_image

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
BOX_GREY = 70
BOX_LINE = 3
TEST_BAND_TITLE = "TEST SHEET - NOT A RESULT"
TEST_BAND_GAP = 100  # page px between the lowest box and the test band
TEST_BAND_MARGIN = 150
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def display_name(name: str) -> str:
    """The precinct name as printed: the source data holds HTML entities (`&amp;amp;`)."""
    previous = None
    while previous != name:
        previous, name = name, html.unescape(name)
    return name


class WorksheetRenderer:
    """Renders the sheets of one election's layout; not shared between processes."""

    def __init__(self, layout: WorksheetLayout, election: Election, font_dir: Path = FONT_DIR):
        self.layout = layout
        self.election = election
        self._font_dir = font_dir
        self._fonts: dict[tuple[int, bool], Font] = {}
        self._bases: dict[bool, Image.Image] = {}

    def render(self, precinct: Precinct, test: str | None = None) -> Image.Image:
        """The precinct's blank worksheet: a greyscale ("L") page at 300 dpi; with `test`,
        the test sheet of that code (see the module's docstring)."""
        page = self._base(precinct.satellite).copy()
        draw = ImageDraw.Draw(page)
        values = self._values(precinct)
        if test is not None:
            values["precinct_id"] = f"TEST {precinct.id}"
        for text in self.layout.texts:
            if not _is_static(text) and _applies(text, precinct.satellite):
                self._draw_text(draw, text, text.text.format(**values))
        identity = SheetIdentity(self.election.id, precinct.id, self.layout.form, test)
        qr = self.layout.qr
        page.paste(Image.fromarray(qr_image(identity.payload(), qr.w)), (qr.x, qr.y))
        if test is not None:
            self._draw_test_band(draw, test)
        return page

    def render_array(self, precinct: Precinct, test: str | None = None) -> NDArray[np.uint8]:
        """`render` as a greyscale numpy array (for the photo generator)."""
        return np.asarray(self.render(precinct, test), dtype=np.uint8)

    def _draw_test_band(self, draw: ImageDraw.ImageDraw, code: str) -> None:
        """The framed "TEST SHEET" band over the signature block: from below the lowest
        box to just above the bottom markers, between the page's margins."""
        layout = self.layout
        boxes = [b for f in (*layout.fields, *layout.checkboxes) for b in f.boxes]
        boxes += [b for f in layout.satellite_fields for b in f.boxes]
        top = max(b.y + b.h for b in boxes) + TEST_BAND_GAP
        bottom = min(m.box.y for m in layout.markers if m.box.y > top) - 20
        left, right = TEST_BAND_MARGIN, layout.width - TEST_BAND_MARGIN
        draw.rectangle((left, top, right, bottom), fill=255, outline=0, width=10)
        middle = (left + right) // 2
        height = bottom - top
        size = min(140, height // 3)
        while size > 40 and self._font(size, True).getlength(TEST_BAND_TITLE) > right - left - 80:
            size -= 4
        big = self._font(size, True)
        small = self._font(min(40, height // 8), False)
        draw.text((middle, top + height * 0.36), TEST_BAND_TITLE, fill=0, font=big, anchor="mm")
        note = f"Test sheet {code}: copy the values from its script. It never counts as results."
        draw.text((middle, top + height * 0.78), note, fill=0, font=small, anchor="mm")

    def _values(self, precinct: Precinct) -> dict[str, str]:
        """The placeholders' values; a satellite-only header field's number (the
        precinct's attribute of that name) only on a form that has the field."""
        values = {
            "election_name": self.election.name,
            "precinct_name": display_name(precinct.name),
            "precinct_id": precinct.id,
            "county": precinct.county,
            "form": self.layout.form,
        }
        for f in self.layout.satellite_fields:
            number = getattr(precinct, f.key, None)
            values[PRINTED_PLACEHOLDERS.get(f.key, f.key)] = str(number or "")
        return values

    def _base(self, satellite: bool) -> Image.Image:
        if satellite not in self._bases:
            self._bases[satellite] = self._draw_base(satellite)
        return self._bases[satellite]

    def _draw_base(self, satellite: bool) -> Image.Image:
        layout = self.layout
        page = Image.new("L", (layout.width, layout.height), 255)
        draw = ImageDraw.Draw(page)
        for line in layout.lines:
            draw.line((line.x0, line.y0, line.x1, line.y1), fill=line.grey, width=line.width)
        fields = list(layout.fields) + list(layout.checkboxes)
        if satellite:
            fields += layout.satellite_fields
        for field in fields:
            for b in field.boxes:
                draw.rectangle((b.x, b.y, b.x + b.w, b.y + b.h), outline=BOX_GREY, width=BOX_LINE)
        for text in layout.texts:
            if _is_static(text) and _applies(text, satellite):
                self._draw_text(draw, text, text.text.format(form=layout.form))
        dictionary = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICTIONARY))
        for marker in layout.markers:
            image = cv2.aruco.generateImageMarker(dictionary, marker.id, marker.box.w, borderBits=1)
            page.paste(Image.fromarray(image), (marker.box.x, marker.box.y))
        return page

    def _draw_text(self, draw: ImageDraw.ImageDraw, text: Text, value: str) -> None:
        size = text.size
        font = self._font(size, text.bold)
        if text.max_width is not None:
            while size > text.size * 0.6 and font.getlength(value) > text.max_width:
                size -= 2
                font = self._font(size, text.bold)
        lines = _wrap(value, font, text.max_width) if text.max_width else [value]
        for i, line in enumerate(lines):
            y = text.y + round(i * size * 1.15)
            draw.text((text.x, y), line, fill=0, font=font, anchor=text.anchor)

    def _font(self, size: int, bold: bool) -> Font:
        key = (size, bold)
        if key not in self._fonts:
            path = self._font_dir / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
            self._fonts[key] = (
                ImageFont.truetype(str(path), size)
                if path.exists()
                else ImageFont.load_default(size)
            )
        return self._fonts[key]


def _is_static(text: Text) -> bool:
    """Same on every sheet of the form: no placeholder but `{form}`."""
    names = {name for _, name, _, _ in string.Formatter().parse(text.text) if name}
    return names <= {"form"}


def _applies(text: Text, satellite: bool) -> bool:
    return text.only == "all" or (text.only == "satellite") == satellite


def _wrap(value: str, font: Font, width: int | None) -> list[str]:
    """Greedy word wrap into at most two lines (the rest stays on the second)."""
    if width is None or font.getlength(value) <= width:
        return [value]
    words = value.split()
    first: list[str] = []
    while words and font.getlength(" ".join([*first, words[0]])) <= width:
        first.append(words.pop(0))
    if not first:
        return [value]
    return [" ".join(first), " ".join(words)] if words else [" ".join(first)]


def check_output(out: Path, allowed: tuple[str, ...] = (".png", ".pdf")) -> None:
    """Refuse an output file of another kind before any work is done."""
    if out.suffix.lower() not in allowed:
        kinds = " or ".join(allowed)
        raise InputError(f"{out}: write the worksheet to a {kinds} file")


def save_sheet(page: Image.Image, out: Path) -> None:
    """Write one worksheet as a 300 dpi PNG (greyscale) or a one-page letter PDF."""
    check_output(out)
    if out.suffix.lower() == ".png":
        page.save(out, format="PNG", dpi=(DPI, DPI))
    else:
        write_pdf([page], out, DPI)
