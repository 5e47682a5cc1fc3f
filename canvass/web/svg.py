"""Pictures drawn on the server, as inline SVG markup: a county's progress as one stacked bar,
and the candidates' shares as bars.

Why SVG from the server: the pages' Content-Security-Policy (`canvass/web/security.py`)
allows no inline script, no inline style and nothing from another origin, and the pictures
must work on a phone with JavaScript off. Inline SVG is part of the page's markup, so the
policy allows it as long as it uses presentation attributes (`fill`, `width`) and classes,
never a `style` attribute. Sizes are in percent of the page's width, text in pixels, so a
picture fits a phone and a desktop without shrinking its words.

Every piece of text is escaped here (names come from election files and sheets); the
functions are pure and return markup for the templates to mark safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

STAGE_COLOURS = {
    "photos": "#9fb8d6",
    "read": "#5b8cc4",
    "matched": "#2e7d5b",
    "in_review": "#d08a1e",
    "certified": "#1b4d3e",
}
"""One colour per stage, in the order the bar stacks them (the legend uses the same)."""
SHARE_COLOUR = "#3b6ea5"
TRACK_COLOUR = "#e6e9ee"


@dataclass(frozen=True)
class Segment:
    """One stage's part of a bar: `stage` names its colour, `label` says it in words."""

    stage: str
    label: str
    count: int


@dataclass(frozen=True)
class Share:
    """One candidate's or ballot line's share: its name, its number and how to say it."""

    name: str
    value: float
    shown: str  # the number in words: "12.345 SDE", "1,234 votes"


def attr(value: object) -> str:
    """Text fit for an attribute or an element's content."""
    return escape(str(value), quote=True)


def pct(part: float, whole: float) -> float:
    """`part` as a percentage of `whole` (0 when there is no whole)."""
    return 100.0 * part / whole if whole > 0 else 0.0


def stage_bar(name: str, segments: Sequence[Segment], total: int) -> str:
    """One stacked bar: each segment's width is its share of `total` (the county's
    precincts); what is left is drawn as the empty track. Each part has a title (a tooltip)
    and the whole an aria-label, so the picture is also read out."""
    said = ", ".join(f"{s.count} {s.label}" for s in segments)
    label = f"{name}: {said} of {total}"
    parts, x = [], 0.0
    for s in segments:
        width = pct(s.count, total)
        if width <= 0:
            continue
        parts.append(
            f'<rect x="{x:.3f}%" y="0" width="{width:.3f}%" height="100%" '
            f'fill="{STAGE_COLOURS.get(s.stage, "#888888")}" class="seg-{attr(s.stage)}">'
            f"<title>{attr(s.label)}: {s.count} of {total}</title></rect>"
        )
        x += width
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="stage-bar" width="100%" height="14" '
        f'role="img" aria-label="{attr(label)}">'
        f'<rect x="0" y="0" width="100%" height="100%" fill="{TRACK_COLOUR}"/>'
        f"{''.join(parts)}</svg>"
    )


def stage_legend(labels: Sequence[tuple[str, str]]) -> str:
    """A key to the bars' colours: (stage, words) in the bars' order."""
    items = "".join(
        f'<span class="key"><svg xmlns="http://www.w3.org/2000/svg" width="12" height="12" '
        f'aria-hidden="true"><rect width="12" height="12" '
        f'fill="{STAGE_COLOURS.get(stage, "#888888")}"/></svg>{attr(words)}</span>'
        for stage, words in labels
    )
    return f'<p class="legend small">{items}</p>'


ROW = 40  # px per share: the name above its bar
BAR = 14


def share_chart(shares: Sequence[Share], title: str) -> str:
    """Bars per candidate, each as wide as its share of the whole, the longest filling
    most of the width; the name above the bar, the percentage after it (short enough to
    fit beside the longest bar on a phone) and the number in the tooltip."""
    whole = sum(s.value for s in shares if s.value > 0)
    widest = max((s.value for s in shares), default=0.0)
    rows = []
    for i, s in enumerate(shares):
        top = i * ROW
        share = pct(max(s.value, 0.0), whole)
        width = 75.0 * max(s.value, 0.0) / widest if widest > 0 else 0.0
        said = f"{share:.1f}% ({s.shown})"
        rows.append(
            f'<g class="share"><title>{attr(s.name)}: {attr(said)}</title>'
            f'<text x="0" y="{top + 13}" font-size="13" fill="#1d2733">{attr(s.name)}</text>'
            f'<rect x="0" y="{top + 18}" width="100%" height="{BAR}" fill="{TRACK_COLOUR}"/>'
            f'<rect x="0" y="{top + 18}" width="{width:.3f}%" height="{BAR}" '
            f'fill="{SHARE_COLOUR}"/>'
            f'<text x="{width + 1:.3f}%" y="{top + 30}" font-size="12" fill="#1d2733">'
            f"{share:.1f}%</text></g>"
        )
    height = max(len(shares), 1) * ROW
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="share-chart" width="100%" '
        f'height="{height}" role="img" aria-label="{attr(title)}">'
        f"<title>{attr(title)}</title>{''.join(rows)}</svg>"
    )
