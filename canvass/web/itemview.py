"""Everything a reviewer sees of one item, gathered once for the page and the API.

What is offered comes from the decision policy (`canvass.policy`), which the store
enforces. Blind double entry: a value no machine could read (kind `unreadable`) is keyed
by two reviewers who must not influence each other, so for those items neither the other
entries nor the reported values nor the machine's guess are shown; only the crop, and how
many entries there are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from canvass.forms.registry import form_of
from canvass.model import Election
from canvass.policy import allowed_actions, is_blind
from canvass.store.claims import Claim, precinct_claims
from canvass.store.decide import decisions_for
from canvass.store.review import QueueItem, queue_item_by_id
from canvass.store.views import (
    certified_scopes,
    paper_in_force,
    precinct_items,
    withheld_fields,
)
from canvass.stories import review as reviewing
from canvass.web.context import WebContext
from canvass.web.readback import precinct_title
from canvass.wording import decision_words, kind_text, reason_words
from canvass.worksheet.layout import WorksheetLayout


@dataclass(frozen=True)
class Action:
    """One choice on the item's form. `form_value` is what the radio button sends:
    the action's name, or `confirm_reported=N` for one of several reported values."""

    name: str
    label: str
    needs_value: bool
    reason: str
    form_value: str = ""


@dataclass(frozen=True)
class FieldView:
    key: str
    label: str
    crop_url: str | None
    value: int | None
    confidence: float | None
    status: str | None


@dataclass(frozen=True)
class PhotoRead:
    """One photo's clear number for the field, when photos of the sheet disagree."""

    photo_id: int
    value: int
    crop_url: str


@dataclass(frozen=True)
class Mark:
    """Where a field is on the straightened sheet (page pixels), to outline it."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class UploaderSays:
    """What the person who sent a photo of the sheet said differs ("No, something
    differs"): evidence beside the crop, never a number by itself. On a blind item the
    numbers are withheld like every other value."""

    uploader: str
    at: datetime
    photo_url: str
    lines: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "uploader": self.uploader,
            "at": self.at.isoformat(),
            "photo_url": self.photo_url,
            "lines": self.lines,
        }


@dataclass(frozen=True)
class ItemView:
    item: QueueItem
    title: str
    explanation: str
    blind: bool
    fields: list[FieldView]
    sheet_url: str | None
    photo_url: str | None
    reported: dict[str, int]
    findings: list[QueueItem]
    decisions: list[dict[str, Any]]
    entries: int
    entered: bool
    actions: list[Action]
    held_by: str | None
    held_until: datetime | None
    suggested_value: int | None = None
    open: bool = field(default=True)
    marks: list[Mark] = field(default_factory=list)
    page: tuple[int, int] = (0, 0)
    photos: list[PhotoRead] = field(default_factory=list)
    frozen: bool = False
    blind_text: str = ""  # what a blind item says instead of its message
    uploader_says: list[UploaderSays] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return self.item.as_json() | {
            "claimed_by": self.held_by,
            "message": self.blind_text if self.blind else self.item.details.get("message"),
            "details": {"message": self.blind_text} if self.blind else self.item.details,
            "blind": self.blind,
            "fields_read": [f.__dict__ for f in self.fields],
            "sheet_url": self.sheet_url,
            "photo_url": self.photo_url,
            "reported": self.reported,
            "findings": [f.as_json() for f in self.findings],
            "decisions": self.decisions,
            "entries": self.entries,
            "you_entered": self.entered,
            "actions": [a.name for a in self.actions] if self.open else [],
            "photos": [p.__dict__ for p in self.photos],
            "uploader_says": [u.as_json() for u in self.uploader_says],
        }


def field_label(election: Election, key: str) -> str:
    """What a person calls the field on the election's form: `First alignment, Biden`,
    `Absentee, Totals`."""
    return form_of(election).label(key)


def labeler(election: Election) -> Callable[[str], str]:
    """`field_label` for one election, as the review story's label function."""
    return partial(field_label, election)


def actions_for(kind: str, reported: dict[str, int]) -> list[Action]:
    """The choices the policy allows for `kind`; "the report is right" is offered once per
    distinct reported value when the sources disagree (the server takes the value from
    the report, never from the "paper shows" box)."""
    choices: list[Action] = []
    values = sorted(set(reported.values()))
    for name in allowed_actions(kind):
        label, reason = decision_words(name, kind), reason_words(name, kind)
        if name == "confirm_reported" and len(values) > 1:
            for v in values:
                said = ", ".join(s for s, n in sorted(reported.items()) if n == v)
                choices.append(Action(name, f"{label}: {v} ({said})", False, reason, f"{name}={v}"))
            continue
        if name == "confirm_reported" and values:
            label = f"{label}: {values[0]}"
        choices.append(Action(name, label, name == "paper_says", reason, name))
    return choices


def item_view(ctx: WebContext, item_id: int, reviewer: str, now: datetime) -> ItemView:
    item = queue_item_by_id(ctx.engine, item_id)
    withheld = withheld_fields(ctx.engine, ctx.election.id, item.precinct_id)
    blind = is_blind(item.kind) or bool(withheld & set(item.fields))  # older items too
    frozen = item.county in certified_scopes(ctx.engine, ctx.election.id)
    paper = paper_in_force(ctx.engine, ctx.election.id, item.precinct_id)
    fields = []
    for key in item.fields:
        read = paper.reading.fields.get(key) if paper else None
        crop = f"/crops/{paper.photo_id}/{quote(key)}.png" if paper and paper.crops_dir else None
        fields.append(
            FieldView(
                key,
                field_label(ctx.election, key),
                crop,
                None if blind or read is None else read.value,
                None if blind or read is None else round(read.confidence, 4),
                None if read is None else read.status,
            )
        )
    decisions = decisions_for(ctx.engine, item_id)
    holder = item.holder(now)
    suggested = item.details.get("paper_clear", item.details.get("paper")) if not blind else None
    return ItemView(
        item=item,
        title=precinct_title(ctx.election, item.precinct_id),
        explanation=kind_text(item.kind),
        blind=blind,
        fields=fields,
        sheet_url=f"/crops/{paper.photo_id}/sheet.jpg" if paper and paper.crops_dir else None,
        photo_url=f"/photos/{paper.sha256}" if paper else None,
        reported={} if blind else dict(item.details.get("reported", {})),
        findings=_findings(ctx, item),
        decisions=[] if blind else [_decision(d) for d in decisions],
        entries=sum(1 for d in decisions if d.action == "paper_says"),
        entered=any(d.reviewer == reviewer for d in decisions if d.action == "paper_says"),
        actions=actions_for(item.kind, {} if blind else dict(item.details.get("reported", {}))),
        held_by=holder,
        held_until=item.claim_expires_at if holder else None,
        suggested_value=suggested if isinstance(suggested, int) else None,
        open=item.status in ("open", "waiting") and not frozen,
        frozen=frozen,
        marks=field_marks(ctx.layout, item.fields),
        page=(ctx.layout.width, ctx.layout.height),
        photos=_photos(item),
        blind_text=blind_message(item, ctx.election),
        uploader_says=uploader_says(ctx, item, blind),
    )


def uploader_says(ctx: WebContext, item: QueueItem, blind: bool) -> list[UploaderSays]:
    """The uploaders' "something differs" on this item's fields (every one of them for an
    item of the whole precinct), oldest first; a blind item names the fields only."""
    claims = precinct_claims(ctx.engine, ctx.election.id, item.precinct_id)
    wanted = set(item.fields)
    return [
        UploaderSays(c.uploader, c.at, f"/photos/{c.sha256}", _said(ctx.election, c, wanted, blind))
        for c in claims
        if not wanted or wanted & set(c.values)
    ]


def _said(election: Election, claim: Claim, wanted: set[str], blind: bool) -> list[str]:
    keys = [k for k in claim.values if not wanted or k in wanted]
    if blind:
        return [f"{field_label(election, k)}: another number than the machine read" for k in keys]
    return [f"{field_label(election, k)}: the sheet shows {claim.values[k]}" for k in keys]


def _photos(item: QueueItem) -> list[PhotoRead]:
    shown = item.details.get("photos")
    if not isinstance(shown, dict) or len(item.fields) != 1:
        return []
    key = item.fields[0]
    url = f"{quote(key)}.png"  # a ballot line's key holds spaces
    return [PhotoRead(int(p), int(v), f"/crops/{int(p)}/{url}") for p, v in shown.items()]


def field_marks(layout: WorksheetLayout, keys: list[str]) -> list[Mark]:
    """The outline of each field's digit boxes, with a margin."""
    fields = {f.key: f for f in layout.combs}
    marks = []
    for key in keys:
        found = fields.get(key)
        if found is not None and found.boxes:
            first, last = found.boxes[0], found.boxes[-1]
            pad = first.h // 4
            width = last.x + last.w - first.x + 2 * pad
            marks.append(Mark(first.x - pad, first.y - pad, width, first.h + 2 * pad))
    return marks


def queue_json(item: QueueItem, now: datetime, election: Election) -> dict[str, Any]:
    """`canvass.stories.review.queue_json` with the fields' labels in words."""
    return reviewing.queue_json(item, now, labeler(election))


def blind_message(item: QueueItem, election: Election) -> str:
    return reviewing.blind_message(item, labeler(election))


def _findings(ctx: WebContext, item: QueueItem) -> list[QueueItem]:
    return [
        i
        for i in precinct_items(ctx.engine, ctx.election.id, item.precinct_id)
        if i.kind == "math_finding" and i.id != item.id
    ]


def _decision(d: Any) -> dict[str, Any]:
    return {
        "reviewer": d.reviewer,
        "action": d.action,
        "value": d.value,
        "reason": d.reason,
        "final": d.final,
        "at": d.at.isoformat(),
    }


def county_names(election: Election) -> list[str]:
    return list(dict.fromkeys(p.county for p in election.precincts))
