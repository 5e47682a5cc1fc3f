"""Signing off a county or the state, and reopening one, as stories shared by the command
line and the web.

Only an account that may sign the scope signs it (`canvass.store.accounts.may_certify`:
an administrator any, a certifier its own counties or STATE). Refused (with the list of
what is missing) while anything blocks it; otherwise the results are computed, the
evidence manifest is digested and the sign-off recorded together with the rows signed and
the manifest (the record the scope's results are served from while it stays certified),
and the certified files are written to the scope's folder: `results.csv`,
`manifest.json`, `report.html` and `report.pdf`. The sign-off row commits before the files
are written, so a crash leaves a recorded sign-off whose files `write_certified_files` can
write again.

Reopening says, number by number, what the evidence that came in since would change
(`would_change`): the rows signed against the rows the live records give now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from canvass.errors import ConflictError, ForbiddenError, NotFoundError, RefusedError
from canvass.forms.registry import form_of, rules_of
from canvass.forms.spec import key_of
from canvass.model import Election
from canvass.report import ReportContent, render_html, render_pdf
from canvass.roles import ADMINS, CERTIFIERS
from canvass.store.accounts import Account, acting_account, list_accounts, may_certify
from canvass.store.certify import (
    STATE,
    SignOff,
    blockers,
    certified_now,
    documented_exceptions,
    evidence_manifest,
    reopen,
    sign_off,
)
from canvass.store.signed import record_json, signed_records
from canvass.store.views import resolved_items
from canvass.stories.reconcile import reconcile_county
from canvass.stories.results import (
    ResultRow,
    allocates_delegates,
    compute_results,
    results_columns,
    results_csv,
    served_results,
    totals,
)

CERTIFIED_FILES = ("results.csv", "manifest.json", "report.html", "report.pdf")


@dataclass(frozen=True)
class Certified:
    scope: str
    signed: SignOff
    precincts: int
    folder: Path

    def as_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "certifier": self.signed.certifier,
            "manifest_sha256": self.signed.manifest_sha256,
            "audit_head": self.signed.audit_head,
            "precincts": self.precincts,
            "out": str(self.folder),
        }


@dataclass(frozen=True)
class Change:
    """One number of one precinct: as signed, and as the live records give it now."""

    precinct: str
    field: str  # "attendees", "first.Biden", ..., "sde.Biden"
    certified: float | int | None  # None: not determined (shown "?", never 0)
    live: float | int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "precinct": self.precinct,
            "field": self.field,
            "certified": self.certified,
            "live": self.live,
        }


@dataclass(frozen=True)
class WouldChange:
    """What reopening would change: numbers that differ, precincts that would appear in
    the results (a new record) or leave them."""

    changes: tuple[Change, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changes or self.added or self.removed)

    def as_json(self) -> dict[str, Any]:
        return {
            "changes": [c.as_json() for c in self.changes],
            "added": list(self.added),
            "removed": list(self.removed),
        }

    def lines(self) -> list[str]:
        """In words, one line each: `ADAMS-1 first.Biden: 10 -> 25`."""
        said = [
            f"{c.precinct} {c.field}: {_shown(c.certified)} -> {_shown(c.live)}"
            for c in self.changes
        ]
        said += [f"{p}: would join the results" for p in self.added]
        return said + [f"{p}: would leave the results" for p in self.removed]


def _shown(value: float | int | None) -> str:
    return "?" if value is None else str(value)


def certified_folder(data_dir: Path, scope: str) -> Path:
    """Where a scope's certified files go unless the caller names a folder."""
    return data_dir / "certified" / scope.replace(" ", "_").replace("/", "_")


def check_scope(election: Election, scope: str) -> str:
    """`scope` if it is STATE or one of the election's counties, else NotFoundError."""
    if scope == STATE or any(p.county == scope for p in election.precincts):
        return scope
    raise NotFoundError(f"no county {scope!r} in {election.name}: see `canvass status`")


def signer_named(engine: Engine, username: str) -> Account:
    """The active certifier or administrator account `username` (the command line's
    `--certifier`)."""
    command = f"canvass users add {username.strip() or 'NAME'} --role certifier --county C"
    return acting_account(engine, username, CERTIFIERS, "certifier", command, "sign")


def check_signer(engine: Engine, account: Account, scope: str) -> None:
    """Refuse (ForbiddenError: 403 on the web) an account that may not sign `scope`; the
    message says who may."""
    if may_certify(account, scope):
        return
    allowed = [a.username for a in list_accounts(engine) if may_certify(a, scope)]
    who = ", ".join(allowed) if allowed else "no account yet"
    option = "--state" if scope == STATE else f"--county {scope!r}"
    raise ForbiddenError(
        f"{account.username} may not sign off {scope}: it is signed by an administrator or "
        f"a certifier given {scope} ({who}); an administrator can give it to a certifier "
        f"with `canvass users scope NAME {option}`"
    )


def certify_scope(
    engine: Engine,
    election: Election,
    scope: str,
    signer: Account,
    role: str,
    folder: Path,
    now: datetime,
) -> Certified:
    """Sign off `scope` (a county or STATE) as `signer` and write its certified files to
    `folder`. The state is signed on the counties' rows as they were signed.

    A county is reconciled first, so a photo read or a report imported since the last
    reconciliation is weighed before anything is signed; and a row with a number not
    settled is refused even if no item said so."""
    check_signer(engine, signer, check_scope(election, scope))
    if scope != STATE:
        reconcile_county(engine, election, scope, now)
    problems = blockers(engine, election, scope)
    if problems:
        raise RefusedError(
            f"{scope} cannot be certified yet ({len(problems)} to do): " + "; ".join(problems[:5])
        )
    rows = served_results(engine, election, None if scope == STATE else scope)
    unsettled = [f"{r.precinct}: {', '.join(r.provisional)}" for r in rows if r.provisional]
    if unsettled:
        raise RefusedError(
            f"{scope} cannot be certified yet: numbers not settled ({'; '.join(unsettled[:5])}): "
            "reconcile, and review what it raises"
        )
    records = [r.as_record() for r in rows]
    csv_text = results_csv(rows, election)
    manifest = evidence_manifest(
        engine, election, scope, _digest(csv_text), _digest(json.dumps(records, sort_keys=True))
    )
    record = record_json(records, manifest)
    signed = sign_off(
        engine, election, scope, signer.display_name, role, manifest, now, record=record
    )
    content = ReportContent(
        election=election.name,
        scope=scope,
        certifier=signed.certifier,
        role=signed.role,
        at=f"{signed.certified_at:%Y-%m-%d %H:%M:%S}",
        manifest=signed.manifest_sha256,
        audit_head=signed.audit_head,
        precincts=len(rows),
        items=resolved_items(engine, election.id, scope),
        **report_totals(rows, election),
    )
    write_certified_files(folder, csv_text, manifest, content)
    return Certified(scope, signed, len(rows), folder)


def report_totals(rows: Sequence[ResultRow], election: Election) -> dict[str, Any]:
    """The report's totals table, and what it is: the form's and the rule set's titles,
    the row heading, a heading per results column (and SDE where the rules allocate
    delegates), and per line its cells as printed."""
    spec, rules = form_of(election), rules_of(election)
    columns = results_columns(spec)
    allocates = allocates_delegates(election)
    headings = [c.title for c in columns] + (["SDE"] if allocates else [])
    table = []
    for label, line in totals(rows, election).items():
        cells = [str(line.counts[c.name]) for c in columns]
        if allocates:
            cells.append("" if line.sde is None else f"{line.sde:.3f}")
        table.append((label, cells))
    return {
        "form": spec.title,
        "rules": rules.title,
        "row_heading": spec.row_heading,
        "headings": headings,
        "totals": table,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_certified_files(
    folder: Path, csv_text: str, manifest: dict[str, Any], content: ReportContent
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.csv").write_text(csv_text, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (folder / "report.html").write_text(render_html(content), encoding="utf-8")
    (folder / "report.pdf").write_bytes(render_pdf(content))


def would_change(engine: Engine, election: Election, scope: str) -> WouldChange | None:
    """While `scope` is certified (with a record): what reopening it would change, the rows
    signed against the live ones (a county's computed from its records now; the state's,
    the counties' as served). None when it is not certified, or was signed before the
    record was kept (then its results are served live anyway)."""
    record = signed_records(engine, election.id).get(check_scope(election, scope))
    if record is None:
        return None
    if scope == STATE:
        live = served_results(engine, election)
    else:
        exceptions = sorted(documented_exceptions(engine, election.id))
        live = compute_results(engine, election, scope, exceptions)
    signed = [ResultRow.from_record(r) for r in record.rows]
    return compare_rows(signed, live, election)


def reopen_scope(
    engine: Engine, election: Election, scope: str, admin: str, reason: str, now: datetime
) -> WouldChange:
    """Unfreeze `scope` (an administrator's act, with a reason, logged), and say what the
    live numbers that now apply change against the ones signed. `admin` must be an active
    administrator's account; a county is not reopened under a certified state (the state's
    sign-off covers its numbers: reopen the state first)."""
    command = f"canvass users add {admin.strip() or 'NAME'} --role admin"
    acting_account(engine, admin, ADMINS, "administrator", command, "reopen")
    check_scope(election, scope)
    if scope != STATE and STATE in certified_now(engine, election.id):
        raise ConflictError(
            f"the state is certified with {scope}'s numbers: reopen the state first "
            "(`canvass reopen --state`), then the county"
        )
    changes = would_change(engine, election, scope) or WouldChange()
    reopen(engine, election, scope, admin, reason, now)
    return changes


def compare_rows(
    certified: Sequence[ResultRow], live: Sequence[ResultRow], election: Election
) -> WouldChange:
    """Pure: per precinct, per number, the certified value against the live one; the
    precincts only one side has."""
    before = {r.precinct: r for r in certified}
    after = {r.precinct: r for r in live}
    changes: list[Change] = []
    for precinct, old in before.items():
        new = after.get(precinct)
        if new is not None:
            old_numbers, new_numbers = _numbers(old, election), _numbers(new, election)
            changes += [
                Change(precinct, key, value, new_numbers.get(key))
                for key, value in old_numbers.items()
                if new_numbers[key] != value
            ]
    return WouldChange(
        tuple(changes),
        tuple(p for p in after if p not in before),
        tuple(p for p in before if p not in after),
    )


def _numbers(row: ResultRow, election: Election) -> dict[str, float | int | None]:
    """Every number of a row, keyed as the review items key fields (the form's counts,
    and where the rules allocate delegates the SDE as `sde.NAME`); None for a number not
    determined (the row's 0 there is no number)."""
    numbers: dict[str, float | int | None] = {
        key: row.values.get(key, 0) for key in form_of(election).reported_keys(election.candidates)
    }
    if row.sde is not None:
        numbers |= {
            key_of("sde", c): float(row.sde.get(c, Decimal(0))) for c in election.candidates
        }
    return {k: None if k in row.undetermined else v for k, v in numbers.items()}
