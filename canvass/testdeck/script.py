"""The values a test deck asks its writers to copy.

Chosen to exercise the reader where it can fail, not to look like a caucus: across the
deck every digit 0-9 is written in every box position (1-9 in a number's first box,
where a 0 is never written), some fields are left blank (on a form that has zeros
written, "0" is written instead), and some hold the largest number their boxes allow
(9999 in four boxes). The numbers do not follow the sheet's sums; the report therefore
judges each field by its own image (see `canvass/testdeck/compare.py`).

Deterministic: the same layout, sheets and seed give the same script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from canvass.forms.spec import parse_key
from canvass.model import Precinct
from canvass.worksheet.layout import Field, WorksheetLayout

PATTERN = 8
"""Of every PATTERN fields of one width, one is left blank, one holds the largest
number, and the others exercise digits."""


@dataclass(frozen=True)
class ScriptedSheet:
    """One test sheet: its place in the deck (1-based), the precinct whose form it is,
    who is to write it, and each field's value (None: leave it blank)."""

    number: int
    precinct: Precinct
    writer: str | None
    values: dict[str, int | None]


def plan_sheets(
    precincts: Sequence[Precinct], count: int | None, writers: Sequence[str]
) -> list[tuple[Precinct, str | None]]:
    """(precinct, writer) per sheet: one sheet per precinct by default, or `count`
    sheets going round the precincts; writers take sheets in turn."""
    total = len(precincts) if count is None else count
    return [
        (precincts[i % len(precincts)], writers[i % len(writers)] if writers else None)
        for i in range(total)
    ]


def script_deck(
    layout: WorksheetLayout, sheets: Sequence[tuple[Precinct, str | None]], seed: int
) -> list[ScriptedSheet]:
    """The script of every sheet of a deck (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    widths = sorted({len(f.boxes) for f in (*layout.fields, *layout.satellite_fields)})
    digits = _DigitCycle(rng, widths)
    seen: dict[int, int] = dict.fromkeys(widths, int(rng.integers(PATTERN)))
    scripted = []
    for number, (precinct, writer) in enumerate(sheets, start=1):
        values: dict[str, int | None] = {}
        for f in layout.sheet_fields(precinct.satellite):
            width = len(f.boxes)
            values[f.key] = _value(layout, f, seen[width], digits)
            seen[width] += 1
        scripted.append(ScriptedSheet(number, precinct, writer, values))
    return scripted


def _value(layout: WorksheetLayout, f: Field, index: int, digits: _DigitCycle) -> int | None:
    width = len(f.boxes)
    slot = index % PATTERN
    if slot == 0:
        return 0 if _zero_written(layout, f.key) else None
    if slot == 1:
        return 10**width - 1
    length = width - index % width
    return digits.number(width, length)


def _zero_written(layout: WorksheetLayout, key: str) -> bool:
    """The form has a zero written as "0" in this field (never left blank)."""
    spec = layout.spec
    return key in spec.always_written or parse_key(key)[0] in spec.always_written


class _DigitCycle:
    """Per (field width, box position from the right), the digits in a shuffled order,
    over and over: ten numbers of a width and length write all ten digits in each of
    their boxes (1-9 in the first box, nine numbers)."""

    def __init__(self, rng: np.random.Generator, widths: Sequence[int]):
        self._orders = {
            (w, p): [int(d) for d in rng.permutation(10)] for w in widths for p in range(w)
        }
        self._firsts = {
            (w, p): [int(d) + 1 for d in rng.permutation(9)] for w in widths for p in range(w)
        }
        self._turns: dict[tuple[int, int], int] = {}

    def number(self, width: int, length: int) -> int:
        text = ""
        for position in range(length - 1, -1, -1):
            first = position == length - 1 and length > 1
            slot = (width, position if not first else -1 - position)
            turn = self._turns.get(slot, 0)
            self._turns[slot] = turn + 1
            order = self._firsts[(width, position)] if first else self._orders[(width, position)]
            text += str(order[turn % len(order)])
        return int(text)


def coverage(layout: WorksheetLayout, sheets: Sequence[ScriptedSheet]) -> dict[str, list[int]]:
    """Per field width and box position (`"4 boxes, box 1 from the right"`), the digits
    that could be written there and the deck has not: what a deck too small leaves
    untested (a number never starts with 0, so the first box of a field never holds one)."""
    written: dict[tuple[int, int], set[int]] = {}
    for sheet in sheets:
        for f in layout.sheet_fields(sheet.precinct.satellite):
            value = sheet.values.get(f.key)
            width = len(f.boxes)
            for p in range(width):
                written.setdefault((width, p), set())
            if value is None:
                continue
            for p, ch in enumerate(reversed(str(value))):
                written[(width, p)].add(int(ch))
    missing = {}
    for (w, p), digits in sorted(written.items()):
        possible = set(range(1, 10)) if p == w - 1 and w > 1 else set(range(10))
        if possible - digits:
            missing[f"{w} boxes, box {p + 1} from the right"] = sorted(possible - digits)
    return missing
