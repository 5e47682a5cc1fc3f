"""The review queue as it is listed: the open items, those that move the most SDE first,
and what each edge shows of an item.

Kept apart from `canvass.store.review` (claims, decisions, reconciliation's sync, which
need the declared tables and a unit of work) and written on SQLAlchemy Core, so
`canvass queue` lists the queue without importing SQLModel or the reviewer's stories
(issue 17); `canvass.store.review` and `canvass.stories.review` re-export what is here,
and every edge lists the queue through this one query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, select

from canvass.policy import is_blind
from canvass.store.lookups import latest_election_id
from canvass.store.reflected import tables_for


@dataclass(frozen=True)
class QueueItem:
    id: int
    precinct_id: str
    county: str
    kind: str
    fields: list[str]
    details: dict[str, Any]
    effect_delegates: int
    effect_sde: float
    status: str
    claimed_by: str | None
    claim_expires_at: datetime | None = None

    def holder(self, now: datetime) -> str | None:
        """Who holds the item now: nobody once the claim has lapsed."""
        live = self.claim_expires_at is not None and self.claim_expires_at > now
        return self.claimed_by if live else None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "precinct": self.precinct_id,
            "county": self.county,
            "kind": self.kind,
            "fields": self.fields,
            "effect": {"county_delegates": self.effect_delegates, "sde": round(self.effect_sde, 4)},
            "status": self.status,
            "details": self.details,
        }


class ItemRow(Protocol):
    """A `review_item` row: a declared `ReviewItemRow` or a row of a Core query."""

    @property
    def id(self) -> int | None: ...
    @property
    def precinct_id(self) -> str: ...
    @property
    def county(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def fields_json(self) -> str: ...
    @property
    def details_json(self) -> str: ...
    @property
    def effect_delegates(self) -> int: ...
    @property
    def effect_sde(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def claimed_by(self) -> str | None: ...
    @property
    def claim_expires_at(self) -> datetime | None: ...


def queue_item(row: ItemRow) -> QueueItem:
    return QueueItem(
        id=row.id or 0,
        precinct_id=row.precinct_id,
        county=row.county,
        kind=row.kind,
        fields=json.loads(row.fields_json),
        details=json.loads(row.details_json),
        effect_delegates=row.effect_delegates,
        effect_sde=row.effect_sde,
        status=row.status,
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
    )


def queue(
    engine: Engine,
    election_id: str | None,
    county: str | None = None,
    kind: str | None = None,
    statuses: Sequence[str] = ("open", "waiting"),
    *,
    reflect: bool = False,
) -> list[QueueItem]:
    """Items still to decide, the ones that move the most SDE and delegates first.
    `election_id` None: the election loaded last. `reflect`: on the tables read from the
    database (`canvass.store.reflected`), for a command that must start fast."""
    with engine.connect() as connection:
        tables = tables_for(connection, reflect, ("review_item", "election"))
        items = tables["review_item"]
        eid = election_id or latest_election_id(connection, tables)
        query = select(items).where(items.c.election_id == eid, items.c.status.in_(statuses))
        if county:
            query = query.where(items.c.county == county)
        if kind:
            query = query.where(items.c.kind == kind)
        query = query.order_by(
            items.c.effect_sde.desc(), items.c.effect_delegates.desc(), items.c.id
        )
        return [queue_item(r) for r in connection.execute(query)]


def blind_message(item: QueueItem, label: Callable[[str], str] = str) -> str:
    """What a blind item says instead of its message (which names the reported value)."""
    where = ", ".join(label(k) for k in item.fields) or item.precinct_id
    return f"{where}: key it from the crop (blind double entry)"


def queue_json(item: QueueItem, now: datetime, label: Callable[[str], str] = str) -> dict[str, Any]:
    """An item as the queue lists it, on every edge (a lapsed claim holds nothing); a
    blind item's message and details would show the reported value, so they are left out."""
    held = {"claimed_by": item.holder(now)}
    if not is_blind(item.kind):
        return item.as_json() | held
    return item.as_json() | held | {"details": {"message": blind_message(item, label)}}
