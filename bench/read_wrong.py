"""The wrong values a report could carry, by kind, and how many the paper would verify.

A report is typed, read or transferred by people and machines; the failures that matter are
wrong numbers that look like the right one. The classic kinds (measured since session 2):
a digit turned into its usual confusion, two digits transposed, off by one, the leading
digit dropped. Since issue 20, the kinds Indonesia's 2024 OCR of tally photos (Sirekap)
was seen to publish: a leading digit inserted (25 read as 825, 117 as 617 is the same with
a digit changed), a digit doubled (25 as 225 or 255), and the value of the neighbouring
row or column of the same sheet (a reading or a transcription one line or one column off).

Each wrong value is tried once per field however many kinds it belongs to; each kind
counts every value of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.read_results import CONFUSED, FieldSample
from bench.read_stats import upper_bound
from canvass.forms.spec import parse_key

CLASSIC = ("confusable digit", "transposed", "off by one", "leading digit dropped")
SIREKAP = ("leading digit inserted", "digit doubled", "neighbouring row", "neighbouring column")
KINDS = CLASSIC + SIREKAP
Supporter = Callable[[str, int], float]


@dataclass(frozen=True)
class Neighbours:
    """The values written in the fields beside one field: the same column one row up or
    down (`rows`), the same row one column left or right (`columns`)."""

    rows: tuple[int, ...] = ()
    columns: tuple[int, ...] = ()


def neighbours_of(fields: Sequence[FieldSample]) -> dict[str, Neighbours]:
    """Each field's neighbours on its sheet. `fields` come in the layout's order (row by
    row, left to right); a field's row is its key's (header fields and a totals row share
    the row None)."""
    by_column: dict[str, list[FieldSample]] = {}
    by_row: dict[str | None, list[FieldSample]] = {}
    for s in fields:
        column, row = parse_key(s.key)
        by_row.setdefault(row, []).append(s)
        if row is not None:
            by_column.setdefault(column, []).append(s)
    out: dict[str, Neighbours] = {}
    for s in fields:
        column, row = parse_key(s.key)
        above_below = _beside(by_column.get(column, []), s) if row is not None else ()
        out[s.key] = Neighbours(above_below, _beside(by_row[row], s))
    return out


def _beside(line: list[FieldSample], s: FieldSample) -> tuple[int, ...]:
    at = line.index(s)
    return tuple(line[i].truth for i in (at - 1, at + 1) if 0 <= i < len(line))


def wrong_values(truth: int, boxes: int, beside: Neighbours) -> dict[int, list[str]]:
    """Every wrong value a report could carry for a field showing `truth` in `boxes` digit
    boxes, with the kinds it belongs to (only values that fit the boxes)."""
    text = str(truth)
    kinds: dict[int, list[str]] = {}

    def add(value: int, kind: str) -> None:
        if value != truth and value >= 0 and len(str(value)) <= boxes:
            kinds.setdefault(value, [])
            if kind not in kinds[value]:
                kinds[value].append(kind)

    for i, ch in enumerate(text):
        add(int(text[:i] + str(CONFUSED[int(ch)]) + text[i + 1 :]), "confusable digit")
    if len(text) >= 2:
        add(int(text[:-2] + text[-1] + text[-2]), "transposed")
        add(int(text[1:]), "leading digit dropped")
    add(truth + 1, "off by one")
    add(max(0, truth - 1), "off by one")
    if truth:
        for lead in range(1, 10):
            add(int(str(lead) + text), "leading digit inserted")
        for i in range(len(text)):
            add(int(text[: i + 1] + text[i:]), "digit doubled")
    for value in beside.rows:
        add(value, "neighbouring row")
    for value in beside.columns:
        add(value, "neighbouring column")
    return kinds


@dataclass
class WrongTally:
    """How many wrong values were tried and verified: all, the classic kinds, each kind."""

    tried: int = 0
    verified: int = 0
    classic_tried: int = 0
    classic_verified: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in KINDS})
    examples: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kinds: list[str], verified: bool, example: dict[str, Any]) -> None:
        self.tried += 1
        self.verified += verified
        classic = any(k in CLASSIC for k in kinds)
        self.classic_tried += classic
        self.classic_verified += classic and verified
        for k in kinds:
            self.by_kind[k][0] += 1
            self.by_kind[k][1] += verified
        if verified and len(self.examples) < 20:
            self.examples.append({**example, "kinds": kinds})

    def figures(self) -> dict[str, Any]:
        """The counts, each with its one-sided 95% upper bound."""
        return {
            # the classic kinds keep the names the README's tables have always used
            "wrong_values": self.classic_tried,
            "wrong_verified": self.classic_verified,
            "wrong_verified_rate": self.classic_verified / (self.classic_tried or 1),
            "wrong_verified_bound": upper_bound(self.classic_verified, self.classic_tried),
            "all_wrong_values": self.tried,
            "all_wrong_verified": self.verified,
            "all_wrong_verified_bound": upper_bound(self.verified, self.tried),
            "by_kind": {
                k: {"tried": t, "verified": v, "bound": upper_bound(v, t)}
                for k, (t, v) in self.by_kind.items()
            },
            "verified_examples": self.examples,
        }


def tally_wrong(
    fields: Sequence[FieldSample], support: Supporter, threshold: float, tally: WrongTally
) -> None:
    """Try every wrong value of every field of one sheet against `support`."""
    beside = neighbours_of(fields)
    for s in fields:
        for value, kinds in wrong_values(s.truth, len(s.rows), beside[s.key]).items():
            example = {"photo": s.photo, "key": s.key, "truth": s.truth, "value": value}
            tally.count(kinds, support(s.key, value) >= threshold, example)
