"""Every number leads to its paper: for one count of one precinct, the evidence behind it.

One story for every reader of the evidence (the web's precinct and evidence pages, and a
static publisher): the field's label, the number as the results serve it and whether it is
settled, the photo in force and where the field's crop and the whole straightened sheet are
stored, the machine's reading, each source's reported value in force, and the decisions
people made on the field, in words.

Rules it keeps, so no caller has to remember them:
- **Blind entry.** While a field waits for blind double entry, nobody is shown its reported
  values, the machine's guess, the number, or the entries made so far (only how many):
  `withheld` is set and those parts are empty. Once the field is settled they all show.
- **Certified means signed.** A certified county's number is the signed one (the results
  are `served_results`); its photo is the latest one the sign-off's manifest lists, and a
  source's report is the latest version the manifest lists. Evidence that arrived after the
  sign-off is marked `late`, never shown as what was signed.
- Who may open photos and crops is the caller's rule (`canvass.roles.SEE_PHOTOS` on the
  web): this story says where they are, not who sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy import Engine

from canvass.errors import NotFoundError
from canvass.forms.registry import form_of
from canvass.model import Election, Precinct
from canvass.store.evidence import (
    DecisionEvidence,
    ReportEvidence,
    precinct_decisions,
    precinct_reports,
)
from canvass.store.review import QueueItem
from canvass.store.signed import SignedRecord, signed_records
from canvass.store.views import PaperInForce, precinct_items, precinct_papers, withheld_fields
from canvass.stories.results import ResultRow, served_results
from canvass.wording import decision_words, finding_words, kind_text, kind_words

OPEN = ("open", "waiting")


@dataclass(frozen=True)
class SourceValue:
    """What one source reported for the field (None: its report does not give it);
    `late`: this version arrived after the county's sign-off, which did not see it."""

    source: str
    value: int | float | None
    version: int
    late: bool = False


@dataclass(frozen=True)
class DecisionWords:
    """One person's decision on the field, in words: "The paper says 7", by whom and when,
    and why (the reason they wrote)."""

    item_id: int
    item_kind: str
    reviewer: str
    at: datetime
    action: str
    words: str
    value: int | None
    reason: str
    final: bool


@dataclass(frozen=True)
class ItemOnField:
    """A review item about the field (or about the whole sheet), and where it stands."""

    item_id: int
    kind: str
    kind_words: str
    explanation: str
    status: str


@dataclass(frozen=True)
class FieldEvidence:
    """The evidence behind one count. `number` is None when the results have no row for
    the precinct, when the number is not determined (`undetermined`), or while the field
    is withheld for blind entry. `crop_key` and `sheet_key` are keys in the crops store."""

    election: str
    precinct: str
    precinct_name: str
    county: str
    key: str
    index: int
    label: str
    number: int | None
    in_results: bool
    provisional: bool
    undetermined: bool
    certified: bool
    withheld: bool
    photo_id: int | None = None
    photo_sha256: str | None = None
    photo_late: bool = False
    crop_key: str | None = None
    sheet_key: str | None = None
    machine_value: int | None = None
    machine_status: str | None = None
    machine_confidence: float | None = None
    reported: tuple[SourceValue, ...] = ()
    decisions: tuple[DecisionWords, ...] = ()
    items: tuple[ItemOnField, ...] = ()
    entries: int = 0  # blind entries made so far (their values are withheld)
    backed_by: str | None = None

    @property
    def settled(self) -> bool:
        """Whether the number is settled: in the results, and neither provisional nor
        withheld."""
        return self.in_results and not (self.provisional or self.withheld)


@dataclass(frozen=True)
class _Facts:
    """What every field of one precinct shares, read once."""

    precinct: Precinct
    row: ResultRow | None
    record: SignedRecord | None
    paper: PaperInForce | None
    paper_late: bool
    reports: tuple[tuple[ReportEvidence, bool], ...]
    items: list[QueueItem]
    decisions: dict[int, list[DecisionEvidence]]
    withheld: frozenset[str]


def evidence_keys(election: Election) -> list[str]:
    """The counts of the election's form that have evidence, in the form's order; a field's
    place in this list is its index in the pages' addresses (keys hold spaces and dots)."""
    return form_of(election).reported_keys(election.candidates)


def key_at(election: Election, index: int) -> str:
    """The field at `index` of `evidence_keys`, or NotFoundError saying how many there are."""
    keys = evidence_keys(election)
    if not 0 <= index < len(keys):
        raise NotFoundError(
            f"no field {index} on the {form_of(election).title} sheet: "
            f"fields are numbered 0 to {len(keys) - 1}"
        )
    return keys[index]


def field_evidence(
    engine: Engine,
    election: Election,
    precinct: str,
    key: str,
    rows: Sequence[ResultRow] | None = None,
) -> FieldEvidence:
    """The evidence behind `key` of `precinct` (NotFoundError for a precinct or a field
    the election does not have). `rows`: the results as served, when the caller has them."""
    keys = evidence_keys(election)
    if key not in keys:
        raise NotFoundError(
            f"no field {key!r} on the {form_of(election).title} sheet of {election.name}"
        )
    facts = _facts(engine, election, precinct, rows)
    return _field(election, facts, key, keys.index(key))


def precinct_evidence(
    engine: Engine,
    election: Election,
    precinct: str,
    rows: Sequence[ResultRow] | None = None,
) -> list[FieldEvidence]:
    """The evidence behind every count of `precinct`, in the form's order."""
    facts = _facts(engine, election, precinct, rows)
    return [_field(election, facts, k, i) for i, k in enumerate(evidence_keys(election))]


def precinct_named(election: Election, precinct: str) -> Precinct:
    """The election's precinct `precinct`, or NotFoundError."""
    for p in election.precincts:
        if p.id == precinct:
            return p
    raise NotFoundError(f"no precinct {precinct!r} in {election.name}: see `canvass precincts`")


def _facts(
    engine: Engine, election: Election, precinct: str, rows: Sequence[ResultRow] | None
) -> _Facts:
    found = precinct_named(election, precinct)
    served = served_results(engine, election, found.county) if rows is None else rows
    record = signed_records(engine, election.id, counties_only=True).get(found.county)
    papers = precinct_papers(engine, election.id, precinct)
    paper, late = _paper_signed(papers, record)
    return _Facts(
        precinct=found,
        row=next((r for r in served if r.precinct == precinct), None),
        record=record,
        paper=paper,
        paper_late=late,
        reports=_reports_signed(precinct_reports(engine, election.id, precinct), record),
        items=precinct_items(engine, election.id, precinct),
        decisions=precinct_decisions(engine, election.id, precinct),
        withheld=frozenset(withheld_fields(engine, election.id, precinct)),
    )


def _paper_signed(
    papers: list[PaperInForce], record: SignedRecord | None
) -> tuple[PaperInForce | None, bool]:
    """The photo whose reading stands: the one in force; for a certified county the latest
    its manifest lists (or, if it lists none, the one in force, marked late)."""
    if not papers:
        return None, False
    if record is None:
        return papers[0], False
    listed = set(record.manifest.get("photos", []))
    signed = next((p for p in papers if p.sha256 in listed), None)
    return (signed, False) if signed is not None else (papers[0], True)


def _reports_signed(
    reports: list[ReportEvidence], record: SignedRecord | None
) -> tuple[tuple[ReportEvidence, bool], ...]:
    """Per source, the version in force (newest), or for a certified county the newest
    version its manifest lists; with whether it arrived after the sign-off."""
    listed = None if record is None else set(record.manifest.get("reports", []))
    chosen: dict[str, tuple[ReportEvidence, bool]] = {}
    for report in reports:  # newest version first, per source
        late = listed is not None and report.digest not in listed
        held = chosen.get(report.source)
        if held is None or (held[1] and not late):
            chosen[report.source] = (report, late)
    return tuple(chosen[s] for s in sorted(chosen))


def _field(election: Election, facts: _Facts, key: str, index: int) -> FieldEvidence:
    row = facts.row
    withheld = key in facts.withheld
    undetermined = row is not None and key in row.undetermined
    items = [i for i in facts.items if key in i.fields or not i.fields]
    shown = None if row is None or undetermined or withheld else row.values.get(key, 0)
    return FieldEvidence(
        election=election.id,
        precinct=facts.precinct.id,
        precinct_name=facts.precinct.name,
        county=facts.precinct.county,
        key=key,
        index=index,
        label=form_of(election).label(key),
        number=shown,
        in_results=row is not None,
        provisional=row is not None and key in row.provisional,
        undetermined=undetermined,
        certified=facts.record is not None,
        withheld=withheld,
        backed_by=None if row is None else row.backed_by,
        items=tuple(_item(i) for i in items),
        entries=_entries(facts, items) if withheld else 0,
        decisions=() if withheld else _decisions(facts, items),
        reported=() if withheld else _reported(facts, key),
        **_paper_parts(facts, key, withheld),
    )


class _PaperParts(TypedDict, total=False):
    photo_id: int
    photo_sha256: str
    photo_late: bool
    crop_key: str | None
    sheet_key: str | None
    machine_status: str | None
    machine_value: int | None
    machine_confidence: float | None


def _paper_parts(facts: _Facts, key: str, withheld: bool) -> _PaperParts:
    paper = facts.paper
    if paper is None:
        return {}
    read = paper.reading.fields.get(key)
    stored = paper.crops_dir is not None
    return {
        "photo_id": paper.photo_id,
        "photo_sha256": paper.sha256,
        "photo_late": facts.paper_late,
        "crop_key": f"{paper.crops_dir}/{key}.png" if stored else None,
        "sheet_key": f"{paper.crops_dir}/sheet.jpg" if stored else None,
        "machine_status": None if read is None else read.status,
        "machine_value": None if read is None or withheld else read.value,
        "machine_confidence": (None if read is None or withheld else round(read.confidence, 4)),
    }


def _reported(facts: _Facts, key: str) -> tuple[SourceValue, ...]:
    return tuple(
        SourceValue(r.source, r.fields.get(key), r.version, late) for r, late in facts.reports
    )


def _item(item: QueueItem) -> ItemOnField:
    """The item in words; a math finding says which finding (`wording.finding_words`)."""
    code = item.details.get("code")
    said = finding_words(code) if isinstance(code, str) else kind_text(item.kind)
    return ItemOnField(item.id, item.kind, kind_words(item.kind), said, item.status)


def _decisions(facts: _Facts, items: list[QueueItem]) -> tuple[DecisionWords, ...]:
    found = []
    for item in items:
        for d in facts.decisions.get(item.id, []):
            said = decision_words(d.action, item.kind)
            words = said if d.value is None else f"{said}: {d.value}"
            found.append(
                DecisionWords(
                    item.id,
                    item.kind,
                    d.reviewer,
                    d.at,
                    d.action,
                    words,
                    d.value,
                    d.reason,
                    d.final,
                )
            )
    return tuple(sorted(found, key=lambda d: d.at))


def _entries(facts: _Facts, items: list[QueueItem]) -> int:
    return sum(1 for i in items for d in facts.decisions.get(i.id, []) if d.action == "paper_says")
