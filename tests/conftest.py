"""Shared test fixtures: settings on a temporary data directory, and the two real databases.

`database_settings` is parametrised over SQLite (a file in tmp_path) and PostgreSQL (a fresh
database per test on the server named by CANVASS_TEST_POSTGRES_URL, default the local
`test` database's server). Where no PostgreSQL is reachable the Postgres half is *skipped
with the reason*, never silently passed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from canvass.settings import REPO_ROOT, Settings

POSTGRES_ADMIN_URL = os.environ.get(
    "CANVASS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
CANVASS = str(Path(os.environ.get("VIRTUAL_ENV", REPO_ROOT / ".venv")) / "bin" / "canvass")


def _postgres_unreachable_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc}".strip()


@pytest.fixture(scope="session")
def postgres_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    return _postgres_unreachable_reason()


@pytest.fixture
def postgres_url(postgres_available: str | None) -> Iterator[str]:
    """A brand-new, empty PostgreSQL database for one test, dropped afterwards."""
    if postgres_available:
        pytest.skip(postgres_available)
    name = f"canvass_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on an empty database of each kind."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data")
    url = request.getfixturevalue("postgres_url")
    return Settings(data_dir=tmp_path / "data", database_url=url)


def canvass_env(settings: Settings) -> dict[str, str]:
    """The environment a `canvass` subprocess needs to use `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVASS_")}
    env["CANVASS_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["CANVASS_DATABASE_URL"] = settings.database_url
    return env
