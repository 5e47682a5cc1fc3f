"""The export's static HTML: the state's totals (`index.html`), each county's totals and
precincts (`<county>/index.html`) and each precinct's numbers (`<county>/<precinct>.html`).

Plain HTML with no script and no outside resource, so any static host serves it. Every
number is an element carrying `data-number="<precinct>|<field>"` (a total
`data-total="<county or ALL>|<field>"`) whose text is the number alone ('?' when it is
not published): the verifier reads exactly those. A number links to its crop (or, where
the reader kept none, to the photo); each precinct links its photo; a provisional number
is followed by a '*', a withheld or undetermined one says why beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import Any

from canvass.publish.evidence import PrecinctNumbers
from canvass.publish.verify_publication import ALL, MANIFEST_META, shown

STYLE = (
    "body{font-family:sans-serif;margin:1.5em;max-width:60em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
    "td.n{text-align:right}.mark{color:#a40}"
)
NOTES = {
    "provisional": "*",
    "withheld": "withheld: waiting for blind double entry",
    "undetermined": "not determined yet",
}


def county_slug(county: str) -> str:
    """A county's folder name: lower case letters and digits, other runs a hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", county.lower()).strip("-") or "county"


def by_precinct_of(numbers: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The numbers grouped by precinct, in their order (one pass: a state has 70,000)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for n in numbers:
        grouped.setdefault(n["precinct"], []).append(n)
    return grouped


@dataclass(frozen=True)
class PageSet:
    about: dict[str, Any]
    precincts: Sequence[PrecinctNumbers]
    numbers: list[dict[str, Any]]
    totals: dict[str, Any]
    photos: dict[int, str]

    @cached_property
    def by_precinct(self) -> dict[str, list[dict[str, Any]]]:
        return by_precinct_of(self.numbers)

    def counties(self) -> list[str]:
        return list(dict.fromkeys(p.county for p in self.precincts))

    def labels(self) -> dict[str, str]:
        return {n["field"]: n["label"] for n in self.numbers}

    def index(self, manifest_sha256: str) -> str:
        """The state's page; it names the manifest's digest (the manifest lists every
        other file's)."""
        links = "".join(
            f'<li><a href="{county_slug(c)}/index.html">{escape(c)}</a></li>'
            for c in self.counties()
        )
        body = (
            f"<p>Manifest SHA-256: <code>{manifest_sha256}</code>. Check this export offline "
            "with <code>python3 verify_publication.py</code>; the numbers are in "
            '<a href="results.json">results.json</a> and <a href="results.csv">results.csv</a>, '
            'the evidence in <a href="manifest.json">manifest.json</a>.</p>'
            f"<h2>Totals</h2>{self.totals_table(ALL)}<h2>Counties</h2><ul>{links}</ul>"
        )
        meta = f'<meta name="{MANIFEST_META}" content="{manifest_sha256}">'
        return _page(self.title("All counties"), body, meta)

    def title(self, what: str) -> str:
        election = self.about["election"]
        return f"{election['name']}: {what}"

    def totals_table(self, group: str) -> str:
        lines = self.totals.get(group, {})
        labels = self.labels()
        rows = "".join(
            f"<tr><td>{escape(labels.get(field, field))}</td>"
            f'<td class="n"><span data-total="{escape(group)}|{escape(field)}">'
            f"{shown(line['value'])}</span></td><td>{_total_note(line['status'])}</td></tr>"
            for field, line in lines.items()
        )
        head = "<tr><th>field</th><th>total</th><th></th></tr>"
        return f"<table>{head}{rows}</table>"


def write_pages(pages: PageSet) -> dict[str, str]:
    """Every page but `index.html` (which names the manifest, written last), by path."""
    found: dict[str, str] = {}
    for county in pages.counties():
        slug = county_slug(county)
        mine = [p for p in pages.precincts if p.county == county]
        found[f"{slug}/index.html"] = _county_page(pages, county, mine)
        for precinct in mine:
            found[f"{slug}/{precinct.precinct}.html"] = _precinct_page(pages, precinct)
    return found


def _county_page(pages: PageSet, county: str, precincts: list[PrecinctNumbers]) -> str:
    links = "".join(
        f'<li><a href="{p.precinct}.html">{escape(p.precinct)}</a> {escape(p.name)}'
        f"{'' if p.certified is None else ' (certified)'}</li>"
        for p in precincts
    )
    body = (
        f'<p><a href="../index.html">All counties</a></p><h2>Totals</h2>'
        f"{pages.totals_table(county)}<h2>Precincts</h2><ul>{links}</ul>"
    )
    return _page(pages.title(county), body)


def _precinct_page(pages: PageSet, precinct: PrecinctNumbers) -> str:
    photo = None if precinct.photo is None else pages.photos.get(precinct.photo.photo_id)
    said = "certified by " + precinct.certified if precinct.certified else "not certified yet"
    photo_link = "" if photo is None else f' <a href="../{photo}">The photo of the sheet</a>.'
    rows = "".join(_number_row(n) for n in pages.by_precinct.get(precinct.precinct, []))
    body = (
        f'<p><a href="index.html">{escape(precinct.county)}</a> &middot; {escape(said)}.'
        f"{photo_link} Each number links to its crop of the sheet; * marks a number not "
        "settled yet.</p><table><tr><th>field</th><th>number</th><th></th>"
        f"<th>justified by</th></tr>{rows}</table>"
    )
    return _page(pages.title(f"{precinct.precinct} {precinct.name}"), body)


def _number_row(number: dict[str, Any]) -> str:
    target = number["crop"] or number["photo"]
    ident = escape(f"{number['precinct']}|{number['field']}")
    text = shown(number["value"])
    cell = (
        f'<a data-number="{ident}" href="../{escape(target)}">{text}</a>'
        if target
        else f'<span data-number="{ident}">{text}</span>'
    )
    why = (number["justification"] or {}).get("kind", "")
    note = NOTES.get(number["status"], "")
    return (
        f'<tr><td>{escape(number["label"])}</td><td class="n">{cell}</td>'
        f'<td class="mark">{escape(note)}</td><td>{escape(why)}</td></tr>'
    )


def _total_note(status: str) -> str:
    return {"provisional": "includes numbers not settled yet", "incomplete": "incomplete"}.get(
        status, ""
    )


def _page(title: str, body: str, meta: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
