"""The command line starts light (issue 17): `canvass --help`, `status` and `queue` do not
import OpenCV, numpy, the reader, the photo generator, the web app nor alembic; `status`
and `queue` not pydantic-settings, SQLModel, the ORM, the declared tables nor the election
model either.

Each command runs in a real subprocess (the console script's `main`, a real SQLite
database) and reports the modules it imported when it exits: a check of what was
imported, which cannot be flaky, where a timing would be (`python -m bench.cli_start`
measures the time). The fast schema check those commands use is held to alembic's own
reading of the migrations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from canvass.errors import NotReadyError
from canvass.settings import Settings
from canvass.store.db import (
    alembic_config,
    migrate,
    open_engine,
    require_current_schema,
    schema_head,
)
from tests.conftest import canvass_env

HEAVY = (
    "cv2",
    "numpy",
    "PIL",
    "onnxruntime",
    "ocr",
    "canvass.synth",
    "canvass.handwriting",
    "fastapi",
    "starlette",
    "uvicorn",
    "playwright",
    "alembic",
    "fpdf",
)
"""Never imported by the light commands: OpenCV and numpy, the reader and its models,
the photo generator, the web app and its server, the browser, alembic, the PDF writer."""

NO_DATABASE = ("sqlalchemy", "sqlmodel", "canvass.store")
"""`--help` touches no database either."""

NO_MODELS = (
    "pydantic_settings",
    "sqlmodel",
    "sqlalchemy.orm",
    "canvass.store.tables",
    "canvass.model",
    "canvass.stories",
)
"""What `status` and `queue` dropped (issue 17): the settings are a plain dataclass, the
queries run on SQLAlchemy Core over the tables read back from the database (no SQLModel
classes, no ORM) and need the active election's id, not its 1,765 units."""

DRIVER = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["canvass", *sys.argv[2:]]
from canvass.cli import main
main()
"""


def imported_by(settings: Settings, tmp_path: Path, *args: str) -> set[str]:
    """The modules `canvass ARGS` had imported when it exited (it must succeed)."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), *args],
        env=canvass_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    modules: list[str] = json.loads(out.read_text())
    return set(modules)


def heavy_in(modules: set[str], families: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in families))


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("cli-imports") / "data")
    done = subprocess.run(
        [sys.executable, "-m", "canvass", "init", "--json"],
        env=canvass_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return settings


def test_help_imports_nothing_heavy_and_no_database(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    modules = imported_by(sqlite_settings, tmp_path, "--help")
    assert heavy_in(modules, HEAVY + NO_DATABASE + NO_MODELS) == []
    assert "canvass.cli.read_cmd" in modules  # every command was registered


@pytest.mark.parametrize("command", [("status", "--json"), ("queue", "--json")])
def test_status_and_queue_import_nothing_heavy(
    initialised: Settings, tmp_path: Path, command: tuple[str, ...]
) -> None:
    modules = imported_by(initialised, tmp_path, *command)
    assert heavy_in(modules, HEAVY + NO_MODELS) == []
    assert "canvass.store.reflected" in modules  # it did ask the database


def test_help_still_lists_every_command_with_its_help(sqlite_settings: Settings) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "canvass", "--help"],
        env=canvass_env(sqlite_settings) | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name, words in {
        "read-queued": "Read every stored photo not yet read",
        "serve": "Serve the web app",
        "synth": "Synthetic worksheet photos",
        "worksheet": "The worksheet form",
        "demo": "Election night",
        "math": "Caucus math on tallies",
    }.items():
        assert any(name in line and words in line for line in done.stdout.splitlines()), name


def test_the_fast_schema_head_is_alembics(database_settings: Settings) -> None:
    engine = open_engine(database_settings)
    assert schema_head() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_a_database_behind_the_code_is_refused_naming_both_revisions(
    database_settings: Settings,
) -> None:
    engine = open_engine(database_settings)
    migrate(engine)
    require_current_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(NotReadyError, match=f"at 0001, the code needs {schema_head()}"):
        require_current_schema(engine)
