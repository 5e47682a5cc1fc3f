"""Who is asking, and may they: accounts, API tokens, cookie sessions, CSRF, role guards.

- API clients send `Authorization: Bearer <token>`; a token is the username signed with the
  secret key (itsdangerous, salted, dated) and lasts TOKEN_MAX_AGE. The account is looked
  up on every request, so a deactivated account stops working at once.
- Browsers carry a signed session cookie (Starlette's SessionMiddleware: itsdangerous,
  HttpOnly, SameSite=Lax) holding the username and a CSRF token made at sign-in. Every
  unsafe request from a cookie session must echo that token (form field `csrf_token` or
  header `X-CSRF-Token`); bearer requests need none (a browser never adds the header).
- Every route declares the roles it admits with `Depends(Roles(...))` or `Depends(Public())`;
  `undeclared_routes` finds any that does not, and the app refuses to start.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute, Mount

from canvass.errors import CanvassError, RefusedError
from canvass.settings import Settings
from canvass.store.accounts import Account, get_account

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


class TooManyAttempts(RefusedError):
    """Too many failed sign-ins for one username: wait."""

    http_status = 429


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


def mint_token(secret_key: str, username: str) -> str:
    """An API token for `username` (no password needed: whoever holds the key may mint)."""
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT).dumps({"u": username})


def token_username(secret_key: str, token: str, max_age: int = TOKEN_MAX_AGE) -> str | None:
    """The username a token was minted for, or None when it is forged or expired."""
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT).loads(token, max_age=max_age)
    except BadSignature:
        return None
    name = payload.get("u") if isinstance(payload, dict) else None
    return name if isinstance(name, str) else None


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(request: Request, account: Account) -> None:
    """A fresh session (a new CSRF token) for a signed-in browser."""
    request.session.clear()
    request.session.update({"u": account.username, "csrf": new_csrf_token()})


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
        name = token_username(ctx.secret_key, header[7:].strip())
        if name is None:
            raise SignInRequired("the API token is not valid or has expired: get a new one")
        account = await run_in_threadpool(get_account, ctx.engine, name)
        if account is None:
            raise SignInRequired("the API token's account no longer exists or is disabled")
        return Principal(account, "bearer")
    name = request.session.get("u")
    if not isinstance(name, str):
        return None
    account = await run_in_threadpool(get_account, ctx.engine, name)
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
    order = ["uploader", "reviewer", "certifier", "admin"]
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


@dataclass
class LoginThrottle:
    """At most `limit` failed sign-ins per username in `window` seconds (in this process);
    after that the name is refused until the oldest failure ages out."""

    limit: int = 5
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, username: str) -> None:
        with self._lock:
            recent = self._recent(username, time.monotonic())
            if len(recent) >= self.limit:
                wait = int(self.window - (time.monotonic() - recent[0])) + 1
                raise TooManyAttempts(
                    f"too many failed sign-ins for {username!r}: wait {wait} seconds "
                    "and try again, or ask an administrator"
                )

    def failed(self, username: str) -> None:
        with self._lock:
            self._recent(username, time.monotonic()).append(time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)

    def _recent(self, username: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(username, deque())
        while recent and now - recent[0] > self.window:
            recent.popleft()
        return recent
