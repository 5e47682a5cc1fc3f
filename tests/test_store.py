"""Storage on both real databases: migrations, the election adapter, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel

from canvass.errors import ConflictError, NotReadyError, StorageError
from canvass.model import County, Election, Precinct
from canvass.settings import Settings
from canvass.store.db import migrate, open_engine, require_current_schema
from canvass.store.elections import load_election, save_election
from canvass.store.tables import ElectionRow
from tests.support.iowa import IOWA


def small_election(ratio: float = 0.1) -> Election:
    return Election(
        id="tiny-2024",
        name="Tiny",
        rule_set="iowa-dem-2020",
        candidates=("A", "B"),
        counties=(County(name="One", state_delegate_ratio=ratio),),
        precincts=(Precinct(id="ONE-1", county="One", name="First", delegates_to_elect=4),),
    )


def test_migrations_are_idempotent_and_match_the_tables(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    migrate(engine)
    require_current_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"tables and migrations disagree: {diff}"


def test_uninitialised_database_is_refused_with_what_to_do(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    with pytest.raises(NotReadyError, match="canvass init"):
        require_current_schema(engine)


def test_iowa_round_trips_through_the_database(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    first = save_election(engine, IOWA)
    again = save_election(engine, IOWA)
    assert (first.changed, again.changed) == (True, False)
    assert first.precincts == 1765
    assert load_election(engine) == IOWA


def test_changed_definition_replaces_the_old_one(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    save_election(engine, small_election(0.1))
    outcome = save_election(engine, small_election(0.2))
    assert outcome.changed
    assert load_election(engine, "tiny-2024").counties[0].state_delegate_ratio == 0.2


def test_active_election_is_the_last_loaded(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    save_election(engine, small_election())
    save_election(engine, IOWA)
    assert load_election(engine).id == IOWA.id
    save_election(engine, small_election())
    assert load_election(engine).id == "tiny-2024"


def test_no_election_loaded_says_run_init(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    with pytest.raises(NotReadyError, match="canvass init"):
        load_election(engine)


def test_times_are_stored_and_returned_in_utc(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    save_election(engine, small_election())
    plus_five = timezone(timedelta(hours=5))
    moment = datetime(2020, 2, 3, 23, 30, tzinfo=plus_five)
    with Session(engine) as session:
        row = session.get(ElectionRow, "tiny-2024")
        assert row is not None
        row.loaded_at = moment
        session.commit()
    with Session(engine) as session:
        loaded = session.get(ElectionRow, "tiny-2024")
        assert loaded is not None
        assert loaded.loaded_at.tzinfo is not None
        assert loaded.loaded_at.utcoffset() == timedelta(0)
        assert loaded.loaded_at == moment.astimezone(UTC)


def test_naive_times_are_refused(sqlite_settings: Settings) -> None:
    engine = open_engine(sqlite_settings)
    migrate(engine)
    save_election(engine, small_election())
    with Session(engine) as session:
        row = session.get(ElectionRow, "tiny-2024")
        assert row is not None
        row.loaded_at = datetime(2020, 2, 3, 23, 30)
        with pytest.raises(StatementError, match="naive"):
            session.commit()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_settings: Settings) -> None:
    engine = open_engine(sqlite_settings)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_foreign_keys_are_enforced(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO precinct (election_id, id, position, county, name, satellite) "
                "VALUES ('nope', 'X-1', 0, 'Nowhere', 'x', false)"
            )
        )


def test_replacing_an_election_other_rows_refer_to_is_refused(sqlite_settings: Settings) -> None:
    engine = open_engine(sqlite_settings)
    migrate(engine)
    save_election(engine, small_election(0.1))
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE photo_ref (eid TEXT, pid TEXT, "
                "FOREIGN KEY (eid, pid) REFERENCES precinct (election_id, id))"
            )
        )
        conn.execute(text("INSERT INTO photo_ref VALUES ('tiny-2024', 'ONE-1')"))
    with pytest.raises(ConflictError, match="new id"):
        save_election(engine, small_election(0.2))
    assert load_election(engine, "tiny-2024").counties[0].state_delegate_ratio == 0.1


def test_unreachable_postgres_is_a_storage_error(tmp_path: object) -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="CANVASS_DATABASE_URL"):
        open_engine(settings)
