"""Opening the database and bringing its schema up to date.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout, so
readers never block the writer and a second process waits instead of failing. PostgreSQL
is used when the settings name one. Alembic owns the schema from the first table.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError

from canvass.errors import NotReadyError, StorageError
from canvass.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite connections get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_engine(settings: Settings) -> Engine:
    """Connect to the configured database (creating the data directory for SQLite)."""
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url())
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise StorageError(
            f"cannot reach the database ({exc.orig}); check CANVASS_DATABASE_URL "
            "or that the server is running"
        ) from exc
    return engine


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to run on an up-to-date database."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that was never initialised or is behind the code.

    Every command runs this, so it answers without importing alembic (a third of a
    second): the revision stored in `alembic_version` against the newest one in
    `migrations/versions` (`schema_head`). A branched history, which this simple reading
    does not judge, is left to alembic itself."""
    head = schema_head()
    stored: list[str] = []
    if head is not None:
        with engine.connect() as conn:
            stored = _stored_revisions(conn)
    if head is None or len(stored) > 1:
        current, head = _revisions_by_alembic(engine)
    else:
        current = stored[0] if stored else None
    if current is None:
        raise NotReadyError("the database has not been set up: run `canvass init` first")
    if current != head:
        raise NotReadyError(
            f"the database schema is at {current}, the code needs {head}: "
            "run `canvass init` to upgrade"
        )


def _stored_revisions(conn: Any) -> list[str]:
    if not inspect(conn).has_table("alembic_version"):
        return []
    return [str(r) for r in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()]


@cache
def schema_head() -> str | None:
    """The newest revision of the migrations: the one no other revision revises (None
    when that is not exactly one, or a file does not say plainly; alembic decides then).
    Read from the files' `revision` and `down_revision` assignments, not by importing them."""
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        names = _assigned_strings(path)
        revision = names.get("revision")
        if not isinstance(revision, str):
            return None
        down = names.get("down_revision")
        revisions[revision] = (down,) if isinstance(down, str) else tuple(down or ())
    revised = {down for downs in revisions.values() for down in downs}
    heads = [r for r in revisions if r not in revised]
    return heads[0] if len(heads) == 1 else None


def _assigned_strings(path: Path) -> dict[str, Any]:
    """Module-level `name = <literal>` assignments of a migration file."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and value is not None:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                found[target.id] = None
    return found


def _revisions_by_alembic(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's revision, the code's head), as alembic reads them."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision(), head


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. (SQLModel is imported
    here, not with the module: `canvass status` and `queue` open the database without it.)"""
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
