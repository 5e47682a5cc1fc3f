"""The pictures drawn on the server (`canvass/web/svg.py`, `canvass/web/pictures.py`): valid
SVG, proportions right, every name escaped; the progress page shows a bar per county and
the time it is as of; the results pages show the candidates' shares."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from canvass.forms.spec import key_of
from canvass.model import County, Election, Precinct
from canvass.settings import Settings
from canvass.stories.results import ResultRow
from canvass.web.pictures import shares, shares_chart, vote_column
from canvass.web.svg import Segment, Share, share_chart, stage_bar, stage_legend
from tests.support.client import client_for, sign_in
from tests.support.site import SiteData, prepare_site

SVG = "{http://www.w3.org/2000/svg}"


def widths(svg: str) -> list[float]:
    """The widths of the filled bars (the track rectangles, 100% wide, left out)."""
    root = ET.fromstring(svg)
    found = [r.get("width", "") for r in root.iter(f"{SVG}rect")]
    return [float(w.rstrip("%")) for w in found if w.endswith("%") and w != "100%"]


def test_a_stage_bar_is_valid_svg_in_proportion() -> None:
    segments = [
        Segment("photos", "photo in", 1),
        Segment("read", "read", 0),
        Segment("matched", "matched", 2),
        Segment("in_review", "in review", 1),
        Segment("certified", "certified", 4),
    ]
    svg = stage_bar("Adams", segments, 10)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and "style" not in svg  # the CSP allows no inline style
    assert widths(svg) == pytest.approx([10.0, 20.0, 10.0, 40.0])  # empty stages drawn not
    assert "Adams: 1 photo in, 0 read, 2 matched, 1 in review, 4 certified of 10" in (
        root.get("aria-label") or ""
    )
    assert widths(stage_bar("Empty", segments, 0)) == []
    ET.fromstring(stage_legend([("photos", "photo in"), ("certified", "certified")]))


def test_a_share_chart_is_valid_svg_in_proportion_with_names_escaped() -> None:
    odd = 'Bad <script>alert("x")</script> & Co'
    shares = [Share("Biden", 30.0, "30 votes"), Share(odd, 10.0, "10 votes"), Share("Z", 0, "")]
    svg = share_chart(shares, "Share of votes & more")
    root = ET.fromstring(svg)  # well-formed: the name is escaped, not markup
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert odd in texts and "75.0%" in texts and "25.0%" in texts and "0.0%" in texts
    bars = [w for w in widths(svg)]
    assert bars == pytest.approx([75.0, 25.0, 0.0])  # the widest is 75%: room for its label
    assert share_chart([], "nothing") and widths(share_chart([Share("A", 0, "")], "t")) == [0.0]


@pytest.fixture
def site(sqlite_settings: Settings) -> SiteData:
    return prepare_site(sqlite_settings, real_photo=False)


def test_the_progress_page_draws_a_bar_per_county_as_of_a_time(site: SiteData) -> None:
    with client_for(site.settings) as client:
        sign_in(client, "chair")
        page = client.get("/").text
        bars = re.findall(r'<svg[^>]*class="stage-bar"[^>]*aria-label="([^"]*)"', page)
        assert any(label.startswith("Adams: ") and "of 5" in label for label in bars)
        assert any(label.startswith("All counties: ") for label in bars)
        assert re.search(r'id="as-of">As of <time datetime="[0-9T:+-]+">', page)
        assert '<meta http-equiv="refresh" content="30">' in page
        assert "matched" in page and "in review" in page


def test_the_results_pages_draw_the_shares(site: SiteData) -> None:
    with client_for(site.settings) as client:
        sign_in(client, "chair")
        for address in ("/results", "/results/Audubon"):
            page = client.get(address).text
            found = re.search(r'<svg[^>]*class="share-chart".*?</svg>', page, re.S)
            assert found, address
            root = ET.fromstring(found.group(0))
            assert "SDE" in (root.get("aria-label") or "")
            assert "state delegate equivalents" in page


TRUMP, BIDEN, WRITE_IN = "Donald J. Trump and Michael R. Pence", "Joe Biden", "Write-in"
GENERAL = Election(
    id="pictures-general",
    name="A general election",
    rule_set="vote-count",
    form="precinct-results",
    candidates=(TRUMP, BIDEN, WRITE_IN),
    counties=(County(name="Story"),),
    precincts=(Precinct(id="STORY-1", county="Story", name="Ames 1"),),
)


def general_rows() -> list[ResultRow]:
    """One precinct's sheet: per line election day, absentee and their total."""
    lines = {TRUMP: (300, 350), BIDEN: (400, 370), WRITE_IN: (4, 2)}
    values: dict[str, int] = {}
    for line, (day, absentee) in lines.items():
        values |= {key_of("election_day", line): day, key_of("absentee", line): absentee}
        values[key_of("total", line)] = day + absentee
    values[key_of("total")] = sum(d + a for d, a in lines.values())
    return [ResultRow("STORY-1", "Story", "Ames 1", "paper", values)]


def test_a_vote_count_election_shares_its_total_votes() -> None:
    assert vote_column(GENERAL) == "total"
    found = {s.name: s.value for s in shares(general_rows(), GENERAL)}
    assert found == {TRUMP: 650, BIDEN: 770, WRITE_IN: 6}  # the Totals row left out
    chart = shares_chart(general_rows(), GENERAL, "Story")
    assert chart is not None and "Share of votes per ballot line, Story" in chart
    root = ET.fromstring(str(chart))
    names = [t.text for t in root.iter(f"{SVG}text") if t.text and "%" not in t.text]
    assert names == [BIDEN, TRUMP, WRITE_IN]  # largest first
