"""The API document tells the truth: schemathesis fuzzes every operation of /openapi.json
against the app, in process, as an administrator.

Each operation gets the examples, the coverage cases (boundaries, missing and wrong-typed
fields, ids of 2^31 and 10^22, methods it does not take) and EXAMPLES generated cases,
valid and invalid alike, all derived from SEED, so CI sends the same requests every run:
about 720 per database, about 25 s on SQLite and 45 s on PostgreSQL. Every answer must be:
no server error, a status the document lists for the operation, the content type it lists,
a body that matches its schema (errors included: `{"error": ...}`), and for a method the
address does not take, 405 with an `Allow` that lists the methods it does.

The app is stateful and the fuzzer decides (POSTs decisions, claims, sign-offs and
re-openings with what it generates), so the order of requests matters; with one seed and
the operations in the document's order the run is the same every time. Nothing is left
out: a refusal the state makes possible (409 for a claimed item, 422 for a blocked
sign-off) must be documented anyway, because a client can meet it too.

`pytest tests/test_api_fuzz.py -n 0` runs it; CANVASS_FUZZ_EXAMPLES=400 runs longer (about
10,000 requests), CANVASS_FUZZ_SEED=<n> explores other requests.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from canvass.settings import Settings
from canvass.web.app import create_app
from canvass.web.auth import load_secret_key, mint_token
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.site import prepare_site

SEED = int(os.environ.get("CANVASS_FUZZ_SEED", "20261206"))
EXAMPLES = int(os.environ.get("CANVASS_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
    allow_header_conformance,
]
pytestmark = pytest.mark.xdist_group("api-fuzz")  # one worker, in file order
REQUESTS: Counter[str] = Counter()
"""Requests made per operation (shown with `-s`; the README quotes the total)."""


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def site(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_available: str | None,
) -> Iterator[Settings]:
    """The browser tests' election night (no real photo: its reading is slow and adds
    nothing here) with one account per role, on each database: some refusals only the
    database makes (PostgreSQL's `integer` overflows at 2^31, SQLite's does not)."""
    data_dir = tmp_path_factory.mktemp(f"fuzz-{request.param}") / "data"
    if request.param == "sqlite":
        settings = Settings(data_dir=data_dir)
        prepare_site(settings, real_photo=False)
        yield settings
        return
    if postgres_available:
        pytest.skip(postgres_available)
    with fresh_postgres_database() as url:
        settings = Settings(data_dir=data_dir, database_url=url)
        prepare_site(settings, real_photo=False)
        yield settings


@pytest.fixture(scope="module")
def app(site: Settings) -> Iterator[FastAPI]:
    app = create_app(site)
    yield app
    app.state.ctx.engine.dispose()  # before its database is dropped


@pytest.fixture(scope="module")
def api_schema(app: FastAPI) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


@pytest.fixture(scope="module")
def admin(site: Settings) -> dict[str, str]:
    token = mint_token(load_secret_key(site), "admin")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> Iterator[None]:
    """schemathesis 4.32's `from_fixture` renames the test through `node._nodeid`, which
    pytest 9.2 no longer has (its `nodeid` is read-only); give it one to read and write."""
    node = request.node
    if not hasattr(node, "_nodeid"):
        node._nodeid = node.nodeid
    yield


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """conftest's `postgres_url` for a whole module: the fuzz site is built once."""
    name = f"canvass_fuzz_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_api_answers_as_documented(case: schemathesis.Case, admin: dict[str, str]) -> None:
    REQUESTS[case.operation.label] += 1
    case.call_and_validate(headers=admin, checks=CHECKS)


def test_requests_made(request: pytest.FixtureRequest) -> None:
    """Runs after the fuzz test, on the same worker (the module is one xdist group): it
    really sent requests to every operation (a schemathesis upgrade that silently
    generates nothing must fail here). Only a run that deselected the fuzz test (`-k`)
    has nothing to check."""
    fuzzed = [i for i in request.session.items if i.name.startswith("test_api_answers_as")]
    if not fuzzed:
        pytest.skip("the fuzz test was deselected in this run")
    print(f"\n{sum(REQUESTS.values())} requests: {dict(sorted(REQUESTS.items()))}")
    assert all(count >= 5 for count in REQUESTS.values()), REQUESTS
