"""Draw a precinct's blank worksheet from its `WorksheetLayout`, as PNG or PDF.

The renderer only draws what the layout describes. Digit boxes are thin dark-grey lines
(grey 70, 3 px): dark enough to survive a phone photo, thin enough that a reader which
knows the box positions can step inside them to find the ink. The page is greyscale;
markers and the QR code are pure black on white.

A `WorksheetRenderer` keeps the precinct-independent page (one per kind of sheet:
precinct or satellite), so printing a county or generating photos draws it once.
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

    def render(self, precinct: Precinct) -> Image.Image:
        """The precinct's blank worksheet: a greyscale ("L") page at 300 dpi."""
        page = self._base(precinct.satellite).copy()
        draw = ImageDraw.Draw(page)
        values = self._values(precinct)
        for text in self.layout.texts:
            if not _is_static(text) and _applies(text, precinct.satellite):
                self._draw_text(draw, text, text.text.format(**values))
        identity = SheetIdentity(self.election.id, precinct.id, self.layout.form)
        qr = self.layout.qr
        page.paste(Image.fromarray(qr_image(identity.payload(), qr.w)), (qr.x, qr.y))
        return page

    def render_array(self, precinct: Precinct) -> NDArray[np.uint8]:
        """`render` as a greyscale numpy array (for the photo generator)."""
        return np.asarray(self.render(precinct), dtype=np.uint8)

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
