"""What was read, in plain words, for the person who took the photo.

"Precinct Adair 03SW. First alignment: Sanders 12, Biden 9? ... Is this what your sheet
says?" The words are the form's (`canvass.forms.spec.FormSpec`): a line per header field
(its title), then a line per count column (its title) listing each row's number, and the
totals row's where the form has one ("Absentee: Biden 120, Trump 98, Totals 218"). Blank
fields count as 0 and are left out; a value the reader is unsure of is marked with "?" and
listed again, by column, for a reviewer to check; a refusal is the reader's reason, which
says how to retake the photo.

A precinct the uploader typed is said back when it is not the sheet's: the sheet's QR code
is printed for its precinct and is used (`canvass.stories.uploader` says why); the typed
one is only told back, so the person knows which sheet the numbers are filed under.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canvass.forms.registry import form_of
from canvass.forms.spec import key_of
from canvass.model import Election, FieldReading, SheetReading

QUESTION = "Is this what your sheet says?"


@dataclass(frozen=True)
class ReadBack:
    title: str
    lines: list[str] = field(default_factory=list)
    needs_person: list[str] = field(default_factory=list)
    retake: str | None = None
    question: str | None = None
    precinct_note: str | None = None
    choices: list[dict[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "lines": self.lines,
            "needs_person": self.needs_person,
            "retake": self.retake,
            "question": self.question,
            "precinct_note": self.precinct_note,
            "choices": self.choices,
        }


def precinct_title(election: Election, precinct: str | None) -> str:
    """'Precinct Adair 03SW' (with the id when the short code differs from it)."""
    if precinct is None:
        return "Precinct not known yet"
    known = election.precinct_by_id.get(precinct)
    if known is None:
        return f"Precinct {precinct}"
    if known.satellite:
        return f"Satellite caucus {known.name} ({precinct})"
    return f"Precinct {known.county} {known.short_code or known.name} ({precinct})"


def read_back(reading: SheetReading, election: Election, typed: str | None = None) -> ReadBack:
    """The reading in words; `typed` is the precinct the person asking typed with it."""
    title = precinct_title(election, reading.precinct)
    if reading.test_sheet is not None:
        title = f"TEST sheet {reading.test_sheet}, not a result. {title}"
    if reading.status == "rejected":
        reason = reading.reason or "the photo could not be read"
        return ReadBack("This photo cannot be read", retake=f"{reason[0].upper()}{reason[1:]}.")
    places = field_places(election)
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    unsure: dict[str, list[str]] = {}
    for key, f in reading.fields.items():
        if key not in places:
            continue
        label, row = places[key]
        if f.status in ("uncertain", "unreadable"):
            unsure.setdefault(label, []).append(_unsure(row or "", f))
        if f.status == "blank":
            continue
        shown = _value(f)
        if row is not None:
            groups.setdefault(label, []).append(f"{row} {shown}")
        else:
            lines.append(f"{label}: {shown}")
    for column in form_of(election).count_columns():
        listed = groups.get(column.title, [])
        lines.append(f"{column.title}: {', '.join(listed) or 'nobody (all blank)'}")
    needs_person = [
        f"{label}: {', '.join(n for n in names if n)}" if any(names) else label
        for label, names in unsure.items()
    ]
    note = precinct_note(election, typed, reading.precinct)
    return ReadBack(title, lines, needs_person, None, QUESTION, note, _choices(reading, places))


def precinct_note(election: Election, typed: str | None, sheet: str | None) -> str | None:
    """What to say when the typed precinct is not the sheet's (None when it is, or when
    nothing was typed)."""
    if typed is None or sheet is None or typed == sheet:
        return None
    said = precinct_title(election, sheet)
    if typed not in election.precinct_by_id:
        return (
            f"You typed {typed}, which is not a precinct of this election. The sheet's code "
            f"says {said}; the photo is filed under the sheet's precinct."
        )
    return (
        f"You typed {precinct_title(election, typed)}, but the sheet's code says {said}. "
        "The sheet's precinct is used; a reviewer checks which precinct this photo is of."
    )


def _choices(
    reading: SheetReading, places: dict[str, tuple[str, str | None]]
) -> list[dict[str, str]]:
    """Every field read, for "No, something differs": its key, its name in words and what
    was read ('14', '14?', '?' or 'blank')."""
    shown = []
    for key, f in reading.fields.items():
        if key in places:
            label, row = places[key]
            read = "blank" if f.status == "blank" else _value(f)
            shown.append({"key": key, "label": f"{label}, {row}" if row else label, "read": read})
    return shown


def field_places(election: Election) -> dict[str, tuple[str, str | None]]:
    """Every field of the election's form, by key: (the header field's or the column's
    title, the row's label: a candidate or ballot line, the totals row's label, or None
    for a header field)."""
    spec = form_of(election)
    places: dict[str, tuple[str, str | None]] = {h.key: (h.title, None) for h in spec.header}
    for column in spec.columns:
        for row in election.candidates:
            places[key_of(column.name, row)] = (column.title, row)
        if spec.totals_row is not None and not column.tick:
            places[key_of(column.name)] = (column.title, spec.totals_row)
    return places


def _value(f: FieldReading) -> str:
    if f.status == "unreadable" or f.value is None:
        return "?"
    return f"{f.value}?" if f.status == "uncertain" else str(f.value)


def _unsure(row: str, f: FieldReading) -> str:
    """'Biden' (could not be read) or 'Biden (14?)' (a value, not certain); '' or '(34?)'
    for a field of its own, such as attendees."""
    guess = "" if f.status == "unreadable" or f.value is None else f"({f.value}?)"
    return " ".join(part for part in (row, guess) if part)
