"""Evidence that arrives for a certified county: stored and logged like any other (nothing
is lost), it changes nothing certified, and it is never silent either.

Reconciliation turns each photo read, or report imported, for a precinct of a certified
county that its sign-off's manifest does not list into a `late_evidence` review item. The
item is keyed by the precinct and the evidence's digest (the photo's SHA-256, the report's
fields_sha256), so running again keeps it; its effect is the precinct's delegates (all of
them may move). It cannot be decided while the county is frozen; an administrator sees it
in the queue and on the county's certify page, and after a reopening it blocks the next
sign-off until someone acknowledges (or escalates) it.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from sqlalchemy import Engine

from canvass.model import Election
from canvass.store.review import NewItem
from canvass.store.signed import LateEvidence, late_evidence
from reconcile.caucus_math import precinct_info

KIND = "late_evidence"


def late_items(engine: Engine, election: Election, only: str | None = None) -> list[NewItem]:
    """A `late_evidence` item for every piece of evidence a certified county's sign-off did
    not see (of precinct `only`, when given)."""
    county_of = {p.id: p.county for p in election.precincts}
    found = late_evidence(engine, election.id, county_of, only)
    return [_item(election, e) for e in found]


def _item(election: Election, evidence: LateEvidence) -> NewItem:
    delegates, sde = _whole_precinct(election, evidence.precinct)
    details = {
        "evidence": evidence.what,
        "sha256": evidence.digest,
        "source": evidence.source,
        "at": f"{evidence.at:%Y-%m-%d %H:%M:%S} UTC",
        "message": message(evidence),
    }
    ident = [evidence.precinct, KIND, evidence.what, evidence.digest]
    return NewItem(
        key=hashlib.sha256(json.dumps(ident).encode()).hexdigest(),
        precinct_id=evidence.precinct,
        county=evidence.county,
        kind=KIND,
        fields=[],
        details=details,
        effect_delegates=delegates,
        effect_sde=float(sde),
    )


def message(evidence: LateEvidence) -> str:
    """In words: what came, for which precinct, after which sign-off, and what to do."""
    when = f"{evidence.at:%Y-%m-%d %H:%M} UTC"
    if evidence.what == "photo":
        what = f"a new photo of {evidence.precinct} was read after {evidence.county} was "
        seen = f"photo {evidence.digest[:12]}, read {when}"
    else:
        what = (
            f"a new {evidence.source} report for {evidence.precinct} was imported after "
            f"{evidence.county} was "
        )
        seen = f"report fields {evidence.digest[:12]}, imported {when}"
    return (
        f"{what}certified: {seen}. The certified results stand; an administrator can "
        f"reopen {evidence.county} to see what it would change, then acknowledge it"
    )


def _whole_precinct(election: Election, precinct: str) -> tuple[int, Decimal]:
    """The precinct's delegates and their SDE: everything new evidence could move."""
    info = precinct_info(election, precinct)
    if info is None or not info.delegates_to_elect:
        return 0, Decimal(0)
    return info.delegates_to_elect, info.sde_weight or Decimal(0)
