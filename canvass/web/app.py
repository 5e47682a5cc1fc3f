"""The web app factory: `create_app(settings)` builds the FastAPI app for `canvass serve`.

Server-rendered pages (Jinja2) for uploaders, reviewers and certifiers, the same actions
as JSON under /api (documented at /docs), signed cookie sessions with CSRF tokens for
browsers and bearer tokens for scripts. The app refuses to start when the database is not
ready (`canvass init`) or when any route does not declare the roles it admits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from swagger_ui_bundle import swagger_ui_path

from canvass.settings import Settings
from canvass.web.auth import Public, require_declared_roles
from canvass.web.context import STATIC, WebContext, build_context
from canvass.web.document import install_document
from canvass.web.errors import install_error_handlers
from canvass.web.reader import BackgroundReader, ReaderConfig
from canvass.web.routes import (
    certify,
    evidence,
    progress,
    review,
    review_api,
    session,
    testdeck,
    upload,
)
from canvass.web.security import SecurityHeaders

SESSION_COOKIE = "canvass_session"
SESSION_SECONDS = 12 * 3600
DESCRIPTION = """Photos of handwritten caucus worksheets in; certified, reconciled results out.

Get a token with `POST /api/session` (your user name and password), then send
`Authorization: Bearer <token>` with every call. Errors answer `{"error": "..."}` with
what is wrong and what to do. Roles: uploader, reviewer, certifier, admin; each call
says which it admits (403 otherwise)."""


def create_app(settings: Settings, *, background_readers: int = 0) -> FastAPI:
    """The app on `settings`' database; `background_readers` embedded reader processes
    read what is uploaded (`canvass serve` runs one per core unless `--no-reader`)."""
    ctx = build_context(settings)
    app = FastAPI(
        title="canvass",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=_lifespan(ctx, background_readers),
        redoc_url=None,
        docs_url=None,
    )
    app.state.ctx = ctx
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _serve_api_docs(app)
    for module in (session, progress, evidence, upload, review, review_api, certify, testdeck):
        app.include_router(module.router)
    install_error_handlers(app)
    install_document(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=ctx.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    require_declared_roles(app.routes)
    return app


def _serve_api_docs(app: FastAPI) -> None:
    """The OpenAPI page at /docs, with Swagger UI's files served from the installed
    `swagger-ui-bundle` rather than a CDN: election-night networks may be closed, and the
    page must not depend on a third party being reachable."""
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(Public())])
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="canvass API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )


def _lifespan(
    ctx: WebContext, readers: int
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        require_declared_roles(app.routes)  # routes added after the factory count too
        config = ReaderConfig(processes=readers)
        reader = BackgroundReader(ctx.settings, config) if readers > 0 else None
        if reader is not None:
            reader.start()
        app.state.reader = reader
        try:
            yield
        finally:
            if reader is not None:
                reader.stop()
            ctx.engine.dispose()

    return lifespan
