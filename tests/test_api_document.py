"""What tests/test_api_fuzz.py found, pinned down: the document's error shapes and bounds,
the `Allow` of a 405, and the inputs that reached the database and failed there (ids past
its integers, text with NUL) refused as invalid on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from canvass.policy import ACTIONS
from canvass.settings import Settings
from canvass.web.routes.common import MAX_ID
from tests.support.client import bearer, client_for
from tests.support.site import prepare_site

TOO_BIG = [0, -1, MAX_ID + 1, 2**63, 10**22]
PUBLIC = {"/api/session", "/healthz"}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("document") / "data")
    prepare_site(settings, real_photo=False)
    with client_for(settings) as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_every_error_answer_is_documented_as_error_answer(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorAnswer"]["required"] == ["error"]
    for method, path, operation in operations(document):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorAnswer"}, (method, path)
                assert answer["description"], (method, path, status)
        if path not in PUBLIC:
            assert "401" in operation["responses"], f"{method} {path} does not list 401"
        if operation.get("parameters") or operation.get("requestBody"):
            assert "422" in operation["responses"], f"{method} {path} does not list 422"
        guard = {"429", "413", "408"} if operation.get("requestBody") else {"429"}
        assert guard <= set(operation["responses"]), f"{method} {path}: the abuse guard's"


def test_every_role_gets_a_documented_answer(sqlite_settings: Settings) -> None:
    """The fuzzer calls as an administrator; here each operation is called once as every
    role, with a forged token and with none: whatever the answer (401, 403, 422 ...), the
    document lists it."""
    prepare_site(sqlite_settings, real_photo=False)
    with client_for(sqlite_settings) as client:
        document = client.get("/openapi.json").json()
        callers = {"nobody": {}, "forged": {"Authorization": "Bearer forged"}}
        callers |= {name: bearer(sqlite_settings, name) for name in ("chair", "ann", "pat")}
        for method, path, operation in operations(document):
            url = path.format(item_id=1, sha256="0" * 64, scope="Adams")
            body = {} if "requestBody" in operation else None
            for caller, headers in callers.items():
                answer = client.request(method, url, headers=headers, json=body)
                status = str(answer.status_code)
                assert status in operation["responses"], (caller, method, path, status)
                if answer.status_code >= 400:
                    assert set(answer.json()) == {"error"}, (caller, method, path)


def test_ids_are_bounded_and_actions_listed(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"].endswith("_id"):
                schema = parameter["schema"]
                assert (schema["minimum"], schema["maximum"]) == (1, MAX_ID), (method, path)
    decision = document["components"]["schemas"]["Decision"]["properties"]
    assert decision["action"]["enum"] == list(ACTIONS)
    assert decision["value"]["anyOf"][0]["maximum"] <= MAX_ID


def test_a_405_allows_every_method_of_the_address(sqlite_settings: Settings) -> None:
    """Starlette's 405 named only the first route that matched the path (`Allow: GET` on
    /api/certify/STATE, whose POST is another route)."""
    prepare_site(sqlite_settings, real_photo=False)
    with client_for(sqlite_settings) as client:
        admin = bearer(sqlite_settings, "admin")
        for method in ("OPTIONS", "DELETE", "PUT"):
            for path, allowed in [
                ("/api/certify/STATE", "GET, POST"),
                ("/api/certify/STATE/reopen", "POST"),
                ("/api/items/1/claim", "POST"),
                ("/certify/STATE", "GET, POST"),
                ("/static/style.css", "GET, HEAD"),
                ("/openapi.json", "GET, HEAD"),
            ]:
                answer = client.request(method, path, headers=admin)
                assert answer.status_code == 405, (method, path)
                assert answer.headers["allow"] == allowed, (method, path)


def test_ids_out_of_range_are_refused_not_crashed(database_settings: Settings) -> None:
    """An id past the database's integers reached the query and failed with a 500
    (PostgreSQL from 2^31, SQLite from 2^63); now the path is invalid (422)."""
    prepare_site(database_settings, real_photo=False)
    with client_for(database_settings) as client:
        admin = bearer(database_settings, "admin")
        decision = {"action": "acknowledge", "reason": "seen"}
        for item_id in TOO_BIG:
            for method, path, body in [
                ("GET", f"/api/items/{item_id}", None),
                ("POST", f"/api/items/{item_id}/claim", None),
                ("POST", f"/api/items/{item_id}/decision", decision),
                ("GET", f"/review/items/{item_id}", None),
                ("GET", f"/crops/{item_id}/sheet.png", None),
            ]:
                answer = client.request(method, path, headers=admin, json=body)
                assert answer.status_code == 422, (method, path, answer.text)
                if path.startswith("/api/"):
                    assert "item_id" in answer.json()["error"]
        assert client.get(f"/api/items/{MAX_ID}", headers=admin).status_code == 404


def test_text_with_nul_is_refused_not_crashed(database_settings: Settings) -> None:
    """PostgreSQL cannot hold NUL: a query or a row with one failed with a 500."""
    prepare_site(database_settings, real_photo=False)
    with client_for(database_settings) as client:
        admin = bearer(database_settings, "admin")
        for method, path, body in [
            ("GET", "/api/queue?county=Adams%00", None),
            ("GET", "/api/results?county=%00", None),
            ("POST", "/api/session", {"username": "admin\x00", "password": "x"}),
            ("POST", "/api/items/1/decision", {"action": "acknowledge", "reason": "a\x00"}),
            ("POST", "/api/certify/Adams", {"role": "chair\x00"}),
            ("POST", "/api/certify/Adams/reopen", {"reason": "\x00"}),
            ("POST", "/api/photos?name=a%00.jpg", None),
            ("GET", "/review?county=%00", None),
        ]:
            answer = client.request(method, path, headers=admin, json=body)
            assert answer.status_code == 422, (method, path, answer.text)
            if path.startswith("/api/"):
                assert "NUL" in answer.json()["error"], answer.text
