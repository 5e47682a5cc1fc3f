"""The worksheet form as data: where every marker, digit box, label and line sits.

One `WorksheetLayout` per election, built from the election's form (`canvass.forms`: its
header fields, columns and totals row) and rule set (the instructions and the notes printed
on the sheet), with one row per candidate or ballot line in ballot order; versioned by its
form id. The renderer draws exactly this description and the reader looks for ink exactly
where it says, so the geometry lives here and nowhere else. Coordinates are pixels of the
rendered page: US letter at 300 dpi (2550 x 3300), origin top-left.

Text items may hold placeholders the renderer fills per precinct: `{election_name}`,
`{precinct_name}`, `{precinct_id}`, `{county}`, `{form}`, and `{delegates}` on a form that
has the satellite-only `delegates_to_elect` field (regular precincts get it printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from canvass.errors import InputError
from canvass.forms.registry import form_of, rules_of
from canvass.forms.rules import RuleSet
from canvass.forms.spec import Column, FormSpec, HeaderField, key_of
from canvass.model import Election

FORM_VERSION = 1
DPI = 300
PAGE_WIDTH = 2550  # 8.5 in
PAGE_HEIGHT = 3300  # 11 in
ARUCO_DICTIONARY = "DICT_4X4_50"
MARKER_SIZE = 150
MARKER_MARGIN = 75  # white quiet zone between a marker and the page edge
BOX = 90  # a digit box: 0.3 in, room for a handwritten digit
BOX_GAP = 0  # digit boxes of one field share their borders, like a comb
LEFT = 150
RIGHT = PAGE_WIDTH - 150
HEADER_TITLE_Y = 690  # header fields: title, comb, note under it
HEADER_Y = 740
HEADER_NOTE_Y = 842
INSTRUCTIONS_Y = 885
TABLE_TOP = 1120
TABLE_BOTTOM = 2620
MAX_ROW_PITCH = 108
MIN_BOX = 60
NAME_GAP = 50  # between the longest row name and the first column's boxes
CHECKBOX = 70
TOTALS_RULE = 4  # the rule above a totals row, black and this wide

Only = Literal["all", "precinct", "satellite"]

PRINTED_PLACEHOLDERS = {"delegates_to_elect": "delegates"}
"""A satellite-only header field whose number regular precincts get printed: the
renderer's placeholder for that number (the precinct's attribute of the field's name)."""

SIGNERS: dict[str, tuple[str, ...]] = {
    "caucus-math-worksheet": (
        "Precinct chair",
        "Secretary",
        *("Campaign representative (campaign, name)",) * 4,
    ),
}
"""Who signs each form, in the order of SIGNATURE_PLACES (any other form: four officials)."""
DEFAULT_SIGNERS = ("Precinct election official",) * 4
SIGNATURE_PLACES = (
    (LEFT, 2880, 1150),
    (1350, 2880, 2350),
    (LEFT, 2990, 1150),
    (1350, 2990, 2350),
    (300, 3100, 1150),
    (1350, 3100, 2250),
)
"""(x, y, end of the line) of each signature line."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in page pixels."""

    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def overlaps(self, other: Box) -> bool:
        """True when the interiors intersect (shared borders do not count)."""
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True)
class Marker:
    """An ArUco marker; `corners` run clockwise from top-left, as cv2.aruco reports them."""

    id: int
    box: Box

    @property
    def corners(self) -> tuple[tuple[int, int], ...]:
        b = self.box
        return ((b.x, b.y), (b.x + b.w, b.y), (b.x + b.w, b.y + b.h), (b.x, b.y + b.h))


@dataclass(frozen=True)
class Field:
    """One number on the sheet: its key (docs/contracts.md section 1) and its digit boxes, left to
    right. A number is written right-aligned, one digit a box."""

    key: str
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class Text:
    """A printed label; `anchor` is Pillow's (e.g. "la" left-ascender, "ra", "lm").
    `max_width` shrinks (then wraps to two lines) text that would not fit."""

    x: int
    y: int
    text: str
    size: int
    bold: bool = False
    anchor: str = "la"
    max_width: int | None = None
    only: Only = "all"


@dataclass(frozen=True)
class Line:
    """A printed rule (signature lines, row separators); `grey` 0 is black."""

    x0: int
    y0: int
    x1: int
    y1: int
    width: int = 3
    grey: int = 0


@dataclass(frozen=True)
class WorksheetLayout:
    """Everything printed on the form, for one election's rows (`candidates`).

    `fields` are the digit fields every sheet has, in the order a person fills them (the
    header, then row by row, the totals row last); `satellite_fields` hold boxes drawn only
    on satellite sheets (their delegates follow attendance), where regular precincts get the
    number pre-printed instead; `checkboxes` are the tick boxes (`coin_toss.<Candidate>`).
    `spec` is the form the layout draws: what the keys mean is asked of it, never parsed
    here.
    """

    form: str
    election: str
    candidates: tuple[str, ...]
    width: int
    height: int
    markers: tuple[Marker, ...]
    fields: tuple[Field, ...]
    satellite_fields: tuple[Field, ...]
    checkboxes: tuple[Field, ...]
    qr: Box
    texts: tuple[Text, ...]
    lines: tuple[Line, ...]
    spec: FormSpec = field(compare=False, repr=False)

    @property
    def combs(self) -> tuple[Field, ...]:
        """Every digit field, on any sheet: `fields`, then `satellite_fields`."""
        return (*self.fields, *self.satellite_fields)

    @property
    def delegates_to_elect(self) -> Field:
        """The satellite sheets' `delegates_to_elect` field; a field without boxes on a form
        that has none (kept for callers written for the caucus sheet: prefer `combs`)."""
        found = next((f for f in self.satellite_fields if f.key == "delegates_to_elect"), None)
        return found or Field("delegates_to_elect", ())

    def sheet_fields(self, satellite: bool) -> tuple[Field, ...]:
        """The digit fields of a satellite's or a regular precinct's sheet, in the order a
        person fills them: the header fields in the form's order, then the table row by
        row."""
        on_sheet = self.combs if satellite else self.fields
        header = [h.key for h in self.spec.header]
        by_key = {f.key: f for f in on_sheet}
        head = [by_key[k] for k in header if k in by_key]
        return (*head, *(f for f in self.fields if f.key not in header))

    def field(self, key: str) -> Field:
        """The digit field, the satellite field or the checkbox `key`."""
        for f in (*self.fields, *self.satellite_fields, *self.checkboxes):
            if f.key == key:
                return f
        raise KeyError(key)

    def to_contract(self) -> dict[str, Any]:
        """docs/contracts.md section 5, extended with optional keys `qr`, `checkboxes` and
        `satellite_fields` (the README says so)."""
        return {
            "form": self.form,
            "page": {"width": self.width, "height": self.height},
            "markers": [
                {"id": m.id, "corners": [list(c) for c in m.corners]} for m in self.markers
            ],
            "fields": {f.key: {"boxes": [b.as_list() for b in f.boxes]} for f in self.fields},
            "qr": self.qr.as_list(),
            "checkboxes": {c.key: c.boxes[0].as_list() for c in self.checkboxes},
            "satellite_fields": {
                f.key: {"boxes": [b.as_list() for b in f.boxes]} for f in self.satellite_fields
            },
        }


def form_id(election: Election) -> str:
    """`ws-<election id>-v<version>`: names the form a sheet was printed from."""
    return f"ws-{election.id}-v{FORM_VERSION}"


def build_layout(election: Election) -> WorksheetLayout:
    """The form for `election` (`form_of(election)`, printed with `rules_of(election)`):
    its header fields, then one row per candidate in ballot order, then the totals row."""
    spec, rules = form_of(election), rules_of(election)
    rows = list(election.candidates)
    lines_in_table = len(rows) + (spec.totals_row is not None)
    pitch, box = _row_geometry(lines_in_table)
    fields: list[Field] = []
    satellite: list[Field] = []
    for h in spec.header:
        comb = _comb(h.key, h.x, HEADER_Y, h.digits)
        (satellite if h.only == "satellite" else fields).append(comb)
    checkboxes: list[Field] = []
    texts = [*_header_texts(spec, rules), *_table_header_texts(spec)]
    lines: list[Line] = []
    name_width = min(c.x for c in spec.columns) - LEFT - NAME_GAP
    for i, name in enumerate([*rows, None]):
        if name is None and spec.totals_row is None:
            break
        y = TABLE_TOP + i * pitch
        for column in spec.columns:
            key = key_of(column.name, name)
            if column.tick:
                if name is not None:
                    checkboxes.append(_checkbox(key, column, y, box))
            else:
                fields.append(_comb(key, column.x, y, column.digits, box))
        label = name if name is not None else spec.totals_row or ""
        size = min(44, box // 2)
        texts.append(
            Text(LEFT + 10, y + box // 2, label, size, name is None, "lm", max_width=name_width)
        )
        rule = y + box + (pitch - box) // 2
        heavy = spec.totals_row is not None and i == len(rows) - 1
        lines.append(
            Line(LEFT, rule, RIGHT, rule, TOTALS_RULE, 0)
            if heavy
            else Line(LEFT, rule, RIGHT, rule, 2, 200)
        )
    footer_texts, footer_lines = _footer(spec, bool(checkboxes))
    return WorksheetLayout(
        form=form_id(election),
        election=election.id,
        candidates=election.candidates,
        width=PAGE_WIDTH,
        height=PAGE_HEIGHT,
        markers=_markers(),
        fields=tuple(fields),
        satellite_fields=tuple(satellite),
        checkboxes=tuple(checkboxes),
        qr=Box(2010, 270, 360, 360),
        texts=tuple(texts + footer_texts),
        lines=tuple(lines + footer_lines),
        spec=spec,
    )


def _row_geometry(rows: int) -> tuple[int, int]:
    """Row pitch and box size that fit `rows` rows (a totals row counts) in the table area."""
    pitch = min(MAX_ROW_PITCH, (TABLE_BOTTOM - TABLE_TOP) // max(rows, 1))
    box = min(BOX, pitch - 12)
    if box < MIN_BOX:
        most = (TABLE_BOTTOM - TABLE_TOP) // (MIN_BOX + 12)
        raise InputError(
            f"{rows} rows do not fit on one worksheet (at most {most}); "
            "merge minor candidates into 'Other' in the election file"
        )
    return pitch, box


def _comb(key: str, x: int, y: int, count: int, size: int = BOX) -> Field:
    return Field(key, tuple(Box(x + i * (size + BOX_GAP), y, size, size) for i in range(count)))


def _checkbox(key: str, column: Column, y: int, box: int) -> Field:
    tick = min(CHECKBOX, box)
    return Field(key, (Box(column.x, y + (box - tick) // 2, tick, tick),))


def _markers() -> tuple[Marker, ...]:
    near, far_x = MARKER_MARGIN, PAGE_WIDTH - MARKER_MARGIN - MARKER_SIZE
    far_y = PAGE_HEIGHT - MARKER_MARGIN - MARKER_SIZE
    places = ((near, near), (far_x, near), (far_x, far_y), (near, far_y))
    return tuple(Marker(i, Box(x, y, MARKER_SIZE, MARKER_SIZE)) for i, (x, y) in enumerate(places))


def _header_texts(spec: FormSpec, rules: RuleSet) -> list[Text]:
    notes = rules.printed_notes()
    texts = [
        Text(300, 85, spec.title, 64, bold=True),
        Text(300, 165, "{election_name}", 40, max_width=1900),
        Text(LEFT, 262, "Precinct, {county}", 34),
        Text(LEFT, 305, "{precinct_name}", 56, bold=True, max_width=1800),
        Text(LEFT, 445, "Precinct id", 34),
        Text(LEFT, 488, "{precinct_id}", 110, max_width=1800),
        Text(2370, 645, "form {form}", 26, anchor="ra"),
    ]
    for h in spec.header:
        texts += _header_field_texts(h, h.note or notes.get(h.key))
    texts += [
        Text(LEFT, INSTRUCTIONS_Y + 40 * i, line, 28, max_width=RIGHT - LEFT)
        for i, line in enumerate(rules.instructions)
    ]
    return texts


def _header_field_texts(h: HeaderField, note: str | None) -> list[Text]:
    """A header field's title above its comb, and the note under it. A satellite-only
    field is printed on regular precincts' sheets (its placeholder) instead of its boxes."""
    texts = [Text(h.x, HEADER_TITLE_Y, h.title, 32, bold=True)]
    if h.only == "satellite":
        placeholder = PRINTED_PLACEHOLDERS.get(h.key, h.key)
        texts.append(Text(h.x, HEADER_Y, f"{{{placeholder}}}", 80, bold=True, only="precinct"))
        texts.append(Text(h.x + 200, HEADER_Y + 20, "write the number", 26, only="satellite"))
    if note:
        texts.append(Text(h.x, HEADER_NOTE_Y, note, 24, only=h.only))
    return texts


def _table_header_texts(spec: FormSpec) -> list[Text]:
    """The row heading and each column's heading (one or two lines, the last on `y`)."""
    y, above = 1050, 1015
    texts = [Text(LEFT + 10, y, spec.row_heading, 30, bold=True)]
    for column in spec.columns:
        x, anchor = (column.x + CHECKBOX // 2, "ma") if column.tick else (column.x, "la")
        heading = column.heading[-2:]
        tops = [above, y][-len(heading) :]
        texts += [
            Text(x, top, line, 30, True, anchor) for top, line in zip(tops, heading, strict=True)
        ]
    return texts


def _footer(spec: FormSpec, ticks: bool) -> tuple[list[Text], list[Line]]:
    """The footer: on a form with tick boxes (the coin toss), its first line is the toss
    written out ("won by ... over ..."); the last is the statement above the signatures."""
    texts: list[Text] = []
    lines: list[Line] = []
    if ticks and len(spec.footer) >= 2:
        texts += [
            Text(LEFT, 2650, spec.footer[0], 32, bold=True),
            Text(1260, 2650, "over", 32, bold=True),
        ]
        lines += [Line(460, 2690, 1230, 2690), Line(1350, 2690, 2250, 2690)]
    if spec.footer:
        texts.append(Text(LEFT, 2740, spec.footer[-1], 30))
    signers = SIGNERS.get(spec.id, DEFAULT_SIGNERS)
    for (x, y, end), label in zip(SIGNATURE_PLACES, signers, strict=False):
        texts.append(Text(x, y + 8, label, 24))
        lines.append(Line(x, y, end, y))
    texts.append(
        Text(300, 3235, "Printed by canvass. Do not fold across the boxes or the corner marks.", 22)
    )
    return texts, lines
