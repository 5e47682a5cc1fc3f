"""The certification report: readable HTML, and the same content as PDF.

The totals table is whatever the election's form and rule set make of the results (built
by `canvass.stories.certify.report_totals`): a heading per results column, SDE only where
the rules allocate delegates; the report itself knows no form."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape

from canvass.store.views import ReportItem

TEMPLATES = Path(__file__).resolve().parent / "templates"


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
    return env.get_template("report.html.j2").render(**content.__dict__)


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
            _latin(f"#{i.id} {i.precinct} {i.kind}: {i.message} -> {i.decision}"),
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
