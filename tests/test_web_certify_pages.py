"""The certifier's pages lead to the work and speak in words: blockers grouped by precinct
and kind, each linked to its item; kinds, decisions and findings in words on the pages, the
report (styled under the CSP by its style's hash) and the PDF; downloads named for the
county and the day, with the codes kept in their own CSV columns."""

from __future__ import annotations

import csv
import io
import re
import zlib
from datetime import UTC, date, datetime

import pytest

from canvass.report import REPORT_STYLE_HASH
from canvass.settings import Settings
from canvass.web.routes.certify import download_name
from canvass.wording import FINDINGS
from tests.support.client import bearer, client_for, sign_in
from tests.support.site import SiteData, prepare_site

CODES = (*FINDINGS, "paper_says", "confirm_reported", "math_finding", "(unreadable)")


@pytest.fixture
def site(sqlite_settings: Settings) -> SiteData:
    return prepare_site(sqlite_settings, real_photo=False)


def pdf_text(pdf: bytes) -> str:
    """The text a PDF's pages draw (fpdf2's deflated content streams, strings joined)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    drawn = []
    for stream in streams:
        try:
            content = zlib.decompress(stream).decode("latin-1")
        except zlib.error:
            continue
        drawn += re.findall(r"\((.*?)(?<!\\)\) ?Tj", content)
    return " ".join(drawn).replace("\\(", "(").replace("\\)", ")")


def visible(page: str) -> str:
    """The page's text a person reads (tags and attribute values left out)."""
    return re.sub(r"<[^>]*>", " ", page)


def test_blockers_are_grouped_by_precinct_and_kind_and_linked(site: SiteData) -> None:
    with client_for(site.settings) as client:
        sign_in(client, "pat")
        page = client.get("/certify/Adams").text
        listed = page[
            page.index('id="blockers"') : page.index("</section>", page.index("blockers"))
        ]
        precincts = re.findall(r"<li><b>([A-Z0-9-]+)</b>", listed)
        assert precincts == sorted(set(precincts)) and len(precincts) >= 2  # each once
        links = re.findall(r'<a href="/review/items/(\d+)">Item \1</a>', listed)
        assert len(links) >= 2
        assert "Paper and report differ" in listed and "Not readable: key it blind" in listed
        assert "The sheet&#39;s math" in listed and "A coin toss decides a delegate" in listed
        for code in CODES:
            assert code not in visible(page), code
        for link in links[:2]:  # a certifier reads the item; reviewers decide it
            item = client.get(f"/review/items/{link}")
            assert item.status_code == 200 and 'id="for-certifier"' in item.text
            assert 'id="decide-form"' not in item.text


def test_downloads_are_named_for_the_county_and_day_and_the_report_is_styled(
    site: SiteData,
) -> None:
    with client_for(site.settings) as client:
        token = sign_in(client, "pat")
        client.post("/certify/Audubon", data={"csrf_token": token, "role": "chair"})
        page = client.get("/certify/Audubon").text
        assert "Results (CSV)" in page and "Report (PDF)" in page
        assert "Acknowledge: the sheet stands as written" in page
        for code in CODES:
            assert code not in visible(page), code
        today = datetime.now(UTC).date().isoformat()
        files = {"results.csv": "attachment", "report.pdf": "attachment", "report.html": "inline"}
        for name, disposition in files.items():
            got = client.get(f"/certify/Audubon/files/{name}")
            stem, ext = name.split(".")
            expected = f'{disposition}; filename="audubon-{stem}-{today}.{ext}"'
            assert got.headers["content-disposition"] == expected
        report = client.get("/certify/Audubon/files/report.html")
        policy = report.headers["content-security-policy"]
        assert f"style-src 'self' '{REPORT_STYLE_HASH}'" in policy and "unsafe" not in policy
        assert "script-src 'self'" in policy
        assert "The sheet&#39;s math" in report.text and "math_finding" not in report.text
        page_policy = client.get("/certify/Audubon").headers["content-security-policy"]
        assert "sha256" not in page_policy  # the hash is the report's alone
        pdf = pdf_text(client.get("/certify/Audubon/files/report.pdf").content)
        assert "Acknowledge: the sheet stands as written" in pdf and "math_finding" not in pdf
        listed = client.get("/certify/Audubon/discrepancies.csv")
        assert listed.headers["content-disposition"].startswith(
            'attachment; filename="audubon-discrepancies-'
        )
        rows = list(csv.DictReader(io.StringIO(listed.text)))
        assert rows and rows[0]["kind"] == "math_finding" and rows[0]["decision"] == "acknowledge"
        assert rows[0]["kind_words"] == "The sheet's math"
        assert rows[0]["finding_words"] == FINDINGS[rows[0]["finding"]]
        assert rows[0]["decision_words"].startswith("Acknowledge: the sheet stands as written")


def test_download_names_say_the_scope_and_the_day() -> None:
    day = date(2020, 2, 3)
    assert download_name("STATE", "results.csv", day) == "state-results-2020-02-03.csv"
    assert (
        download_name("Pottawattamie", "report.pdf", day) == "pottawattamie-report-2020-02-03.pdf"
    )
    assert download_name("O'Brien", "manifest.json", day) == "o-brien-manifest-2020-02-03.json"


def test_a_blind_items_reported_value_is_not_on_the_certifiers_page(site: SiteData) -> None:
    """Attack: an account that may both certify and key (an administrator) must not learn a
    blind field's reported value from the blockers list, then key it to match."""
    with client_for(site.settings) as client:
        sign_in(client, "pat")
        page = client.get("/certify/Adams").text
    listed = page[page.index('id="blockers"') : page.index("</section>", page.index("blockers"))]
    blind = [line for line in visible(listed).splitlines() if "blind double entry" in line]
    assert blind, "the site has a blind item to list"
    assert not any("reported" in line or "confirm" in line for line in blind)


def test_a_certifier_who_may_read_an_item_still_cannot_claim_or_decide_it(site: SiteData) -> None:
    """Attack: the item page opened to certifiers is read only on the server too, through
    the page's own form routes and through the API."""
    with client_for(site.settings) as client:
        token = sign_in(client, "pat")
        page = client.get("/certify/Adams").text
        item = re.findall(r'<a href="/review/items/(\d+)">Item \1</a>', page)[0]
        form = {"csrf_token": token, "decision": "paper_says", "reason": "x", "value": "1"}
        for path in (f"/review/items/{item}/claim", f"/review/items/{item}/decide"):
            refused = client.post(path, data=form, follow_redirects=False)
            assert refused.status_code == 403 and "reviewer" in refused.text, path
        headers = bearer(site.settings, "pat")  # the API as the certifier's own token
        claim = client.post(f"/api/items/{item}/claim", headers=headers)
        assert claim.status_code == 403 and "certifier" in claim.json()["error"]
        decision = {"action": "paper_says", "reason": "x", "value": 1}
        answer = client.post(f"/api/items/{item}/decision", json=decision, headers=headers)
        assert answer.status_code == 403
