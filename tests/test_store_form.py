"""The election row records its form (migration 0009), on both real databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from canvass.elections.iowa2020_general import build_general
from canvass.settings import BUILTIN_DATA, Settings
from canvass.store.db import alembic_config, migrate, open_engine
from canvass.store.elections import load_election, save_election
from tests.support.iowa import IOWA

GENERAL = build_general(BUILTIN_DATA / "iowa2020-general")


def test_the_general_election_round_trips_with_its_form(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    assert save_election(engine, GENERAL).precincts == 1661
    assert not save_election(engine, GENERAL).changed
    loaded = load_election(engine, GENERAL.id)
    assert loaded == GENERAL
    assert (loaded.form, loaded.rule_set) == ("precinct-results", "vote-count")
    save_election(engine, IOWA)
    assert load_election(engine).form == "caucus-math-worksheet"


def test_elections_loaded_before_0009_are_on_the_caucus_worksheet(
    database_settings: Settings,
) -> None:
    engine = open_engine(database_settings)
    config = alembic_config(engine)
    command.upgrade(config, "0008")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO election (id, name, rule_set, content_sha256, loaded_at) "
                "VALUES ('old-2020', 'Old', 'iowa-dem-2020', 'x', CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        form = conn.execute(text("SELECT form FROM election WHERE id = 'old-2020'")).scalar()
    assert form == "caucus-math-worksheet"
    command.downgrade(config, "0008")
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM election")).keys()
    assert "form" not in columns
    migrate(engine)
