"""What was read, in plain words, for the person who took the photo.

"Precinct Adair 03SW. First alignment: Sanders 12, Biden 9? ... Is this what your sheet
says?" Blank fields count as 0 and are left out; a value the reader is unsure of is
marked with "?" and listed again, by alignment, for a reviewer to check; a refusal is the reader's
reason, which says how to retake the photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canvass.model import Election, FieldReading, SheetReading

MEASURES = {
    "first": "First alignment",
    "final": "Final alignment",
    "county_delegates": "County delegates",
}
QUESTION = "Is this what your sheet says?"


@dataclass(frozen=True)
class ReadBack:
    title: str
    lines: list[str] = field(default_factory=list)
    needs_person: list[str] = field(default_factory=list)
    retake: str | None = None
    question: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "lines": self.lines,
            "needs_person": self.needs_person,
            "retake": self.retake,
            "question": self.question,
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


def read_back(reading: SheetReading, election: Election) -> ReadBack:
    title = precinct_title(election, reading.precinct)
    if reading.status == "rejected":
        reason = reading.reason or "the photo could not be read"
        return ReadBack("This photo cannot be read", retake=f"{reason[0].upper()}{reason[1:]}.")
    lines: list[str] = []
    groups: dict[str, list[str]] = {}
    unsure: dict[str, list[str]] = {}
    for key, f in reading.fields.items():
        measure, _, candidate = key.partition(".")
        label = MEASURES.get(measure, measure.replace("_", " ").capitalize())
        if f.status in ("uncertain", "unreadable"):
            unsure.setdefault(label, []).append(_unsure(candidate, f))
        if f.status == "blank":
            continue
        shown = _value(f)
        if candidate:
            groups.setdefault(label, []).append(f"{candidate} {shown}")
        else:
            lines.append(f"{label}: {shown}")
    for label in MEASURES.values():
        lines.append(f"{label}: {', '.join(groups.get(label, [])) or 'nobody (all blank)'}")
    needs_person = [
        f"{label}: {', '.join(n for n in names if n)}" if any(names) else label
        for label, names in unsure.items()
    ]
    return ReadBack(title, lines, needs_person, question=QUESTION)


def _value(f: FieldReading) -> str:
    if f.status == "unreadable" or f.value is None:
        return "?"
    return f"{f.value}?" if f.status == "uncertain" else str(f.value)


def _unsure(candidate: str, f: FieldReading) -> str:
    """'Biden' (could not be read) or 'Biden (14?)' (a value, not certain); '' or '(34?)'
    for a field of its own, such as attendees."""
    guess = "" if f.status == "unreadable" or f.value is None else f"({f.value}?)"
    return " ".join(part for part in (candidate, guess) if part)
