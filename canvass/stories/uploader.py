"""The uploader's story after sending a photo, told once for the pages and the API: the
precinct they typed, and "No, something differs" (which fields, what the sheet says).

The rule it keeps: a number reaches the results only when the paper clearly says it or two
people agree. An uploader's word is evidence shown to the reviewers of those fields; it
never changes a number by itself. So:

- only the person who sent the photo may say what its sheet shows (another uploader's
  photo is refused), and only of a photo read as a precinct's sheet;
- a certified county takes no new claims (the county chair asks an administrator to
  reopen it: reopening is the one way anything certified changes);
- each field must be one of that precinct's sheet, each number one its boxes can hold;
- the same claim again is the same record; at most `MAX_CLAIMS` different ones per photo.

Reconciliation weighs what is said (`reconcile.said`): a number the sender says the sheet
shows, on a field whose number stands otherwise and has no item, becomes an
`uploader_differs` item for a reviewer, which holds the county's sign-off until decided.

The typed precinct is a person's typing late at night; the sheet's QR code is printed for
its precinct. So the sheet's precinct is used, and the typed one only said back: an
unknown one does not refuse the photo, a known one that differs also raises the
`precinct_conflict` item reconciliation makes for a reviewer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from canvass.errors import ConflictError, ForbiddenError, InputError
from canvass.forms.registry import form_of
from canvass.model import Election, Precinct
from canvass.store.claims import Claim, NewClaim, claims_sent, find_claim, record_claim
from canvass.store.views import PhotoState, certified_scopes, photo_state, uploaded_by
from canvass.stories.reconcile import reconcile_photo
from canvass.worksheet.layout import build_layout

MAX_CLAIMS = 10
"""Different "something differs" reports one person may send about one photo."""


@dataclass(frozen=True)
class TypedPrecinct:
    """A precinct typed with a photo: `known` when it is one of the election's ids."""

    text: str
    known: bool


def typed_precinct_of(text: str | None, election: Election) -> TypedPrecinct | None:
    """What was typed, cleaned (no control characters, upper case, at most 64
    characters); None when nothing was."""
    cleaned = re.sub(r"[\x00-\x1f\x7f]", "", text or "").strip().upper()[:64]
    if not cleaned:
        return None
    return TypedPrecinct(cleaned, cleaned in election.precinct_by_id)


def note_typed_precinct(
    engine: Engine,
    election: Election,
    sha256: str,
    uploader: str,
    typed: TypedPrecinct,
    now: datetime,
) -> Claim:
    """Keep an unknown precinct `uploader` typed with the photo, to say it back beside the
    sheet's (a known one is in custody already: `Custody.declared_precinct`)."""
    state = photo_state(engine, sha256)
    claim = NewClaim(
        election.id,
        state.photo_id,
        state.sha256,
        uploader,
        "typed_precinct",
        None,
        typed.text,
        {},
        sent_at=now,
    )
    return record_claim(engine, claim, now)


def report_difference(
    engine: Engine,
    election: Election,
    sha256: str,
    uploader: str,
    values: dict[str, int],
    now: datetime,
) -> Claim:
    """Store "the sheet says otherwise" for the photo `sha256`: `values` maps each field
    that differs to the number the sheet shows (a blank box is 0)."""
    state = photo_state(engine, sha256)
    precinct = reportable(engine, election, state, uploader)
    checked = check_values(election, precinct.satellite, values)
    claim = NewClaim(
        election.id,
        state.photo_id,
        state.sha256,
        uploader,
        "sheet_differs",
        precinct.id,
        None,
        checked,
    )
    replayed = find_claim(engine, claim)
    if replayed is not None:
        return replayed
    if claims_sent(engine, state.photo_id, uploader, "sheet_differs") >= MAX_CLAIMS:
        raise ConflictError(
            f"you have sent {MAX_CLAIMS} corrections for this photo already: "
            "tell your county chair what differs"
        )
    stored = record_claim(engine, claim, now)
    reconcile_photo(engine, election, state.photo_id, now)  # a reviewer sees it at once
    return stored


def reportable(engine: Engine, election: Election, state: PhotoState, uploader: str) -> Precinct:
    """The precinct `uploader` may say the photo's sheet differs for, or the refusal: only
    their own photo, read as a sheet, of a county not certified."""
    if not uploaded_by(engine, state.sha256, uploader):
        raise ForbiddenError(
            "only the person who sent this photo can say what its sheet shows: "
            "send your own photo of the sheet"
        )
    reading = state.reading
    if reading is None or reading.status != "read" or reading.precinct is None:
        raise ConflictError(
            "this photo has not been read as a sheet: wait for its read-back, "
            "or retake the photo if it was refused"
        )
    precinct = election.precinct_by_id[reading.precinct]
    if precinct.county in certified_scopes(engine, election.id):
        raise ConflictError(
            f"{precinct.county} is certified: tell your county chair what differs "
            "(only an administrator can reopen a certified county)"
        )
    return precinct


def may_report(engine: Engine, election: Election, state: PhotoState, uploader: str) -> bool:
    """Whether `reportable` allows it: what the pages offer."""
    try:
        reportable(engine, election, state, uploader)
    except (ForbiddenError, ConflictError):
        return False
    return True


def check_values(election: Election, satellite: bool, values: dict[str, int]) -> dict[str, int]:
    """`values` when every key is a field of the sheet and every number fits its boxes."""
    if not values:
        raise InputError(
            "say which numbers differ: pick at least one and type what the sheet shows"
        )
    spec = form_of(election)
    limits = {
        f.key: 10 ** len(f.boxes) - 1
        for f in build_layout(election).sheet_fields(satellite)
        if f.boxes
    }
    for key, value in values.items():
        if key not in limits:
            raise InputError(
                f"{key[:80]!r} is not a number on this precinct's sheet: pick one of the "
                "read-back's lines"
            )
        if not 0 <= value <= limits[key]:
            raise InputError(
                f"{spec.label(key)}: {value} does not fit the sheet's boxes "
                f"(0 to {limits[key]}): type the number as written"
            )
    return dict(sorted(values.items()))


def claim_lines(election: Election, claim: Claim) -> list[str]:
    """'Final alignment, Biden: 14' for each field of a claim, in words."""
    spec = form_of(election)
    return [f"{spec.label(key)}: {value}" for key, value in claim.values.items()]
