"""A tally sheet as data: its fields, the sums that tie them together, and its printed words.

A form is a table with a few sheet-level numbers above it (the header) and one row per
candidate or ballot line (the election's `candidates`, in ballot order), optionally closed
by a totals row. Every number on it has a field key:

- a header field, or a totals-row cell: the column's or field's own name (`attendees`,
  `election_day`);
- a row's cell: `<column>.<row>` (`first.Biden`, `absentee.Write-in`). A row name may hold
  dots; a column name never does, so the first dot splits the key.

This module is the only place keys are built and parsed (`key_of`, `parse_key`); every
other layer asks the form. The identities (`Identity`) are what the joint sheet model and
the identity findings use; geometry beyond the columns' order and widths is the layout's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Only = Literal["all", "precinct", "satellite"]
PRINTED = "printed:"
"""Prefix of an identity total that is a number printed on the sheet for the precinct
(its delegates to elect), not a field written by hand."""


def key_of(column: str, row: str | None = None) -> str:
    """The field key of `column` in `row` (None: the header field or the totals-row cell)."""
    return column if row is None else f"{column}.{row}"


def parse_key(key: str) -> tuple[str, str | None]:
    """(column, row) of a field key; row None for a header field or a totals-row cell."""
    column, dot, row = key.partition(".")
    return (column, row) if dot else (column, None)


@dataclass(frozen=True)
class HeaderField:
    """A number above the table. `derived_from`: the rules compute it from that field (the
    written viability threshold, from the attendees), so results never wait for it and
    the rule set relates the two; `only`: boxes printed on some sheets only (a satellite
    writes its delegates; a precinct's are printed)."""

    key: str
    title: str
    digits: int
    x: int
    note: str | None = None
    only: Only = "all"
    derived_from: str | None = None


@dataclass(frozen=True)
class Column:
    """A column of the table: one cell per row. `tick`: a box to tick (1) or leave (0),
    never a count; `heading`: the printed heading, one or two lines."""

    name: str
    title: str
    digits: int
    x: int
    heading: tuple[str, ...]
    tick: bool = False
    in_results: bool = True


@dataclass(frozen=True)
class ColumnSum:
    """A column's rows add up to `total`: a field key, or `printed:<attribute>` for a
    number printed on the sheet. `code`: the finding raised when the paper breaks it.
    `at_most`: a bound, not a sum (the final alignment cannot exceed the attendees);
    bounds check people's keyed numbers but give the joint model no evidence."""

    column: str
    total: str
    code: str
    title: str
    at_most: bool = False


@dataclass(frozen=True)
class RowSum:
    """In every row (and the totals row), the `parts` columns add up to the `total` column."""

    parts: tuple[str, ...]
    total: str
    code: str
    title: str


@dataclass(frozen=True)
class Identity:
    """One sum on one sheet: `parts` add up to the field `total`, or to `constant`
    (`at_most`: they add up to no more than it)."""

    name: str
    code: str
    parts: tuple[str, ...]
    total: str | None = None
    constant: int | None = None
    at_most: bool = False

    def holds(self, values: Mapping[str, int]) -> bool | None:
        """Whether the sheet's `values` satisfy it (None: a number it needs is missing)."""
        if any(p not in values for p in self.parts):
            return None
        right = self.constant if self.total is None else values.get(self.total)
        if right is None:
            return None
        written = sum(values[p] for p in self.parts)
        return written <= right if self.at_most else written == right


@dataclass(frozen=True)
class FormSpec:
    """One kind of tally sheet. `totals_row`: the label of a closing row whose cells are
    the columns' own keys (None: no such row); `identities`: in order of strength for the
    joint model (the ones that would close a loop only raise findings)."""

    id: str
    title: str
    row_heading: str
    header: tuple[HeaderField, ...]
    columns: tuple[Column, ...]
    sums: tuple[ColumnSum | RowSum, ...] = ()
    totals_row: str | None = None
    always_written: tuple[str, ...] = ()
    footer: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def header_field(self, key: str) -> HeaderField | None:
        return next((h for h in self.header if h.key == key), None)

    def count_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.tick)

    def number_keys(self, rows: Sequence[str], satellite: bool | None = None) -> list[str]:
        """Every count on the sheet (no ticks), header first, then column by column.
        `satellite` None lists every header field; else only those printed on that sheet."""
        keys = [h.key for h in self.header if _printed_on(h.only, satellite)]
        for column in self.count_columns():
            keys += [key_of(column.name, r) for r in rows]
            if self.totals_row is not None:
                keys.append(column.name)
        return keys

    def reported_keys(self, rows: Sequence[str]) -> list[str]:
        """The counts compared with the electronic reports: every count printed on every
        sheet (a satellite's own delegates, written only on its sheet, follow from its
        attendance by the rules and are not reported)."""
        keys = [h.key for h in self.header if h.only == "all"]
        return keys + self.number_keys(rows)[len(self.header) :]

    def tick_keys(self, rows: Sequence[str]) -> list[str]:
        return [key_of(c.name, r) for c in self.columns if c.tick for r in rows]

    def identities(
        self, rows: Sequence[str], printed: dict[str, int | None] | None = None
    ) -> list[Identity]:
        """The sums of one sheet; a sum onto a printed number the precinct lacks (a
        satellite's delegates) is left out."""
        found: list[Identity] = []
        for s in self.sums:
            if isinstance(s, RowSum):
                lines: list[str | None] = [*rows, None] if self.totals_row else [*rows]
                for r in lines:
                    name = f"{s.code}:{r or self.totals_row}"
                    parts = tuple(key_of(p, r) for p in s.parts)
                    found.append(Identity(name, s.code, parts, total=key_of(s.total, r)))
                continue
            parts = tuple(key_of(s.column, r) for r in rows)
            if s.total.startswith(PRINTED):
                constant = (printed or {}).get(s.total.removeprefix(PRINTED))
                if constant:  # a precinct electing none, or a satellite: no sum
                    found.append(Identity(s.code, s.code, parts, None, constant, s.at_most))
            else:
                found.append(Identity(s.code, s.code, parts, s.total, None, s.at_most))
        return found

    def label(self, key: str) -> str:
        """What a person calls the field: `First alignment, Biden`, `Absentee, Totals`."""
        column, row = parse_key(key)
        h = self.header_field(key)
        if h is not None:
            return h.title
        c = self.column(column)
        title = c.title if c else column.replace("_", " ").capitalize()
        if row is None:
            return f"{title}, {self.totals_row}" if self.totals_row else title
        return f"{title}, {row}"

    def row_of(self, key: str) -> str | None:
        """The row (candidate or ballot line) a key belongs to; None for the header."""
        column, row = parse_key(key)
        if row is None and self.totals_row is not None and self.column(column) is not None:
            return self.totals_row
        return row

    def digits_of(self, key: str) -> int:
        """How many digit boxes the field has (its largest number is 10**digits - 1)."""
        h = self.header_field(key)
        if h is not None:
            return h.digits
        c = self.column(parse_key(key)[0])
        return c.digits if c is not None and not c.tick else 0

    def is_key(self, key: str, rows: Sequence[str]) -> bool:
        column, row = parse_key(key)
        if row is None:
            return self.header_field(key) is not None or (
                self.totals_row is not None and self.column(column) is not None
            )
        return self.column(column) is not None and row in rows

    def key_help(self) -> str:
        """The keys of this form, in words, for an error message."""
        heads = [h.key for h in self.header]
        cols = [f"{c.name}.<{self.row_heading.split(' ')[0]}>" for c in self.columns]
        totals = [c.name for c in self.count_columns()] if self.totals_row else []
        return ", ".join(heads + cols + totals)


def _printed_on(only: Only, satellite: bool | None) -> bool:
    if satellite is None or only == "all":
        return True
    return (only == "satellite") == satellite
