"""Who is asking, and may they: accounts, API tokens, cookie sessions, CSRF, role guards.

- API clients send `Authorization: Bearer <token>`; a token is the username and the
  account's auth epoch, signed with the secret key (itsdangerous, salted, dated), and lasts
  TOKEN_MAX_AGE. The account is looked up on every request: a disabled account, or one
  whose password was reset or changed since (a newer epoch), is refused at once.
- Browsers carry a signed session cookie (Starlette's SessionMiddleware: itsdangerous,
  HttpOnly, SameSite=Lax) holding a random session id and a CSRF token made at sign-in.
  The session itself lives on the server (canvass.store.sessions): every request looks
  it up, and signing out ends it, so a copy of the cookie is refused afterwards. (The
  cookie also names the user, only so the abuse limits can count requests per person.)
  Every unsafe request from a cookie session must echo the CSRF token (form field
  `csrf_token` or header `X-CSRF-Token`); bearer requests need none.
- Every route declares the roles it admits with `Depends(Roles(...))` or `Depends(Public())`;
  `undeclared_routes` finds any that does not, and the app refuses to start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Mount

from canvass.errors import CanvassError, RefusedError
from canvass.roles import ROLES
from canvass.settings import Settings
from canvass.store.accounts import Account, get_account
from canvass.store.sessions import session_account
from canvass.store.types import utcnow

TOKEN_SALT = "canvass-api-token"
TOKEN_MAX_AGE = 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNDECLARED_OK = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


class SignInRequired(RefusedError):
    """No valid session or token: sign in first."""

    http_status = 401


class Forbidden(RefusedError):
    """Signed in, but the account's role does not admit this."""

    http_status = 403


class RouteDeclarationError(CanvassError):
    """A route that does not say which roles it admits (the app refuses to start)."""


@dataclass(frozen=True)
class Principal:
    account: Account
    via: Literal["bearer", "cookie"]

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role


def load_secret_key(settings: Settings) -> str:
    """The configured key, else `<data_dir>/secret_key`, made once (random, mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise RefusedError(f"{path} holds no usable key: delete it and start again")
    return key


def mint_token(secret_key: str, username: str, epoch: int = 0) -> str:
    """An API token for `username` at the account's auth `epoch` (no password needed:
    whoever holds the key may mint). 0 is the epoch of an account never reset."""
    payload = {"u": username, "e": epoch}
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT).dumps(payload)


def token_claims(
    secret_key: str, token: str, max_age: int = TOKEN_MAX_AGE
) -> tuple[str, int] | None:
    """(username, epoch) of a token, or None when it is forged, expired or has no epoch
    (minted before epochs existed)."""
    payload = _token_payload(secret_key, token, max_age)
    name, epoch = payload.get("u"), payload.get("e")
    if not isinstance(name, str) or not isinstance(epoch, int):
        return None
    return name, epoch


def token_username(secret_key: str, token: str, max_age: int = TOKEN_MAX_AGE) -> str | None:
    """The username a token was minted for, or None when it is forged or expired (the
    abuse limits count by it; whether the account still admits it is principal_of's)."""
    name = _token_payload(secret_key, token, max_age).get("u")
    return name if isinstance(name, str) else None


def _token_payload(secret_key: str, token: str, max_age: int) -> dict[str, Any]:
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT).loads(token, max_age=max_age)
    except BadSignature:
        return {}
    return payload if isinstance(payload, dict) else {}


def client_address(request: Request) -> str:
    """The peer's address (the app runs without proxy headers, so it cannot be forged)."""
    return request.client.host if request.client else "unknown"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(request: Request, account: Account, session_id: str) -> None:
    """A fresh cookie (a new CSRF token) for a browser signed in as the server-side
    session `session_id` (canvass.store.sessions.open_session)."""
    request.session.clear()
    request.session.update({"sid": session_id, "u": account.username, "csrf": new_csrf_token()})


def session_id_of(request: Request) -> str | None:
    value = request.session.get("sid")
    return value if isinstance(value, str) else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the sign-in form needs one too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose CSRF token is missing or not the session's."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None and _is_form(request):
        value = (await request.form()).get("csrf_token")
        given = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not given or not secrets.compare_digest(expected, given):
        raise Forbidden(
            "the form's security token is missing or out of date: reload the page and try again"
        )


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


async def principal_of(request: Request) -> Principal | None:
    """The signed-in account behind a bearer token or the session cookie, if any."""
    header = request.headers.get("authorization", "")
    ctx = request.app.state.ctx
    if header.lower().startswith("bearer "):
        claims = token_claims(ctx.secret_key, header[7:].strip())
        if claims is None:
            raise SignInRequired("the API token is not valid or has expired: get a new one")
        account = await run_in_threadpool(get_account, ctx.engine, claims[0])
        if account is None or account.auth_epoch != claims[1]:
            raise SignInRequired(
                "the API token's account is disabled, gone, or its password has changed "
                "since the token was made: sign in again for a new token"
            )
        return Principal(account, "bearer")
    session_id = session_id_of(request)
    if session_id is None:
        return None
    account = await run_in_threadpool(session_account, ctx.engine, session_id, utcnow())
    if account is None:
        request.session.clear()
        return None
    return Principal(account, "cookie")


class Roles:
    """The guard of a route: admits a signed-in account whose role is listed, and checks
    the CSRF token of unsafe requests from a cookie session."""

    def __init__(self, *roles: str) -> None:
        if not roles:
            raise RouteDeclarationError("Roles() needs at least one role")
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Principal:
        principal = await principal_of(request)
        if principal is None:
            raise SignInRequired("sign in first")
        if principal.role not in self.roles:
            raise Forbidden(
                f"your account ({principal.username}, {principal.role}) cannot open this page: "
                f"it is for {_listed(self.roles)}; ask an administrator if you need it"
            )
        if principal.via == "cookie":
            await check_csrf(request)
        return principal


class Public:
    """The guard of a route anyone may use (sign-in, health). Unsafe requests still need
    the session's CSRF token unless `csrf=False` (JSON endpoints without cookies)."""

    def __init__(self, csrf: bool = True) -> None:
        self.csrf = csrf

    async def __call__(self, request: Request) -> Principal | None:
        if self.csrf:
            await check_csrf(request)
        try:
            return await principal_of(request)
        except SignInRequired:
            return None


def _listed(roles: Iterable[str]) -> str:
    order = list(ROLES)
    names = sorted(roles, key=lambda r: order.index(r) if r in order else len(order))
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def undeclared_routes(routes: Iterable[BaseRoute], guarded_above: bool = False) -> list[str]:
    """Routes (other than static files and the OpenAPI pages) with no Roles or Public guard.

    Included routers are walked too (FastAPI keeps them as one entry per `include_router`,
    with the router in `original_router`); a guard given to `include_router` covers them.
    """
    missing: list[str] = []
    for route in routes:
        router = getattr(route, "original_router", None)
        if router is not None:
            context = getattr(route, "include_context", None)
            above = guarded_above or _guards_in(getattr(context, "dependencies", ()))
            missing += undeclared_routes(router.routes, above)
            continue
        if isinstance(route, Mount) and route.path in ("/static", "/docs-assets"):
            continue
        if isinstance(route, APIRoute):
            if not (guarded_above or _guarded(route.dependant)):
                missing.append(f"{','.join(sorted(route.methods or ()))} {route.path}")
            continue
        path = getattr(route, "path", repr(route))
        if path not in UNDECLARED_OK:
            missing.append(str(path))
    return missing


def _guards_in(dependencies: Iterable[Any]) -> bool:
    return any(isinstance(getattr(d, "dependency", None), Roles | Public) for d in dependencies)


def _guarded(dependant: Dependant) -> bool:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Roles | Public) or _guarded(dep):
            return True
    return False


def require_declared_roles(routes: Iterable[BaseRoute]) -> None:
    missing = undeclared_routes(routes)
    if missing:
        raise RouteDeclarationError(
            "these routes do not declare the roles they admit (add Depends(Roles(...)) or "
            "Depends(Public())): " + "; ".join(missing)
        )
