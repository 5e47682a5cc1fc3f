"""The distributed reading queue: procrastinate's jobs, in the PostgreSQL canvass already uses.

Why procrastinate: its queue is a table in the same database as the photos, so a photo's
row and its reading job are written in ONE transaction (`defer_read` runs procrastinate's
supported `configure(connection=...)` on the session's own connection): a crash never
leaves a stored photo without its job, or a job for a photo that was never stored. Celery
with RabbitMQ or Redis cannot do that (the broker is another system; a commit and a
publish are two steps), and it would be one more server to run and watch.

procrastinate's tables live in their own PostgreSQL schema, `procrastinate`, so they stay
apart from the election's tables (and from Alembic's comparison of them). On SQLite there
is no job table: the photo's `queued` status is the queue (one machine).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from canvass.errors import ConflictError, StorageError

SCHEMA = "procrastinate"
TASK = "canvass.read_photo"
QUEUE = "reading"


def uses_job_queue(bind: Engine | Connection) -> bool:
    """True where reading runs through procrastinate jobs (PostgreSQL)."""
    return bind.dialect.name == "postgresql"


def install_job_schema(connection: Connection) -> None:
    """Create procrastinate's schema once, inside the caller's (migration) transaction."""
    raw = connection.connection.driver_connection
    assert raw is not None
    found = raw.execute(f"SELECT to_regclass('{SCHEMA}.procrastinate_jobs')").fetchone()
    if found is not None and found[0] is not None:
        return
    from procrastinate.schema import SchemaManager

    raw.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    with _search_path_first(raw):
        raw.execute(SchemaManager.get_schema())
    raw.execute(PIN_FUNCTIONS)


# procrastinate's functions and triggers name its tables unqualified: pin each function's
# search path to its schema, so they work from any connection (a DELETE from psql too).
PIN_FUNCTIONS = f"""
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '{SCHEMA}'
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = {SCHEMA}', f);
    END LOOP;
END
$$
"""


def drop_job_schema(connection: Connection) -> None:
    """Remove the queue (downgrading below the revision that made it)."""
    connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


def defer_read(session: Session, photo_id: int) -> None:
    """Queue `photo_id` for reading in the session's transaction (a no-op on SQLite).

    The job commits or rolls back with the photo's row. `queueing_lock` keeps one waiting
    job per photo, so re-queueing (doctor --repair) never doubles it.
    """
    if not uses_job_queue(session.connection()):
        return
    from procrastinate import exceptions

    raw = session.connection().connection.driver_connection
    try:
        with _search_path_first(raw):
            _defer_on(raw, photo_id)
    except exceptions.AlreadyEnqueued as exc:
        raise ConflictError(f"photo {photo_id} already has a job waiting") from exc
    except exceptions.ProcrastinateException as exc:
        raise StorageError(
            f"cannot queue photo {photo_id} for reading ({exc.__cause__ or exc}): "
            "run `canvass init` to install the job queue"
        ) from exc


def defer_queued_photos(connection: Connection) -> int:
    """Give every queued photo its reading job (upgrading a database that has photos from
    before the queue existed); in the caller's transaction. Returns how many."""
    raw = connection.connection.driver_connection
    assert raw is not None
    ids = [
        row[0] for row in raw.execute("SELECT id FROM photo WHERE status = 'queued' ORDER BY id")
    ]
    with _search_path_first(raw):
        for photo_id in ids:
            _defer_on(raw, photo_id)
    return len(ids)


def _defer_on(raw: Any, photo_id: int) -> None:
    deferrer = _deferrer().configure_task(
        TASK, queue=QUEUE, queueing_lock=f"photo-{photo_id}", connection=raw
    )
    deferrer.defer(photo_id=photo_id)


@functools.cache
def _deferrer() -> Any:
    """A procrastinate App used only to write jobs on a connection we hand it (no pool)."""
    import procrastinate

    return procrastinate.App(connector=procrastinate.PsycopgConnector())


class _search_path_first:
    """Put procrastinate's schema first on the search path for this transaction only."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.saved = ""

    def __enter__(self) -> None:
        self.saved = self.raw.execute("SELECT current_setting('search_path')").fetchone()[0]
        self.raw.execute("SELECT set_config('search_path', %s, true)", [f"{SCHEMA}, {self.saved}"])

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.raw.execute("SELECT set_config('search_path', %s, true)", [self.saved])


def live_jobs_by_photo(engine: Engine) -> dict[int, str]:
    """photo id -> status of its waiting or running job (`todo`, `doing`)."""
    query = text(
        f"SELECT (args->>'photo_id')::bigint, status::text FROM {SCHEMA}.procrastinate_jobs "
        "WHERE task_name = :task AND status IN ('todo', 'doing')"
    )
    with engine.connect() as conn:
        return {int(pid): status for pid, status in conn.execute(query, {"task": TASK})}


def job_counts(engine: Engine) -> dict[str, int]:
    """Reading jobs per status (todo, doing, succeeded, failed, ...)."""
    query = text(
        f"SELECT status::text, count(*) FROM {SCHEMA}.procrastinate_jobs "
        "WHERE task_name = :task GROUP BY status"
    )
    with engine.connect() as conn:
        return {status: int(n) for status, n in conn.execute(query, {"task": TASK})}


def requeue_read(engine: Engine, photo_id: int) -> bool:
    """Give a queued photo a new reading job (its own transaction); False if one waits."""
    from canvass.store.db import session_scope

    try:
        with session_scope(engine) as session:
            defer_read(session, photo_id)
    except ConflictError:
        return False
    return True
