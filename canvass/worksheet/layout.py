"""The worksheet form as data: where every marker, digit box, label and line sits.

One `WorksheetLayout` per election (its candidate rows in ballot order), versioned by its
form id. The renderer draws exactly this description and the reader looks for ink exactly
where it says, so the geometry lives here and nowhere else. Coordinates are pixels of the
rendered page: US letter at 300 dpi (2550 x 3300), origin top-left.

Text items may hold placeholders the renderer fills per precinct: `{election_name}`,
`{precinct_name}`, `{precinct_id}`, `{county}`, `{delegates}`, `{form}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from canvass.errors import InputError
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
ATTENDEE_BOXES = 4
THRESHOLD_BOXES = 3
ALIGNMENT_BOXES = 4
DELEGATE_BOXES = 2
LEFT = 150
RIGHT = PAGE_WIDTH - 150
TABLE_TOP = 1120
TABLE_BOTTOM = 2620
MAX_ROW_PITCH = 108
MIN_BOX = 60
COLUMNS = {"name": LEFT, "first": 760, "final": 1220, "county_delegates": 1680, "coin": 2010}
CHECKBOX = 70

Only = Literal["all", "precinct", "satellite"]
INSTRUCTIONS = (
    "Write one digit per box, right-aligned; leave unused boxes empty. "
    "Leave a group's row blank when it has no members.",
    "Viability threshold = attendees x the fraction above, rounded up. "
    "Delegates = members x delegates / attendees, .5 rounds up.",
    "A tie on the decimal is settled by a coin toss: tick the winner's box "
    "and write the toss below.",
)


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
    """Everything printed on the form, for one election's candidates.

    `delegates_to_elect` holds boxes drawn only on satellite sheets (they elect delegates by
    attendance); regular precincts get the number pre-printed there instead.
    `checkboxes` are the "won coin toss" ticks, keyed `coin_toss.<Candidate>`.
    """

    form: str
    election: str
    candidates: tuple[str, ...]
    width: int
    height: int
    markers: tuple[Marker, ...]
    fields: tuple[Field, ...]
    delegates_to_elect: Field
    checkboxes: tuple[Field, ...]
    qr: Box
    texts: tuple[Text, ...]
    lines: tuple[Line, ...]

    def field(self, key: str) -> Field:
        """The digit field, the satellite `delegates_to_elect` field or the checkbox `key`."""
        for f in (*self.fields, self.delegates_to_elect, *self.checkboxes):
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
                self.delegates_to_elect.key: {
                    "boxes": [b.as_list() for b in self.delegates_to_elect.boxes]
                }
            },
        }


def form_id(election: Election) -> str:
    """`ws-<election id>-v<version>`: names the form a sheet was printed from."""
    return f"ws-{election.id}-v{FORM_VERSION}"


def build_layout(election: Election) -> WorksheetLayout:
    """The form for `election`: one row per candidate, in ballot order."""
    pitch, box = _row_geometry(len(election.candidates))
    rows = [TABLE_TOP + i * pitch for i in range(len(election.candidates))]
    fields = [
        _comb("attendees", 800, 740, ATTENDEE_BOXES),
        _comb("viability_threshold", 1450, 740, THRESHOLD_BOXES),
    ]
    checkboxes: list[Field] = []
    texts = [*_header_texts(), *_table_header_texts()]
    lines: list[Line] = []
    for name, y in zip(election.candidates, rows, strict=True):
        fields.append(_comb(f"first.{name}", COLUMNS["first"], y, ALIGNMENT_BOXES, box))
        fields.append(_comb(f"final.{name}", COLUMNS["final"], y, ALIGNMENT_BOXES, box))
        fields.append(
            _comb(f"county_delegates.{name}", COLUMNS["county_delegates"], y, DELEGATE_BOXES, box)
        )
        tick = min(CHECKBOX, box)
        checkboxes.append(
            Field(f"coin_toss.{name}", (Box(COLUMNS["coin"], y + (box - tick) // 2, tick, tick),))
        )
        texts.append(
            Text(LEFT + 10, y + box // 2, name, min(44, box // 2), anchor="lm", max_width=560)
        )
        lines.append(
            Line(LEFT, y + box + (pitch - box) // 2, RIGHT, y + box + (pitch - box) // 2, 2, 200)
        )
    return WorksheetLayout(
        form=form_id(election),
        election=election.id,
        candidates=election.candidates,
        width=PAGE_WIDTH,
        height=PAGE_HEIGHT,
        markers=_markers(),
        fields=tuple(fields),
        delegates_to_elect=_comb("delegates_to_elect", LEFT, 740, DELEGATE_BOXES),
        checkboxes=tuple(checkboxes),
        qr=Box(2010, 270, 360, 360),
        texts=tuple(texts + _footer_texts()),
        lines=tuple(lines + _signature_lines()),
    )


def _row_geometry(candidates: int) -> tuple[int, int]:
    """Row pitch and box size that fit `candidates` rows in the table area."""
    pitch = min(MAX_ROW_PITCH, (TABLE_BOTTOM - TABLE_TOP) // max(candidates, 1))
    box = min(BOX, pitch - 12)
    if box < MIN_BOX:
        most = (TABLE_BOTTOM - TABLE_TOP) // (MIN_BOX + 12)
        raise InputError(
            f"{candidates} candidates do not fit on one worksheet (at most {most}); "
            "merge minor candidates into 'Other' in the election file"
        )
    return pitch, box


def _comb(key: str, x: int, y: int, count: int, size: int = BOX) -> Field:
    return Field(key, tuple(Box(x + i * (size + BOX_GAP), y, size, size) for i in range(count)))


def _markers() -> tuple[Marker, ...]:
    near, far_x = MARKER_MARGIN, PAGE_WIDTH - MARKER_MARGIN - MARKER_SIZE
    far_y = PAGE_HEIGHT - MARKER_MARGIN - MARKER_SIZE
    places = ((near, near), (far_x, near), (far_x, far_y), (near, far_y))
    return tuple(Marker(i, Box(x, y, MARKER_SIZE, MARKER_SIZE)) for i, (x, y) in enumerate(places))


def _header_texts() -> list[Text]:
    satellite_rule = "by attendance: 1-20: 4, 21-40: 5, 41-60: 6, 61-80: 7, 81-100: 8, more: 9"
    return [
        Text(300, 85, "Caucus Math Worksheet", 64, bold=True),
        Text(300, 165, "{election_name}", 40, max_width=1900),
        Text(LEFT, 262, "Precinct, {county}", 34),
        Text(LEFT, 305, "{precinct_name}", 56, bold=True, max_width=1800),
        Text(LEFT, 445, "Precinct id", 34),
        Text(LEFT, 488, "{precinct_id}", 110, max_width=1800),
        Text(2370, 645, "form {form}", 26, anchor="ra"),
        Text(LEFT, 690, "Delegates to elect", 32, bold=True),
        Text(LEFT, 740, "{delegates}", 80, bold=True, only="precinct"),
        Text(LEFT + 200, 760, "write the number", 26, only="satellite"),
        Text(LEFT, 842, satellite_rule, 24, only="satellite"),
        Text(800, 690, "Attendees at start", 32, bold=True),
        Text(1450, 690, "Viability threshold", 32, bold=True),
        Text(1450, 842, "15% (4+ delegates), 1/6 (3), 25% (2), over half (1)", 24),
        *(
            Text(LEFT, 885 + 40 * i, line, 28, max_width=RIGHT - LEFT)
            for i, line in enumerate(INSTRUCTIONS)
        ),
    ]


def _table_header_texts() -> list[Text]:
    y, above = 1050, 1015
    return [
        Text(LEFT + 10, y, "Candidate / group", 30, bold=True),
        Text(COLUMNS["first"], y, "First alignment", 30, bold=True),
        Text(COLUMNS["final"], y, "Final alignment", 30, bold=True),
        Text(COLUMNS["county_delegates"], above, "County", 30, bold=True),
        Text(COLUMNS["county_delegates"], y, "delegates", 30, bold=True),
        Text(COLUMNS["coin"] + CHECKBOX // 2, above, "Won coin", 30, bold=True, anchor="ma"),
        Text(COLUMNS["coin"] + CHECKBOX // 2, y, "toss", 30, bold=True, anchor="ma"),
    ]


def _footer_texts() -> list[Text]:
    labels = [
        (LEFT, 2880, "Precinct chair"),
        (1350, 2880, "Secretary"),
        (LEFT, 2990, "Campaign representative (campaign, name)"),
        (1350, 2990, "Campaign representative (campaign, name)"),
        (300, 3100, "Campaign representative (campaign, name)"),
        (1350, 3100, "Campaign representative (campaign, name)"),
    ]
    return [
        Text(LEFT, 2650, "Coin toss: won by", 32, bold=True),
        Text(1260, 2650, "over", 32, bold=True),
        Text(LEFT, 2740, "Signatures: this worksheet is the legal record of the caucus.", 30),
        *(Text(x, y + 8, label, 24) for x, y, label in labels),
        Text(
            300, 3235, "Printed by canvass. Do not fold across the boxes or the corner marks.", 22
        ),
    ]


def _signature_lines() -> list[Line]:
    return [
        Line(460, 2690, 1230, 2690),
        Line(1350, 2690, 2250, 2690),
        Line(LEFT, 2880, 1150, 2880),
        Line(1350, 2880, 2350, 2880),
        Line(LEFT, 2990, 1150, 2990),
        Line(1350, 2990, 2350, 2990),
        Line(300, 3100, 1150, 3100),
        Line(1350, 3100, 2250, 3100),
    ]
