"""The words the pages use for the election's sheet and its units, from its form and rule
set: no page says "caucus" or "worksheet" for an election whose form is another."""

from __future__ import annotations

from dataclasses import dataclass

from canvass.forms.registry import form_of, rules_of
from canvass.model import Election


@dataclass(frozen=True)
class SheetWords:
    """`sheet`: the form's title ("Caucus Math Worksheet"); `noun`: what the pages call
    one ("worksheet"; "sheet" for a form whose title names no kind of sheet);
    `rules`: the rule set's title;
    `units`: what the election's reporting units are called in a count ("caucus units",
    where the rules allocate delegates and satellites caucus too; else "precincts");
    `row_heading`: the heading of the sheet's rows; `sde`: whether results carry SDE."""

    sheet: str
    noun: str
    rules: str
    units: str
    row_heading: str
    sde: bool


def sheet_words(election: Election) -> SheetWords:
    spec, rules = form_of(election), rules_of(election)
    allocates = rules.allocates == "delegates"
    return SheetWords(
        sheet=spec.title,
        noun=_noun(spec.title),
        rules=rules.title,
        units="caucus units" if allocates else "precincts",
        row_heading=spec.row_heading,
        sde=allocates,
    )


def _noun(title: str) -> str:
    last = title.split()[-1].lower() if title.split() else ""
    return last if last.endswith("sheet") else "sheet"
