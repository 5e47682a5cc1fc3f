"""Attacks on what is certified, on both databases: nothing certified changes without an
administrator reopening it, and every such change is visible.

- a forged photo of a certified county's precinct, uploaded and read after the sign-off:
  the results (CLI, API, pages, the cached rows) stay as signed; a `late_evidence` item is
  in the queue and on the county's page; reopening lists the numbers it changes; after
  reopening the live numbers apply and the item blocks the next sign-off until acknowledged;
- a late electronic report likewise;
- results never show an unsettled number as a plain 0 (`provisional`, "?");
- a certifier signs only its own scopes (API, page, command line; a county and the state).
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session

from canvass.errors import ConflictError
from canvass.forms.caucus import values_from_tally
from canvass.model import Tally
from canvass.settings import Settings
from canvass.store.accounts import add_account
from canvass.store.certify import blockers
from canvass.store.decide import decide
from canvass.store.intake import ReportVersion, store_reports
from canvass.store.readings import record_reading
from canvass.store.review import claim, queue
from canvass.store.tables import CertificationRow
from canvass.store.types import utcnow
from canvass.stories.certify import compare_rows
from canvass.stories.reconcile import reconcile_election
from canvass.stories.results import ResultRow
from ingest.photos import Custody, intake_photo
from tests.conftest import CANVASS, canvass_env
from tests.support.client import bearer, client_for, sign_in
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import CERTIFIED, IOWA
from tests.support.readings import reading_of, report_of
from tests.support.site import PASSWORD, SiteData, precincts_of, prepare_site

COUNTY = "Audubon"  # ready to sign off in the prepared site
TARGET = precincts_of(COUNTY)[0]


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    """The web tests' site, with a certifier for Adair only and one for the state."""
    site = prepare_site(database_settings, real_photo=False)
    intake = make_intake(site.settings)
    for name, scopes in (("cora", ["Adair"]), ("sam", ["STATE"])):
        add_account(intake.engine, name, PASSWORD, "certifier", utcnow(), name, scopes=scopes)
    intake.engine.dispose()
    return site


def canvass(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANVASS, *args], env=canvass_env(settings), capture_output=True, text=True
    )


def forged_tally() -> tuple[Tally, str, int, int]:
    """TARGET's numbers with 15 more first-alignment votes for its leading candidate."""
    tally = CERTIFIED[TARGET].tally
    leader = max(tally.first, key=lambda c: tally.first[c])
    first = dict(tally.first) | {leader: tally.first[leader] + 15}
    return tally.model_copy(update={"first": first}), leader, tally.first[leader], first[leader]


def live_value(row: dict[str, Any], key: str) -> int | None:
    """A number of a results row as JSON; None when it is not determined."""
    if key in row["undetermined"]:
        return None
    measure, _, candidate = key.partition(".")
    value: int = (row[measure] or {}).get(candidate, 0)
    return value


def forge_late_photo(settings: Settings) -> None:
    """An uploader sends a forged photo of TARGET; the reader reads it (its numbers, with
    certainty); reconciliation runs, as the server's reader would after reading."""
    intake = make_intake(settings)
    stored = intake_photo(intake, jpeg(seed=4242), "late.jpg", Custody("chair", "t", TARGET))
    assert stored.photo_id is not None
    forged, *_ = forged_tally()
    record_reading(intake.engine, stored.photo_id, IOWA.id, reading_of(forged), None, utcnow())
    reconcile_election(intake.engine, IOWA, utcnow())
    intake.engine.dispose()


def test_a_forged_photo_after_sign_off_changes_nothing_certified(site: SiteData) -> None:
    settings = site.settings
    pat, admin = bearer(settings, "pat"), bearer(settings, "admin")
    _, leader, signed_value, forged_value = forged_tally()
    with client_for(settings) as client:
        assert client.post("/api/certify/Audubon", json={"role": "chair"}, headers=pat).is_success
        before_api = client.get(f"/api/results?county={COUNTY}", headers=pat).json()
        before_state = client.get("/api/results", headers=pat).json()
        before_cli = json.loads(canvass(settings, "results", "--county", COUNTY, "--json").stdout)
        sign_in(client, "admin")
        before_page = client.get(f"/results/{COUNTY}").text

        forge_late_photo(settings)  # the same app (and its results cache) is asked again

        assert client.get(f"/api/results?county={COUNTY}", headers=pat).json() == before_api
        assert client.get("/api/results", headers=pat).json() == before_state
        cli = json.loads(canvass(settings, "results", "--county", COUNTY, "--json").stdout)
        assert cli == before_cli
        assert client.get(f"/results/{COUNTY}").text == before_page
        row = next(r for r in cli if r["precinct"] == TARGET)
        assert row["first"][leader] == signed_value and row["provisional"] == []

        listed = json.loads(canvass(settings, "queue", "--county", COUNTY, "--json").stdout)
        late = [i for i in listed if i["kind"] == "late_evidence"]
        assert len(late) == 1 and late[0]["precinct"] == TARGET
        late_id = late[0]["id"]
        assert (
            late[0]["effect"]["county_delegates"] == IOWA.precinct_by_id[TARGET].delegates_to_elect
        )
        assert (
            f"a new photo of {TARGET} was read after {COUNTY} was certified"
            in (late[0]["details"]["message"])
        )
        assert f'href="/review/items/{late_id}' in client.get(f"/review?county={COUNTY}").text
        county_page = client.get(f"/certify/{COUNTY}").text
        assert (
            'id="late-evidence"' in county_page and f'href="/review/items/{late_id}"' in county_page
        )
        shown = client.get(f"/api/certify/{COUNTY}", headers=admin).json()["would_change"]
        wanted = next(c for c in shown["changes"] if c["field"] == f"first.{leader}")
        assert wanted["precinct"] == TARGET and wanted["certified"] == signed_value
        assert wanted["live"] in (forged_value, None)  # None: disputed by the report, "?"
        live_shown = "?" if wanted["live"] is None else wanted["live"]
        change = f"{TARGET} first.{leader}: {signed_value} -&gt; {live_shown}"
        assert "If reopened, these numbers would change" in county_page and change in county_page

        engine = make_intake(settings).engine
        with pytest.raises(ConflictError, match="frozen"):
            claim(engine, late_id, "ann", utcnow())
        with pytest.raises(ConflictError, match="frozen"):
            decide(engine, late_id, "ann", "acknowledge", "seen", utcnow())
        seen = client.get(f"/api/items/{late_id}", headers=bearer(settings, "ann")).json()
        assert seen["actions"] == []  # nothing offered that the server would refuse
        for path in ("claim", "decision"):
            attempt = client.post(
                f"/api/items/{late_id}/{path}",
                json={"action": "acknowledge", "reason": "seen"},
                headers=bearer(settings, "ann"),
            )
            assert attempt.status_code == 409 and "frozen" in attempt.json()["error"]
        reopened = client.post(
            f"/api/certify/{COUNTY}/reopen", json={"reason": "a late photo"}, headers=admin
        )
        assert reopened.status_code == 200 and wanted in reopened.json()["would_change"]["changes"]

        live = client.get(f"/api/results?county={COUNTY}", headers=pat).json()
        row = next(r for r in live["precincts"] if r["precinct"] == TARGET)
        assert live_value(row, f"first.{leader}") == wanted["live"] and row["provisional"]
        assert live["provisional_precincts"] >= 1
        refused = client.post("/api/certify/Audubon", json={"role": "chair"}, headers=pat)
        assert (
            refused.status_code == 422
            and f"review item {late_id} (late_evidence)" in (refused.json()["error"])
        )
        claim(engine, late_id, "ann", utcnow())
        decide(engine, late_id, "ann", "acknowledge", "the new photo is weighed", utcnow())
        reconcile_election(engine, IOWA, utcnow())
        assert not any("late_evidence" in p for p in blockers(engine, IOWA, COUNTY))
        engine.dispose()


def test_a_late_report_is_raised_and_changes_nothing(site: SiteData) -> None:
    settings = site.settings
    pat, admin = bearer(settings, "pat"), bearer(settings, "admin")
    with client_for(settings) as client:
        assert client.post("/api/certify/Audubon", json={"role": "chair"}, headers=pat).is_success
        before = client.get(f"/api/results?county={COUNTY}", headers=pat).json()
        engine = make_intake(settings).engine
        fields = report_of(CERTIFIED[TARGET].tally)
        late = fields | {"first.Biden": fields.get("first.Biden", 0) + 40}
        report = [ReportVersion(TARGET, late, None)]
        store_reports(engine, IOWA.id, "hotline", "late.csv", "sha-late", report, utcnow())
        reconcile_election(engine, IOWA, utcnow())
        assert client.get(f"/api/results?county={COUNTY}", headers=pat).json() == before
        items = queue(engine, IOWA.id, COUNTY, kind="late_evidence")
        assert [i.precinct_id for i in items] == [TARGET]
        message = items[0].details["message"]
        assert f"a new hotline report for {TARGET} was imported after {COUNTY}" in message
        assert reconcile_election(engine, IOWA, utcnow()).items_created == 0  # idempotent
        shown = client.get(f"/api/certify/{COUNTY}", headers=admin).json()
        nothing = {"changes": [], "added": [], "removed": []}
        assert shown["would_change"] == nothing
        reopened = canvass(
            settings, "reopen", "--county", COUNTY, "--admin", "admin", "--reason", "r", "--json"
        )
        assert reopened.returncode == 0, reopened.stderr  # say why, should it ever fail
        assert json.loads(reopened.stdout)["would_change"] == nothing
        assert [i.id for i in queue(engine, IOWA.id, COUNTY, kind="late_evidence")] == [
            items[0].id
        ]  # still open after reopening: it blocks the next sign-off until acknowledged
        engine.dispose()


def test_results_never_show_an_unsettled_number_as_zero(site: SiteData) -> None:
    settings = site.settings
    engine = make_intake(settings).engine
    blind = next(i for i in queue(engine, IOWA.id, "Adams") if i.kind == "unreadable")
    claim(engine, blind.id, "ann", utcnow())  # one blind entry: still waiting for a second
    decide(engine, blind.id, "ann", "paper_says", "from the crop", utcnow(), site.blind_value)
    engine.dispose()
    with client_for(settings) as client:
        api = client.get("/api/results?county=Adams", headers=bearer(settings, "chair")).json()
        row = next(r for r in api["precincts"] if r["precinct"] == site.blind_precinct)
        assert site.blind_field in row["provisional"] and site.blind_field in row["undetermined"]
        mismatched = next(r for r in api["precincts"] if r["precinct"] == precincts_of("Adams")[0])
        assert "final.Sanders" in mismatched["provisional"]
        settled = [r for r in api["precincts"] if not r["provisional"]]
        assert settled and api["provisional_precincts"] == len(api["precincts"]) - len(settled)
        cli = json.loads(canvass(settings, "results", "--county", "Adams", "--json").stdout)
        assert [r["provisional"] for r in cli] == [r["provisional"] for r in api["precincts"]]
        csv_text = canvass(settings, "results", "--county", "Adams").stdout
        header, *lines = csv_text.splitlines()
        assert header.endswith(",provisional")
        assert all(line.endswith(",yes") for line in lines if site.blind_precinct in line)
        sign_in(client, "chair")
        page = client.get("/results/Adams").text
        measure, candidate = site.blind_field.split(".")
        precinct = page[page.index(f">{site.blind_precinct}</a></b>") :]
        precinct = precinct[: precinct.index("</details>")]
        assert ">provisional</span>" in precinct
        cells = precinct[precinct.index(f"<td>{candidate}</td>") :].split("</tr>")[0]
        final_cell = cells.split('<td class="num">')[["first", "final"].index(measure) + 1]
        assert final_cell.startswith(f'<a class="count" href="/evidence/{site.blind_precinct}/')
        shown = final_cell[final_cell.index(">") + 1 :]  # the number, inside its evidence link
        assert shown.startswith('<span class="undetermined"') and ">?</span>" in shown
        assert "provisional precinct" in page


def test_a_certifier_signs_only_its_own_scopes(site: SiteData) -> None:
    settings = site.settings
    cora, pat, sam = (bearer(settings, n) for n in ("cora", "pat", "sam"))
    with client_for(settings) as client:
        refused = client.post("/api/certify/Audubon", json={"role": "chair"}, headers=cora)
        assert refused.status_code == 403
        assert "cora may not sign off Audubon" in refused.json()["error"]
        assert "pat" in refused.json()["error"]  # who may
        state = client.post("/api/certify/STATE", json={"role": "chair"}, headers=pat)
        assert state.status_code == 403 and "may not sign off STATE" in state.json()["error"]
        by_sam = client.post("/api/certify/STATE", json={"role": "chair"}, headers=sam)
        assert by_sam.status_code == 422 and "not certified yet" in by_sam.json()["error"]
        token = sign_in(client, "cora")
        page = client.get("/certify/Audubon").text
        assert 'id="sign-form"' not in page and 'id="not-yours"' in page
        assert 'id="not-yours"' not in client.get("/certify").text  # the state: not ready yet
        posted = client.post("/certify/Audubon", data={"csrf_token": token, "role": "x"})
        assert posted.status_code == 403 and "may not sign off Audubon" in posted.text
        assert 'id="sign-form"' in _page_for(settings, "pat", "/certify/Audubon")
    cli = canvass(settings, "certify", "--county", "Audubon", "--certifier", "cora", "--role", "x")
    assert cli.returncode == 8 and "cora may not sign off Audubon" in cli.stderr
    cli = canvass(settings, "certify", "--state", "--certifier", "pat", "--role", "x")
    assert cli.returncode == 8 and "pat may not sign off STATE" in cli.stderr
    cli = canvass(settings, "certify", "--county", "Audubon", "--certifier", "ann", "--role", "x")
    assert cli.returncode == 8 and "a reviewer, not a certifier" in cli.stderr
    cli = canvass(
        settings, "certify", "--county", "Audubon", "--certifier", "nobody", "--role", "x"
    )
    assert cli.returncode == 8
    assert "create it with `canvass users add nobody --role certifier --county C`" in cli.stderr
    out = str(settings.data_dir / "out")
    cli = canvass(
        settings, "certify", "--county", "Audubon", "--certifier", "pat", "--role", "chair",
        "--out", out, "--json",
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["certifier"] == "Pat"


def test_canvass_reopen_prints_what_the_late_photo_changes(site: SiteData) -> None:
    settings = site.settings
    out = settings.data_dir / "signed"
    signed = canvass(
        settings, "certify", "--county", COUNTY, "--certifier", "pat", "--role", "chair",
        "--out", str(out),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) >= {"results_csv_sha256", "results_rows_sha256", "photos", "reports"}
    forge_late_photo(settings)
    _, leader, signed_value, forged_value = forged_tally()
    reopened = canvass(
        settings, "reopen", "--county", COUNTY, "--admin", "admin", "--reason", "late photo"
    )
    assert reopened.returncode == 0, reopened.stderr
    assert "change(s) against the numbers signed" in reopened.stderr
    live = json.loads(canvass(settings, "results", "--county", COUNTY, "--json").stdout)
    now = live_value(next(r for r in live if r["precinct"] == TARGET), f"first.{leader}")
    assert now in (forged_value, None)
    shown = "?" if now is None else now
    assert f"{TARGET} first.{leader}: {signed_value} -> {shown}\n" in reopened.stdout


def test_a_sign_off_from_before_the_record_is_served_live(site: SiteData) -> None:
    """Sign-offs made before schema 0008 kept no rows: their counties are computed live
    (and say nothing of late evidence), as before."""
    settings = site.settings
    pat = bearer(settings, "pat")
    with client_for(settings) as client:
        assert client.post("/api/certify/Audubon", json={"role": "chair"}, headers=pat).is_success
        engine = make_intake(settings).engine
        with engine.begin() as connection:
            connection.execute(update(CertificationRow).values(results_json=None))
        forge_late_photo(settings)
        _, leader, signed_value, forged_value = forged_tally()
        live = client.get(f"/api/results?county={COUNTY}", headers=pat).json()
        row = next(r for r in live["precincts"] if r["precinct"] == TARGET)
        assert live_value(row, f"first.{leader}") in (forged_value, None)
        assert live_value(row, f"first.{leader}") != signed_value
        assert client.get(f"/api/certify/{COUNTY}", headers=pat).json()["would_change"] is None
        assert queue(engine, IOWA.id, COUNTY, kind="late_evidence") == []
        engine.dispose()


def _page_for(settings: Settings, username: str, path: str) -> str:
    with client_for(settings) as client:
        sign_in(client, username)
        return client.get(path).text


def test_result_rows_round_trip_and_compare() -> None:
    tally = CERTIFIED[TARGET].tally
    values = values_from_tally(tally, IOWA.candidates, satellite=False)
    row = ResultRow(
        TARGET, COUNTY, "1 AUDUBON", "paper", values, {"Biden": Decimal("1.2345")}, ("first.Biden",)
    )
    again = ResultRow.from_record(json.loads(json.dumps(row.as_record())))
    assert again == row and again.sde is not None and again.sde["Biden"] == Decimal("1.2345")
    moved = ResultRow(TARGET, COUNTY, "1 AUDUBON", "paper", values, {"Biden": Decimal("2.0000")})
    other = ResultRow("X-1", COUNTY, "X", "paper", values, {})
    changes = compare_rows([row], [moved, other], IOWA)
    assert [(c.field, c.certified, c.live) for c in changes.changes] == [("sde.Biden", 1.2345, 2.0)]
    assert changes.added == ("X-1",) and changes.removed == ()
    assert compare_rows([row], [row], IOWA).as_json()["changes"] == []
    unknown = ResultRow(
        TARGET, COUNTY, "1 AUDUBON", "paper", values, row.sde, ("first.Biden",), ("first.Biden",)
    )
    dropped = compare_rows([row], [unknown], IOWA)
    assert [(c.field, c.live) for c in dropped.changes] == [("first.Biden", None)]
    assert dropped.lines() == [f"{TARGET} first.Biden: {tally.first['Biden']} -> ?"]


def test_a_record_signed_with_a_tally_reads_as_the_same_row() -> None:
    """Rows signed before they carried the form's keys kept a caucus Tally: they read as
    the row with the same numbers."""
    tally = CERTIFIED[TARGET].tally
    record = {
        "precinct": TARGET,
        "county": COUNTY,
        "name": "1 AUDUBON",
        "backed_by": "paper",
        "tally": tally.model_dump(mode="json"),
        "sde": {"Biden": "1.2345"},
        "provisional": [],
        "undetermined": [],
    }
    old = ResultRow.from_record(record)
    values = values_from_tally(tally, IOWA.candidates, satellite=False)
    new = ResultRow(TARGET, COUNTY, "1 AUDUBON", "paper", values, {"Biden": Decimal("1.2345")})
    assert compare_rows([old], [new], IOWA).as_json()["changes"] == []
    assert old.as_json(IOWA) == new.as_json(IOWA)


def test_only_an_administrator_reopens_and_never_a_county_under_a_certified_state(
    site: SiteData,
) -> None:
    settings = site.settings
    signed = canvass(settings, "certify", "--county", COUNTY, "--certifier", "pat", "--role", "c")
    assert signed.returncode == 0, signed.stderr
    for name in ("pat", "mallory"):  # a certifier, and a name no account has
        refused = canvass(settings, "reopen", "--county", COUNTY, "--admin", name, "--reason", "r")
        assert refused.returncode == 8 and "administrator" in refused.stderr
    engine = make_intake(settings).engine
    with Session(engine) as session:  # the state signed on the counties' numbers
        session.add(
            CertificationRow(
                election_id=IOWA.id, scope="STATE", certifier="sam", role="state chair",
                manifest_sha256="0" * 64, audit_head="0" * 64, certified_at=utcnow(),
            )
        )  # fmt: skip
        session.commit()
    under = canvass(settings, "reopen", "--county", COUNTY, "--admin", "admin", "--reason", "r")
    assert under.returncode == 6 and "reopen the state first" in under.stderr
    with client_for(settings) as client:
        answer = client.post(
            f"/api/certify/{COUNTY}/reopen", json={"reason": "r"}, headers=bearer(settings, "admin")
        )
        assert answer.status_code == 409 and "reopen the state first" in answer.json()["error"]
    status = json.loads(canvass(settings, "status", "--json").stdout)
    [county] = [c for c in status["counties"] if c["county"] == COUNTY]
    assert county["certified"]
    engine.dispose()
