"""Certification, progress and results on the web, on both databases: the checklist of what
blocks a sign-off, signing off from the form (files written, county frozen), the API's
refusals, reopening by an administrator; the dashboard and the results tables."""

from __future__ import annotations

import pytest

from canvass.settings import Settings
from canvass.stories.certify import CERTIFIED_FILES, certified_folder
from tests.support.client import bearer, client_for, sign_in
from tests.support.site import SiteData, prepare_site


@pytest.fixture
def site(database_settings: Settings) -> SiteData:
    return prepare_site(database_settings, real_photo=False)


def test_a_certifier_signs_off_a_county(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        token = sign_in(client, "pat")
        state = client.get("/certify").text
        ready = state.index("Ready to sign off")
        assert ready < state.index("/certify/Audubon") < state.index("Work under way")
        adams = client.get("/certify/Adams").text
        assert "still block" in adams and "Not readable: key it blind" in adams
        assert 'id="sign-form"' not in adams
        audubon = client.get("/certify/Audubon").text
        assert "Every precinct has a worksheet read" in audubon
        assert "The sheet&#39;s math" in audubon  # the discrepancy report: the acknowledged finding
        signed = client.post(
            "/certify/Audubon",
            data={"csrf_token": token, "role": "Audubon County chair"},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        done = client.get("/certify/Audubon").text
        assert "Audubon is certified by Pat" in done and "Certified by Pat (Audubon County" in done
        folder = certified_folder(settings.data_dir, "Audubon")
        assert all((folder / name).is_file() for name in CERTIFIED_FILES)
        csv = client.get("/certify/Audubon/files/results.csv")
        assert csv.status_code == 200 and csv.text.startswith("county,precinct,name")
        assert client.get("/certify/Audubon/files/secret_key").status_code == 404
        again = client.post(
            "/api/certify/Audubon", json={"role": "chair"}, headers=bearer(settings, "pat")
        )
        assert again.status_code == 409 and "already certified" in again.json()["error"]


def test_the_certification_api_refuses_what_it_must(site: SiteData) -> None:
    settings = site.settings
    pat, ann, admin = (bearer(settings, n) for n in ("pat", "ann", "admin"))
    with client_for(settings) as client:
        blocked = client.get("/api/certify/Adams", headers=pat).json()
        assert blocked["certified"] is None and len(blocked["blockers"]) >= 2
        refused = client.post("/api/certify/Adams", json={"role": "chair"}, headers=pat)
        assert refused.status_code == 422 and "cannot be certified yet" in refused.json()["error"]
        assert (
            client.post("/api/certify/Audubon", json={"role": "x"}, headers=ann).status_code == 403
        )
        assert client.get("/api/certify/Atlantis", headers=pat).status_code == 404
        signed = client.post("/api/certify/Audubon", json={"role": "chair"}, headers=pat)
        assert signed.status_code == 200 and signed.json()["precincts"] == 2
        assert (
            client.post(
                "/api/certify/Audubon/reopen", json={"reason": "x"}, headers=pat
            ).status_code
            == 403
        )
        reopened = client.post(
            "/api/certify/Audubon/reopen", json={"reason": "a recount"}, headers=admin
        )
        nothing = {"changes": [], "added": [], "removed": []}
        assert reopened.json() == {
            "scope": "Audubon",
            "status": "reopened",
            "would_change": nothing,
        }
        assert client.get("/api/certify/Audubon", headers=pat).json()["certified"] is None
        state = client.get("/api/certify/STATE", headers=pat).json()
        assert "Adams: not certified yet" in state["blockers"]


def test_progress_and_results_for_everyone(site: SiteData) -> None:
    settings = site.settings
    with client_for(settings) as client:
        sign_in(client, "chair")
        dashboard = client.get("/").text
        assert "Election night progress" in dashboard
        assert 'href="/results/Adams"' in dashboard and 'href="/results/Audubon"' in dashboard
        assert "Upload a worksheet photo" in dashboard
        status = client.get("/api/status").json()
        adams = next(c for c in status["counties"] if c["county"] == "Adams")
        assert (adams["precincts"], adams["photos"], adams["read"]) == (5, 5, 5)
        assert adams["in_review"] >= 2
        results = client.get("/results").text
        assert "First alignment" in results and "SDE" in results
        county = client.get("/results/Audubon").text
        assert "AUDUBON-1" in county and "AUDUBON-2" in county
        api = client.get("/api/results?county=Audubon").json()
        assert [p["precinct"] for p in api["precincts"]] == ["AUDUBON-1", "AUDUBON-2"]
        assert sum(t["first"] for t in api["totals"].values()) > 0
        assert client.get("/results/Atlantis").status_code == 404
