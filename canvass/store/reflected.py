"""The tables a query runs on: the declared ones (`canvass.store.tables`) or the same
tables read back from the database itself.

Why both: SQLModel, the ORM and the nineteen pydantic-backed table classes cost a light
command about 0.18 s of CPU, a third of `canvass status` (issue 17); reflecting the nine
tables it reads costs 11-14 ms on SQLite. A read-only query written once on
SQLAlchemy Core runs on either source, so the light commands (`canvass status`,
`canvass queue`) ask the database for the few tables they read, and everything else
keeps the declared ones. There is still one owner of the schema: the declared tables,
which the migrations are tested equal to, and the database those migrations built;
reflection reads back what they made, and a test holds every reflected table to its
declared one. The one thing a database cannot say is that a time column holds UTC:
every time in this schema does (`UTCDateTime`), so every reflected time column reads
as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, DateTime, Inspector, MetaData, Table, event

from canvass.store.types import UTCDateTime


class Tables(Protocol):
    """Tables by name: `tables["review_item"]`."""

    def __getitem__(self, name: str, /) -> Table: ...


def declared_tables() -> Tables:
    """The tables as `canvass.store.tables` declares them (imports SQLModel)."""
    from sqlmodel import SQLModel

    import canvass.store.tables  # noqa: F401 -- declares every table on SQLModel.metadata

    return SQLModel.metadata.tables


class ReflectedTables:
    """The tables `names` as the database at `connection` has them, read at once: one
    catalogue query per kind of fact for all of them, where reading each table alone took
    PostgreSQL a tenth of a second more (issue 17)."""

    def __init__(self, connection: Connection, names: Sequence[str]) -> None:
        self._metadata = MetaData()
        event.listen(self._metadata, "column_reflect", _times_in_utc)
        self._metadata.reflect(connection, only=list(names), resolve_fks=False)

    def __getitem__(self, name: str) -> Table:
        return self._metadata.tables[name]


def tables_for(connection: Connection, reflect: bool, names: Sequence[str]) -> Tables:
    """The tables `names`: reflected when `reflect` (the light commands), else declared."""
    return ReflectedTables(connection, names) if reflect else declared_tables()


def _times_in_utc(_inspector: Inspector, _table: Table, column: dict[str, Any]) -> None:
    if isinstance(column["type"], DateTime):
        column["type"] = UTCDateTime()
