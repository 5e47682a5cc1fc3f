"""A test deck on paper: per sheet, the test worksheet and its script page.

The test worksheet is the real form with the test marks (`WorksheetRenderer.render(...,
test=CODE)`); the script page says which sheet it goes with, who writes it, and every
number to copy, in the order a person fills the form, with "leave blank" where nothing
is to be written. Pages stream to a letter PDF like a county's worksheets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from canvass.model import Election, Precinct
from canvass.worksheet.layout import DPI, WorksheetLayout
from canvass.worksheet.pdf import write_pdf
from canvass.worksheet.render import FONT_DIR, WorksheetRenderer, display_name

MARGIN = 150
ROW = 92
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def write_deck(
    election: Election,
    layout: WorksheetLayout,
    county: str,
    sheets: Sequence[tuple[int, Precinct, str | None, str, dict[str, int | None]]],
    out: Path,
) -> int:
    """Write the deck (number, precinct, writer, code, values per sheet) to `out` (PDF);
    returns the number of pages."""
    return write_pdf(_pages(election, layout, county, sheets), out, DPI)


def _pages(
    election: Election,
    layout: WorksheetLayout,
    county: str,
    sheets: Sequence[tuple[int, Precinct, str | None, str, dict[str, int | None]]],
) -> Iterator[Image.Image]:
    renderer = WorksheetRenderer(layout, election)
    for number, precinct, writer, code, values in sheets:
        yield renderer.render(precinct, test=code)
        yield script_page(layout, county, len(sheets), (number, precinct, writer, code, values))


def script_page(
    layout: WorksheetLayout,
    county: str,
    total: int,
    sheet: tuple[int, Precinct, str | None, str, dict[str, int | None]],
) -> Image.Image:
    """The script of one test sheet, as a letter page at 300 dpi."""
    number, precinct, writer, code, values = sheet
    page = Image.new("L", (layout.width, layout.height), 255)
    draw = ImageDraw.Draw(page)
    big, normal, bold = _font(72, True), _font(40, False), _font(44, True)
    y = MARGIN
    draw.text((MARGIN, y), f"TEST SCRIPT - sheet {code}", font=big, fill=0)
    y += 110
    head = (
        f"{county} test deck, sheet {number} of {total}. Form of {precinct.id} "
        f"({display_name(precinct.name)})."
    )
    draw.text((MARGIN, y), head, font=normal, fill=0)
    y += 60
    draw.text((MARGIN, y), f"Written by: {writer or '____________________'}", font=normal, fill=0)
    y += 80
    for line in (
        "Copy each number into its boxes on the test sheet with the same code, one digit",
        "per box, right-aligned, in your own hand and pen. Leave the fields marked",
        '"leave blank" empty. Then photograph the sheet with your phone and upload it.',
    ):
        draw.text((MARGIN, y), line, font=normal, fill=0)
        y += 52
    y += 40
    _entries(draw, layout, values, y, normal, bold)
    return page


def _entries(
    draw: ImageDraw.ImageDraw,
    layout: WorksheetLayout,
    values: dict[str, int | None],
    top: int,
    normal: Font,
    bold: Font,
) -> None:
    """The values in two columns of (field, number) rows, in the order they are written."""
    keys = list(values)
    per_column = -(-len(keys) // 2)
    width = (layout.width - 2 * MARGIN) // 2
    for i, key in enumerate(keys):
        column, row = divmod(i, per_column)
        x = MARGIN + column * width
        y = top + row * ROW
        value = values[key]
        draw.text((x, y), layout.spec.label(key), font=normal, fill=0)
        shown = "leave blank" if value is None else str(value)
        draw.text((x + width - 60, y), shown, font=bold, fill=0, anchor="ra")
        draw.line((x, y + ROW - 20, x + width - 60, y + ROW - 20), fill=120, width=2)


def _font(size: int, bold: bool) -> Font:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)
