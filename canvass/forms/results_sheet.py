"""A precinct results sheet for one race of a general election.

One row per ballot line (the election's `candidates`: tickets and write-ins), each with the
votes cast on election day, the absentee votes and their total, and a totals row. Its
identities: each row's total is election day + absentee (the totals row too), and each
column's totals cell is the sum of its lines. No allocation: the findings are the
identities the paper breaks.
"""

from __future__ import annotations

from canvass.forms.spec import Column, ColumnSum, FormSpec, RowSum

PRECINCT_RESULTS = FormSpec(
    id="precinct-results",
    title="Precinct Results",
    row_heading="Ballot line",
    header=(),
    columns=(
        Column("election_day", "Election day", 4, 1180, ("Election", "day")),
        Column("absentee", "Absentee", 4, 1600, ("Absentee",)),
        Column("total", "Total votes", 4, 2020, ("Total", "votes")),
    ),
    sums=(
        RowSum(
            ("election_day", "absentee"),
            "total",
            "LINE_TOTAL_MISMATCH",
            "a line's total = election day + absentee",
        ),
        ColumnSum(
            "total", "total", "COLUMN_TOTAL_MISMATCH", "the totals row = the sum of the lines"
        ),
        ColumnSum(
            "election_day",
            "election_day",
            "COLUMN_TOTAL_MISMATCH",
            "the totals row = the sum of the lines",
        ),
        ColumnSum(
            "absentee", "absentee", "COLUMN_TOTAL_MISMATCH", "the totals row = the sum of the lines"
        ),
    ),
    totals_row="Totals",
    always_written=("election_day", "absentee", "total"),
    footer=("Precinct election officials: these are the precinct's results for this race.",),
)
