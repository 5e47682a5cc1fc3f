"""`canvass status` and `canvass queue` answer on the tables read back from the database,
without SQLModel or the election model (issue 17): the same JSON the full store path gives
(the declared tables, the loaded election), on SQLite and PostgreSQL, on a database with
photos, readings, reports, open, held, waiting and resolved items, a certified county and a
test photo; and every reflected table is its declared one, so the two cannot drift.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, TypeDecorator
from sqlmodel import SQLModel

from canvass.cli.ingest_cmd import status_json
from canvass.settings import Settings
from canvass.store.accounts import get_account
from canvass.store.db import migrate, open_engine
from canvass.store.elections import load_election
from canvass.store.lookups import TEST_SOURCE
from canvass.store.queue_list import queue
from canvass.store.reflected import ReflectedTables, declared_tables
from canvass.store.review import claim
from canvass.store.status import election_status
from canvass.store.types import UTCDateTime, utcnow
from canvass.stories.certify import certify_scope
from canvass.stories.review import queue_json
from ingest.photos import Custody, intake_photo
from tests.conftest import canvass_env
from tests.support.images import jpeg
from tests.support.intake import make_intake
from tests.support.iowa import IOWA
from tests.support.site import precincts_of, prepare_site

QUEUES = [
    (None, None),
    ("Adams", None),
    (None, "mismatch"),
    ("Adams", "unreadable"),
    ("Nowhere", None),
]
"""(county, kind) filters of `canvass queue`."""


@pytest.fixture
def election_night(database_settings: Settings, tmp_path: Path) -> Settings:
    """The web tests' three counties, with Audubon certified, an Adams item held by a
    reviewer and a test photo declared for a precinct nobody photographed."""
    prepare_site(database_settings, real_photo=False)
    engine = open_engine(database_settings)
    signer = get_account(engine, "pat")
    assert signer is not None
    certify_scope(engine, IOWA, "Audubon", signer, "chair", tmp_path / "certified", utcnow())
    held = queue(engine, IOWA.id, "Adams")[0]
    claim(engine, held.id, "ann", utcnow())
    intake = make_intake(database_settings)
    custody = Custody("chair", TEST_SOURCE, precincts_of("Benton")[0])
    assert intake_photo(intake, jpeg(seed=17), "test.jpg", custody).photo_id is not None
    intake.engine.dispose()
    engine.dispose()
    return database_settings


def canvass_json(settings: Settings, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "canvass", *args, "--json"],
        env=canvass_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_commands_print_what_the_full_store_path_computes(election_night: Settings) -> None:
    engine = open_engine(election_night)
    election = load_election(engine)
    full = election_status(engine, election.id)
    assert full.total.certified == len(precincts_of("Audubon")) > 0  # the data has every stage
    assert full.total.in_review > 0 and full.total.cleared > 0
    assert canvass_json(election_night, "status") == status_json(full)
    now = utcnow()
    for county, kind in QUEUES:
        options = [*(["--county", county] if county else []), *(["--kind", kind] if kind else [])]
        listed = [queue_json(i, now) for i in queue(engine, election.id, county, kind)]
        assert canvass_json(election_night, "queue", *options) == listed, (county, kind)
    assert any(i["claimed_by"] == "ann" for i in canvass_json(election_night, "queue"))
    engine.dispose()


def test_reflected_and_declared_tables_answer_alike(election_night: Settings) -> None:
    engine = open_engine(election_night)
    eid = load_election(engine).id
    assert election_status(engine, None, reflect=True) == election_status(engine, eid)
    statuses = ("open", "waiting", "resolved", "superseded")
    assert queue(engine, None, statuses=statuses, reflect=True) == queue(
        engine, eid, None, None, statuses
    )
    engine.dispose()


def shape(table: Table) -> dict[str, tuple[type, bool, bool, bool]]:
    """Each column's Python type, nullability, primary-key membership and UTC time-ness."""
    return {
        c.name: (
            (c.type.impl_instance if isinstance(c.type, TypeDecorator) else c.type).python_type,
            bool(c.nullable),
            c.primary_key,
            isinstance(c.type, UTCDateTime),
        )
        for c in table.columns
    }


def test_every_reflected_table_is_its_declared_one(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    declared_tables()  # defines every table on SQLModel.metadata
    declared = SQLModel.metadata.tables
    with engine.connect() as connection:
        reflected = ReflectedTables(connection, sorted(declared))
        for name, table in declared.items():
            assert shape(reflected[name]) == shape(table), name
    engine.dispose()
