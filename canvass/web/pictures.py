"""What the pictures show: the progress page's stacked bars (from the store's status) and
the results pages' shares (from the results' totals). `canvass.web.svg` draws; this module
chooses the numbers and their words.

A share is of the number the election is decided by: the SDE where the rules allocate
delegates (a caucus), else each line's total votes (the column a row sum adds up to on the
form, else the form's last results column).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup

from canvass.forms.registry import form_of
from canvass.forms.spec import RowSum
from canvass.model import Election
from canvass.store.status import Status
from canvass.stories.results import (
    ResultRow,
    allocates_delegates,
    result_lines,
    results_columns,
    totals,
)
from canvass.web.svg import Segment, Share, share_chart, stage_bar, stage_legend

STAGES = (
    ("photos", "photo in", "photos"),
    ("read", "read", "read"),
    ("matched", "matched", "cleared"),
    ("in_review", "in review", "in_review"),
    ("certified", "certified", "certified"),
)
"""(the bar's stage, its words, the store's stage): the order the bar stacks them, as the
issue asks: photos in, then read, matched, in review, certified."""


def progress_bars(status: Status) -> dict[str, Markup]:
    """One bar per county, and "" for the whole election: each precinct counted once, in
    the furthest stage it has reached."""
    bars = {}
    for county, counts in status.counties.items():
        bars[county] = _bar(county, status.furthest.get(county, {}), counts.precincts)
    bars[""] = _bar("All counties", status.furthest.get("", {}), status.total.precincts)
    return bars


def _bar(name: str, furthest: dict[str, int], total: int) -> Markup:
    segments = [Segment(stage, words, furthest.get(key, 0)) for stage, words, key in STAGES]
    return Markup(stage_bar(name, segments, total))  # escaped in svg.py


def progress_legend() -> Markup:
    return Markup(stage_legend([(stage, words) for stage, words, _ in STAGES]))


def shares(rows: Sequence[ResultRow], election: Election) -> list[Share]:
    """Each candidate's or ballot line's number the shares are of (the totals row left
    out), in the election's order."""
    found = totals(rows, election)
    lines = [(label, line) for label, line in result_lines(election) if line is not None]
    if allocates_delegates(election):
        return [
            Share(label, float(found[label].sde or Decimal(0)), f"{found[label].sde} SDE")
            for label, _ in lines
        ]
    column = vote_column(election)
    return [
        Share(label, float(n), f"{n:,} votes")
        for label, _ in lines
        for n in [found[label].counts.get(column, 0)]
    ]


def vote_column(election: Election) -> str:
    """The column a line's votes are read from: a row sum's total, else the last one."""
    spec = form_of(election)
    names = [c.name for c in results_columns(spec)]
    for s in spec.sums:
        if isinstance(s, RowSum) and s.total in names:
            return s.total
    return names[-1] if names else ""


def shares_chart(rows: Sequence[ResultRow], election: Election, where: str) -> Markup | None:
    """The share chart of `rows`, largest first, lines with none left out as the totals
    table leaves them out (None when nothing is counted yet)."""
    found = sorted((s for s in shares(rows, election) if s.value > 0), key=lambda s: -s.value)
    if not found:
        return None
    what = "SDE" if allocates_delegates(election) else "votes"
    title = f"Share of {what} per {form_of(election).row_heading.lower()}, {where}"
    return Markup(share_chart(found, title))  # escaped in svg.py


def share_unit(election: Election) -> str:
    """What the shares are of, in words."""
    return "state delegate equivalents (SDE)" if allocates_delegates(election) else "votes"
