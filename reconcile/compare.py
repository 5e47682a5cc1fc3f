"""Paper against the electronic reports, field by field, for one precinct.

Pure: takes the reading in force (the paper), each source's report in force, the
decisions people have made on paper values, and the election; returns what was cleared
and every discrepancy with its kind and effect. Never imports storage, web or CLI.

A field is cleared automatically only when the image supports the reported value with a
probability of at least `clear_threshold` against every alternative (`ocr.verify`);
otherwise it is a discrepancy:
- `mismatch`: the paper clearly says something else;
- `unreadable`: the paper cannot settle it (unreadable, uncertain, or weak support);
- `sources_disagree`: the electronic sources give different values for the field;
- `missing_paper` / `missing_report`: one side has nothing for the precinct;
- `precinct_conflict`: the sheet's QR code names another precinct than the uploader did;
- `math_finding`: the worksheet's own math departs from the rules (acknowledged, never fixed);
- `uploader_differs`: the photo's sender says the sheet shows another number than stands
  (`reconcile.said`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from canvass.forms.registry import form_of
from canvass.forms.spec import FormSpec, parse_key
from canvass.model import Election, FieldReading, SheetNumbers, SheetReading
from canvass.policy import ItemKind
from ocr.verify import Support, value_probability
from reconcile import said
from reconcile.effect import effect_of
from reconcile.joint import DEFAULT_ODDS, SheetOdds, SheetSupport, support_sheet
from reconcile.keyed import CODE as KEYED_CODE
from reconcile.keyed import keyed_findings
from reconcile.photos import disputed_fields
from reconcile.sheet_math import SheetMath, check_sheet, reported_alias, sheet_model

Kind = ItemKind  # the decision policy owns the kinds of items
DEFAULT_CLEAR_THRESHOLD = 0.999
VOLATILE = ("support", "image_support", "paper_clear", said.IN_FORCE)
"""Details that change with decisions on other fields of the sheet (not part of a key)."""


@dataclass(frozen=True)
class Paper:
    """The reading in force for a precinct, and who said which precinct it was; `earlier`:
    the precinct's earlier photos' readings (photo id, reading), oldest first."""

    photo_id: int
    reading: SheetReading
    declared_precinct: str | None = None
    earlier: tuple[tuple[int, SheetReading], ...] = ()


@dataclass(frozen=True)
class Discrepancy:
    precinct: str
    kind: Kind
    fields: tuple[str, ...]
    message: str
    details: dict[str, Any]
    effect_delegates: int = 0
    effect_sde: Decimal = Decimal(0)

    @property
    def key(self) -> str:
        """Same inputs, same key: re-running keeps the decisions already made. The supports
        are left out: a decision elsewhere on the sheet moves them, not what the item is."""
        stable = {k: v for k, v in self.details.items() if k not in VOLATILE}
        ident = [self.precinct, self.kind, list(self.fields), self.message, stable]
        text = json.dumps(ident, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class PrecinctResult:
    """`paper`: the sheet's numbers as best known (`paper_numbers`); `unsettled`: its
    fields whose number is not determined (not read clearly, not decided by people, not
    verified against a report); `paper` holds 0 for them, which must never be shown as a
    plain 0."""

    precinct: str
    cleared: tuple[str, ...]
    discrepancies: tuple[Discrepancy, ...]
    paper: SheetNumbers | None
    math: SheetMath | None
    unsettled: tuple[str, ...] = ()


@dataclass
class _Work:
    election: Election
    precinct: str
    paper: Paper | None
    reports: Mapping[str, Mapping[str, float]]
    decided: Mapping[str, int]
    threshold: float
    sheet: SheetSupport | None = None
    cleared: list[str] = field(default_factory=list)
    found: list[Discrepancy] = field(default_factory=list)
    disputed: set[str] = field(default_factory=set)


def field_keys(election: Election) -> list[str]:
    """The counts compared with the reports, in the form's order."""
    return form_of(election).reported_keys(election.candidates)


def reconcile_precinct(
    election: Election,
    precinct: str,
    paper: Paper | None,
    reports: Mapping[str, Mapping[str, float]],
    decided: Mapping[str, int] | None = None,
    clear_threshold: float = DEFAULT_CLEAR_THRESHOLD,
    odds: SheetOdds = DEFAULT_ODDS,
    statements: Mapping[str, Sequence[said.Said]] | None = None,
) -> PrecinctResult:
    """Everything a reviewer must see about one precinct, and what needs no one.

    A field's support is the whole sheet's (`reconcile.joint`): its image, and the sheet's
    sums with the other fields' images; never the reports."""
    work = _Work(election, precinct, paper, reports, decided or {}, clear_threshold)
    if paper is not None:
        model = sheet_model(election, precinct)
        work.sheet = support_sheet(paper.reading.fields, model, odds, work.decided)
    if paper is None:
        work.found.append(_missing_paper(work))
    if not reports:
        work.found.append(_missing(work, "missing_report", "no electronic report from any source"))
    if paper is not None and paper.declared_precinct not in (None, precinct):
        work.found.append(_conflict(work, paper))
    if paper is not None and reports:
        for key in field_keys(election):
            _compare_field(work, key, _reported(work, key))
    if paper is not None and paper.earlier:
        _dispute(work, paper)
    if paper is not None:
        _unreported(work)
    numbers = paper_numbers(work) if paper is not None else None
    math = None
    if numbers is not None:
        math = check_sheet(election, precinct, numbers.values, numbers.ticks)
    if math is not None and _complete(work):
        work.found += [_finding(work, f.code, f.fields, f.message) for f in math.findings]
    if numbers is not None:
        work.found += _keyed(work)
    if paper is not None and statements:
        work.found += _said_otherwise(work, statements)
    found = [_with_effect(work, d, numbers) for d in work.found]
    unsettled = _unsettled(work) if paper is not None else ()
    return PrecinctResult(precinct, tuple(work.cleared), tuple(found), numbers, math, unsettled)


def _dispute(work: _Work, paper: Paper) -> None:
    """Fields an earlier photo clearly shows otherwise (`reconcile.photos`): nothing of
    theirs is cleared, their items give way to one `photos_disagree` item each."""
    keys = [k for k in field_keys(work.election) if k in paper.reading.fields]
    disputes = disputed_fields(keys, paper.earlier, lambda k: _settled(work, k), work.decided)
    for key, others in disputes.items():
        photos = {str(pid): v for pid, v in others.items()}
        photos[str(paper.photo_id)] = _settled(work, key) or 0
        work.cleared = [k for k in work.cleared if k != key]
        work.found = [d for d in work.found if d.fields != (key,)]
        listed = ", ".join(f"photo {pid} reads {v}" for pid, v in photos.items())
        details = {"photos": photos, "reported": _reported(work, key), "paper_clear": None}
        message = f"{key}: the photos of this sheet disagree ({listed})"
        work.found.append(Discrepancy(work.precinct, "photos_disagree", (key,), message, details))
        work.disputed.add(key)


def _said_otherwise(
    work: _Work, statements: Mapping[str, Sequence[said.Said]]
) -> list[Discrepancy]:
    """An `uploader_differs` item for each number the sender says that does not stand on
    a field with no item of its own (`reconcile.said`)."""
    assert work.paper is not None
    covered = {key for d in work.found for key in d.fields}
    standing = {key: work.decided.get(key, _settled(work, key)) for key in statements}
    found = []
    for c in said.contradictions(statements, standing, covered):
        reading = work.paper.reading.fields.get(c.key)
        details = _paper_details(reading, _reported(work, c.key)) | said.details(c)
        details["paper_clear"] = _clearly_says(reading, None, work.threshold)
        found.append(Discrepancy(work.precinct, said.KIND, (c.key,), said.message(c), details))
    return found


def _unreported(work: _Work) -> None:
    """A number the paper does not settle and no report gives (no report yet, or none for
    this field) is keyed blind like any unreadable one: it must never reach the results,
    nor a sign-off, as a silent 0."""
    assert work.paper is not None
    covered = {key for d in work.found for key in d.fields}
    for key in _unsettled(work):
        if key not in covered:
            reading = work.paper.reading.fields.get(key)
            message = f"{key}: the paper cannot be read with certainty and no report gives it"
            details = _paper_details(reading, {})
            work.found.append(Discrepancy(work.precinct, "unreadable", (key,), message, details))


def _settled(work: _Work, key: str) -> int | None:
    """The number the photo in force settles on for `key` (read clearly, or a cleared
    report), before any dispute; None when it settles nothing."""
    value = _reading_value(work, key)
    if value is not None:
        return value
    reported = set(_reported(work, key).values())
    return reported.pop() if len(reported) == 1 and key in work.cleared else None


def _keyed(work: _Work) -> list[Discrepancy]:
    """Findings of values people keyed that break the sheet's bounds (`reconcile.keyed`)."""
    if not work.decided:
        return []
    known = {key: _best_value(work, key) for key in field_keys(work.election)}
    known = {k: v for k, v in known.items() if k not in _unsettled(work)}
    return [
        Discrepancy(
            work.precinct,
            "math_finding",
            (f.field,),
            f"{KEYED_CODE}: {f.message}",
            {"code": KEYED_CODE},
        )
        for f in keyed_findings(work.election, work.precinct, work.decided, known)
    ]


def _unsettled(work: _Work) -> tuple[str, ...]:
    """Counts the results need and nobody has determined. A field the rules derive from
    another (the caucus's written viability threshold, from the attendees) is not one:
    it only feeds its finding."""
    assert work.paper is not None
    spec = form_of(work.election)
    return tuple(
        key
        for key in field_keys(work.election)
        if not _derived(spec, key)
        and key in work.paper.reading.fields
        and key not in work.decided
        and key not in work.cleared
        and _reading_value(work, key) is None
    )


def _reported(work: _Work, key: str) -> dict[str, int]:
    """Each source's value for `key`; a column a source reports at all counts its unlisted
    rows as 0; a value reported under another name the rules convert (reported SDE, as
    county delegates) is converted."""
    column, row = parse_key(key)
    values: dict[str, int] = {}
    for source, fields in work.reports.items():
        if key in fields:
            values[source] = int(fields[key])
        elif row and any(parse_key(k)[0] == column and parse_key(k)[1] for k in fields):
            values[source] = 0
        else:
            converted = reported_alias(work.election, work.precinct, key, fields)
            if converted is not None:
                values[source] = converted
    return values


def _compare_field(work: _Work, key: str, reported: dict[str, int]) -> None:
    """Clear the field, or raise what a person must see. A field people have settled is
    settled: its number is the decision's, and no report (or later report) reopens it
    for one person to overturn (a report that disagrees with it is on the decided item)."""
    if not reported:
        return
    if key in work.decided:
        if set(reported.values()) == {work.decided[key]}:
            work.cleared.append(key)
        return
    assert work.paper is not None
    reading = work.paper.reading.fields.get(key)
    details = _paper_details(reading, reported)
    if len(set(reported.values())) > 1:
        details["paper_clear"] = _clearly_says(reading, None, work.threshold)
        work.found.append(
            Discrepancy(
                work.precinct,
                "sources_disagree",
                (key,),
                f"{key}: sources disagree ({_list(reported)})",
                details,
            )
        )
        return
    value = next(iter(reported.values()))
    verdict = _sheet_support(work, key, value) if reading else None
    support = verdict.probability if verdict else 0.0
    details["support"] = round(support, 6)
    if reading is not None:
        details["image_support"] = round(value_probability(reading.boxes, value), 6)
    if support >= work.threshold:
        work.cleared.append(key)
        return
    says = _clearly_says(reading, verdict, work.threshold)
    details["paper_clear"] = says
    if says is not None and says != value:
        message = f"{key}: paper says {says}, reported {_list(reported)}"
        work.found.append(Discrepancy(work.precinct, "mismatch", (key,), message, details))
        return
    message = f"{key}: the paper cannot confirm {_list(reported)}; key it from the crop"
    work.found.append(Discrepancy(work.precinct, "unreadable", (key,), message, details))


def _sheet_support(work: _Work, key: str, value: int) -> Support:
    """The support for `value` given the whole sheet, and the likeliest other value."""
    assert work.sheet is not None
    best, best_p = work.sheet.best_other(key, value)
    return Support(value, work.sheet.support(key, value), best, best_p)


def _paper_details(reading: FieldReading | None, reported: dict[str, int]) -> dict[str, Any]:
    return {
        "paper": None if reading is None else _paper_value(reading),
        "paper_status": "absent" if reading is None else reading.status,
        "confidence": None if reading is None else round(reading.confidence, 4),
        "reported": dict(sorted(reported.items())),
    }


def _clearly_says(
    reading: FieldReading | None, verdict: Support | None, threshold: float
) -> int | None:
    """The value the paper clearly shows, if any: a definite reading, or another value the
    paper supports as strongly as it would have to support the report to clear it (a
    reading the reader calls uncertain on its own can still clearly contradict a report)."""
    if reading is None:
        return None
    if reading.status in ("ok", "blank"):
        return _paper_value(reading)
    if verdict is not None and verdict.alternative_probability >= threshold:
        return verdict.best_alternative
    return None


def _paper_value(reading: FieldReading) -> int | None:
    return 0 if reading.status == "blank" else reading.value


def _list(reported: Mapping[str, int]) -> str:
    return ", ".join(f"{s} {v}" for s, v in sorted(reported.items()))


def _missing_paper(work: _Work) -> Discrepancy:
    """No paper: the item that can accept the reports as a documented exception. It names
    the reports it would accept (a digest: a new report version is a new item to decide)
    and the fields on which the sources disagree (then there is nothing to accept)."""
    text = json.dumps(work.reports, sort_keys=True, default=str)
    disagree = [
        key for key in field_keys(work.election) if len(set(_reported(work, key).values())) > 1
    ]
    details = {"reports": hashlib.sha256(text.encode()).hexdigest()[:16], "disagree": disagree}
    message = f"{work.precinct}: no readable worksheet photo yet"
    return Discrepancy(work.precinct, "missing_paper", (), message, details)


def _missing(work: _Work, kind: Kind, message: str) -> Discrepancy:
    return Discrepancy(work.precinct, kind, (), f"{work.precinct}: {message}", {})


def _conflict(work: _Work, paper: Paper) -> Discrepancy:
    message = (
        f"the sheet's QR code says {work.precinct} but the uploader said "
        f"{paper.declared_precinct}: check which precinct this photo is"
    )
    return Discrepancy(work.precinct, "precinct_conflict", (), message, {"photo": paper.photo_id})


def _finding(work: _Work, code: str, fields: tuple[str, ...], message: str) -> Discrepancy:
    return Discrepancy(work.precinct, "math_finding", fields, f"{code}: {message}", {"code": code})


def paper_numbers(work: _Work) -> SheetNumbers:
    """The paper's numbers as best known: a person's decision, else the machine reading
    (blank = 0), else (unreadable) the verified report, else 0; and its ticked boxes."""
    assert work.paper is not None
    values = {key: _best_value(work, key) for key in field_keys(work.election)}
    ticks = tuple(
        key
        for key in form_of(work.election).tick_keys(work.election.candidates)
        if _reading_value(work, key) == 1
    )
    return SheetNumbers(precinct=work.precinct, values=values, ticks=ticks)


def _complete(work: _Work) -> bool:
    """Every number of the paper is known (read, decided or verified): only then are its
    math findings meaningful; until then the unreadable items come first."""
    return all(
        key in work.decided or key in work.cleared or _reading_value(work, key) is not None
        for key in field_keys(work.election)
        if work.paper is not None and key in work.paper.reading.fields
    )


def _best_value(work: _Work, key: str) -> int:
    if key in work.decided:
        return work.decided[key]
    value = _reading_value(work, key)
    if value is not None:
        return value
    reported = set(_reported(work, key).values())
    return reported.pop() if len(reported) == 1 and key in work.cleared else 0


def _reading_value(work: _Work, key: str) -> int | None:
    assert work.paper is not None
    if key in work.disputed:
        return None
    reading = work.paper.reading.fields.get(key)
    if reading is None or reading.status in ("unreadable", "uncertain"):
        return None
    return _paper_value(reading)


def _derived(spec: FormSpec, key: str) -> bool:
    header = spec.header_field(key)
    return header is not None and header.derived_from is not None


def _with_effect(work: _Work, d: Discrepancy, numbers: SheetNumbers | None) -> Discrepancy:
    """What the discrepancy could move (county delegates and SDE, or votes)."""
    delegates, sde = effect_of(work.election, work.precinct, d.kind, d.fields, d.details, numbers)
    return Discrepancy(d.precinct, d.kind, d.fields, d.message, d.details, delegates, sde)
