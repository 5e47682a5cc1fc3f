"""Errors become HTTP answers here, once: the canvass error family (each class carries its
`http_status`), FastAPI's request validation, and Starlette's own 400/404/405.

Under /api the answer is `{"error": "<what is wrong and what to do>"}`; a page gets the
message on a page (and a browser that is not signed in is sent to the sign-in page).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from canvass.errors import CanvassError
from canvass.web.auth import SignInRequired
from canvass.web.context import page
from canvass.web.routes.common import NO_NUL

HTTP_MESSAGES = {
    400: "the body is not well-formed (not valid JSON, or a broken form): correct it and "
    "send again",
    404: "there is no such page: check the address, or start again from the menu",
    405: "this address does not take that kind of request",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return page(request, "error.html", None, status_code=status, status=status, message=message)


async def canvass_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CanvassError)
    if isinstance(exc, SignInRequired) and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    response = error_response(request, exc.http_status, exc.message)
    response.headers.update(getattr(exc, "headers", None) or {})  # e.g. Retry-After on a 429
    return response


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        what = _problem(error)
        problems.append(f"{where}: {what}" if where else what)
    message = "the request is not valid (" + "; ".join(problems) + "): correct it and send again"
    return error_response(request, 422, message)


def _problem(error: dict[str, Any]) -> str:
    """Pydantic's message, but in words where its own names a pattern nobody can read."""
    if (error.get("ctx") or {}).get("pattern") == NO_NUL:
        return "must not contain the NUL character (\\0)"
    return str(error.get("msg", "invalid"))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    response = error_response(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        allowed = allowed_methods(request.app.router.routes, request.url.path)
        if allowed:
            response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> set[str]:
    """Every method some route at `path` takes. Starlette's own 405 names only the methods
    of the first route whose path matched (`Allow: GET` for `/api/certify/STATE`, whose
    POST is another route), which tells a client that the POST does not exist."""
    methods: set[str] = set()
    for route in routes:
        router = getattr(route, "original_router", None)  # an included router
        if router is not None:
            prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            if path.startswith(prefix):
                methods |= allowed_methods(router.routes, path[len(prefix) :])
        elif isinstance(route, Route) and route.methods and route.path_regex.match(path):
            methods |= route.methods
        elif isinstance(route, Mount) and isinstance(route.app, StaticFiles):
            methods |= {"GET", "HEAD"} if route.path_regex.match(path) else set()
    return methods


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CanvassError, canvass_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
