"""The API document (`/openapi.json`) as the app really answers.

FastAPI documents a request validation failure as its own `HTTPValidationError` (a
`detail` list), but canvass answers every refusal under /api as `{"error": "..."}`
(canvass/web/errors.py). Routes list their refusals with `errors(...)`
(canvass/web/routes/common.py); whatever 422 FastAPI adds by itself is rewritten here to
the `ErrorAnswer` shape, so the document never promises a body the server does not send.

`canvass serve` puts the abuse guard (canvass/web/limits.py) in front of every route: any
request may be refused with 429 (too many open at once from one client), any body with 413
(too large) or 408 (too slow), each as `{"error": "..."}`. The app alone (as the tests
build it) never gives those, but a client of the server can meet them, so every operation
lists them here. tests/test_api_fuzz.py holds the server to the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from canvass.web.routes.common import ERROR_DESCRIPTIONS, ErrorAnswer

FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
ERROR_REF = "#/components/schemas/ErrorAnswer"
GUARD_REFUSALS = (429, 413, 408)
"""What the abuse guard answers before the app: 429 to any request, 413 and 408 to a body."""
GUARD_DESCRIPTIONS = {
    429: "Too many requests open at once from this client (`canvass serve`'s abuse guard): "
    "wait (`Retry-After`) and try again.",
    413: "The body is over the size limit (`canvass serve`'s abuse guard).",
    408: "The body arrived too slowly (`canvass serve`'s abuse guard): send it again.",
}


def install_document(app: FastAPI) -> None:
    """Replace `app.openapi` with one that corrects FastAPI's document once, when first
    asked (the document is built lazily, after every route is added)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = corrected(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def corrected(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every error answer shaped `{"error": ...}` and FastAPI's own
    validation schemas gone."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorAnswer", ErrorAnswer.model_json_schema())
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, answer in responses.items():
                if str(status).startswith(("4", "5")):
                    _error_shaped(int(status), answer)
            guarded = GUARD_REFUSALS if "requestBody" in operation else GUARD_REFUSALS[:1]
            for status in guarded:
                answer = responses.setdefault(str(status), _guard_refusal(status))
                if GUARD_DESCRIPTIONS[status] not in answer["description"]:
                    answer["description"] += f" Also: {GUARD_DESCRIPTIONS[status]}"
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    return document


def _guard_refusal(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": GUARD_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
    if status == 429:
        answer["headers"] = {
            "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
        }
    return answer


def _error_shaped(status: int, answer: dict[str, Any]) -> None:
    content = answer.get("content", {}).get("application/json")
    if content is None:
        return
    ref = content.get("schema", {}).get("$ref", "")
    if ref.rsplit("/", 1)[-1] in FASTAPI_ERROR_SCHEMAS:
        content["schema"] = {"$ref": ERROR_REF}
        if answer.get("description") == "Validation Error":
            answer["description"] = ERROR_DESCRIPTIONS.get(status, "The request is refused.")
