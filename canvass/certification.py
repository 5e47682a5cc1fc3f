"""Signing off a county or the state, as one story shared by the command line and the web.

Refused (with the list of what is missing) while anything blocks it; otherwise the results
are computed, the evidence manifest is digested and the sign-off recorded, and the
certified files are written to the scope's folder: `results.csv`, `manifest.json`,
`report.html` and `report.pdf`. The sign-off row commits before the files are written, so a
crash leaves a recorded sign-off whose files `write_certified_files` can write again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from canvass.errors import NotFoundError, RefusedError
from canvass.model import Election
from canvass.report import ReportContent, render_html, render_pdf, resolved_items
from canvass.results import compute_results, results_csv, totals
from canvass.store.certify import (
    STATE,
    SignOff,
    blockers,
    documented_exceptions,
    evidence_manifest,
    sign_off,
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


def certified_folder(data_dir: Path, scope: str) -> Path:
    """Where a scope's certified files go unless the caller names a folder."""
    return data_dir / "certified" / scope.replace(" ", "_").replace("/", "_")


def check_scope(election: Election, scope: str) -> str:
    """`scope` if it is STATE or one of the election's counties, else NotFoundError."""
    if scope == STATE or any(p.county == scope for p in election.precincts):
        return scope
    raise NotFoundError(f"no county {scope!r} in {election.name}: see `canvass status`")


def certify_scope(
    engine: Engine,
    election: Election,
    scope: str,
    certifier: str,
    role: str,
    folder: Path,
    now: datetime,
) -> Certified:
    """Sign off `scope` (a county or STATE) and write its certified files to `folder`."""
    problems = blockers(engine, election, check_scope(election, scope))
    if problems:
        raise RefusedError(
            f"{scope} cannot be certified yet ({len(problems)} to do): " + "; ".join(problems[:5])
        )
    rows = compute_results(
        engine,
        election,
        None if scope == STATE else scope,
        sorted(documented_exceptions(engine, election.id)),
    )
    csv_text = results_csv(rows, election)
    manifest = evidence_manifest(
        engine, election, scope, hashlib.sha256(csv_text.encode()).hexdigest()
    )
    signed = sign_off(engine, election, scope, certifier, role, manifest, now)
    content = ReportContent(
        election=election.name,
        scope=scope,
        certifier=signed.certifier,
        role=signed.role,
        at=f"{signed.certified_at:%Y-%m-%d %H:%M:%S}",
        manifest=signed.manifest_sha256,
        audit_head=signed.audit_head,
        precincts=len(rows),
        totals=list(totals(rows, election).items()),
        items=resolved_items(engine, election.id, scope),
    )
    write_certified_files(folder, csv_text, manifest, content)
    return Certified(scope, signed, len(rows), folder)


def write_certified_files(
    folder: Path, csv_text: str, manifest: dict[str, Any], content: ReportContent
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.csv").write_text(csv_text, encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    (folder / "report.html").write_text(render_html(content), encoding="utf-8")
    (folder / "report.pdf").write_bytes(render_pdf(content))
