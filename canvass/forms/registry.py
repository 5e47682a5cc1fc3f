"""The one list of forms and rule sets, and the check that an election's pair fits.

An election file names its `form` and its `rule_set`; everything that needs either asks
here (`form_of`, `rules_of`), so no other module keeps its own copy of the names.
"""

from __future__ import annotations

from canvass.errors import InputError
from canvass.forms.caucus import CAUCUS_WORKSHEET
from canvass.forms.results_sheet import PRECINCT_RESULTS
from canvass.forms.rules import RuleSet, rule_set, rule_sets
from canvass.forms.spec import FormSpec
from canvass.model import Election

FORMS: dict[str, FormSpec] = {f.id: f for f in (CAUCUS_WORKSHEET, PRECINCT_RESULTS)}


def form(name: str) -> FormSpec:
    """The form called `name`, or an InputError listing the known ones."""
    try:
        return FORMS[name]
    except KeyError:
        raise InputError(f"unknown form {name!r}; use one of: {', '.join(FORMS)}") from None


def form_of(election: Election) -> FormSpec:
    return form(election.form)


def rules_of(election: Election) -> RuleSet:
    return rule_set(election.rule_set)


def check_election(election: Election, source: str = "election") -> None:
    """InputError when the election's form or rule set is unknown, when they do not go
    together, or when the rules need a number the election lacks (delegates to elect)."""
    try:
        spec, rules = form_of(election), rules_of(election)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    if spec.id not in rules.forms:
        fitting = [name for name, r in rule_sets().items() if spec.id in r.forms]
        raise InputError(
            f"{source}: rule set {rules.name!r} runs on {', '.join(rules.forms)}, not on form "
            f"{spec.id!r}; use rule set {' or '.join(fitting) or '(none yet)'}"
        )
    if rules.allocates == "delegates":
        for p in election.precincts:
            if not p.satellite and p.delegates_to_elect is None:
                raise InputError(
                    f"{source}: precinct {p.id} needs delegates_to_elect under rule set "
                    f"{rules.name!r} (only satellites omit it)"
                )
    for c in election.candidates:
        if not c.strip() or c != c.strip():
            raise InputError(f"{source}: candidate {c!r} has leading or trailing spaces")
