"""The certification report: readable HTML, and the same content as PDF.

The totals table is whatever the election's form and rule set make of the results (built
by `canvass.stories.certify.report_totals`): a heading per results column, SDE only where
the rules allocate delegates; the report itself knows no form.

The HTML report is one self-contained file (it is signed, archived and opened from disk),
so its style is inline; the app serves it under its Content-Security-Policy, which allows
exactly this style by its hash (`REPORT_STYLE_HASH`, see `canvass.web.security`) and no
other. Kinds, decisions and findings are in words (`canvass.wording`); the discrepancies
CSV keeps each code in its own column beside the words."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape

from canvass.store.views import ReportItem
from canvass.wording import decision_words, finding_words, kind_words

TEMPLATES = Path(__file__).resolve().parent / "templates"
REPORT_STYLE = (TEMPLATES / "report.css").read_text(encoding="utf-8")
REPORT_STYLE_HASH = "sha256-" + base64.b64encode(
    hashlib.sha256(REPORT_STYLE.encode("utf-8")).digest()
).decode("ascii")
"""The CSP source that allows the report's one inline style element (its exact text)."""


@dataclass(frozen=True)
class ReportContent:
    election: str
    scope: str
    certifier: str
    role: str
    at: str
    manifest: str
    audit_head: str
    precincts: int
    items: list[ReportItem]
    form: str
    rules: str
    row_heading: str
    headings: list[str]
    totals: list[tuple[str, list[str]]]


def render_html(content: ReportContent) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
    )
    env.filters["kind_words"] = kind_words
    return env.get_template("report.html.j2").render(**content.__dict__, style=REPORT_STYLE)


def render_pdf(content: ReportContent) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"{content.scope}: certified results"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    for line in (
        content.election,
        f"{content.rules}; sheet: {content.form}",
        f"Certified by {content.certifier} ({content.role}) at {content.at} UTC",
        f"Evidence manifest SHA-256: {content.manifest}",
        f"Audit log head: {content.audit_head}",
        f"Precincts: {content.precincts}",
    ):
        pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    _pdf_table(
        pdf,
        [content.row_heading, *content.headings],
        [[label, *cells] for label, cells in content.totals],
    )
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0,
        8,
        f"Discrepancies and how each was resolved ({len(content.items)})",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", size=8)
    for i in content.items:
        pdf.multi_cell(
            0,
            4,
            _latin(f"#{i.id} {i.precinct}, {kind_words(i.kind)}: {i.message} -> {i.decision}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


def _pdf_table(pdf: FPDF, header: list[str], rows: list[list[str]]) -> None:
    pdf.ln(2)
    widths = (60, *(25 for _ in header[1:]))
    with pdf.table(col_widths=widths, text_align="RIGHT") as table:
        for values in [header, *rows]:
            row = table.row()
            for v in values:
                row.cell(_latin(v))
    pdf.ln(2)


def _latin(text: str) -> str:
    """The PDF's core fonts are Latin-1: replace anything else rather than fail."""
    return text.encode("latin-1", "replace").decode("latin-1")


CSV_COLUMNS = (
    "item",
    "precinct",
    "kind",
    "kind_words",
    "finding",
    "finding_words",
    "message",
    "decision",
    "decision_words",
)


def discrepancies_csv(items: Sequence[ReportItem]) -> str:
    """The discrepancies and how each was resolved, one row per item: each code (`kind`,
    `finding`, `decision`) in its own column for programs, its words beside it for people;
    `decision_words` is the whole decision as the report says it (value, who, why)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i in items:
        finding = finding_words(i.code) if i.code else ""
        decided = i.decision or (decision_words(i.action) if i.action else "")
        kind = kind_words(i.kind)
        writer.writerow(
            [i.id, i.precinct, i.kind, kind, i.code, finding, i.message, i.action, decided]
        )
    return out.getvalue()
