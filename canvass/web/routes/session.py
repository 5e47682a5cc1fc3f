"""Signing in and out (pages and API), changing one's own password, and the health check.

Sign-in is throttled per (client address, name) and per address (canvass.store.throttle),
so guesses slow down the guesser and never lock the real user out from elsewhere.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from canvass.errors import CanvassError
from canvass.store.accounts import Account, WrongPassword, change_password, check_password
from canvass.store.sessions import end_session, open_session
from canvass.store.throttle import (
    TooManyAttempts,
    check_sign_in,
    record_failure,
    record_success,
)
from canvass.store.types import utcnow
from canvass.web.auth import (
    Principal,
    SignInRequired,
    client_address,
    mint_token,
    session_id_of,
    start_session,
)
from canvass.web.context import ctx_of, flash, page
from canvass.web.routes.common import (
    HOME_OF_ROLE,
    NO_NUL,
    Anyone,
    AnyoneJson,
    SignedIn,
    errors,
    safe_next,
    see_other,
)

router = APIRouter()


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    current: str = Field(min_length=1, max_length=1024)
    new: str = Field(min_length=1, max_length=1024)


class SessionToken(BaseModel):
    token: str
    username: str
    role: str


class AccountOut(BaseModel):
    username: str
    display_name: str
    role: str
    certify_scopes: list[str]


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, principal: Anyone, next: str | None = None) -> Response:
    if principal is not None:
        return see_other(safe_next(next, HOME_OF_ROLE.get(principal.role, "/")))
    return page(request, "login.html", None, next=safe_next(next, ""))


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    _: Anyone,
    username: Annotated[str, Form(max_length=64, pattern=NO_NUL)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    name = username.strip().lower()
    try:
        account = await _authenticate(request, name, password)
    except (SignInRequired, TooManyAttempts) as refusal:
        answer = page(
            request,
            "login.html",
            None,
            refusal.http_status,
            next=safe_next(next, ""),
            error=refusal.message,
        )
        answer.headers.update(getattr(refusal, "headers", {}))
        return answer
    await _start_browser_session(request, account)
    return see_other(safe_next(next, HOME_OF_ROLE.get(account.role, "/")))


async def _authenticate(request: Request, username: str, password: str) -> Account:
    """The account, or SignInRequired; refused first (TooManyAttempts) while this address
    must wait; a failure counts against this address and name."""
    engine, address = ctx_of(request).engine, client_address(request)
    await run_in_threadpool(check_sign_in, engine, address, username, utcnow())
    account = await run_in_threadpool(check_password, engine, username, password)
    if account is None:
        await run_in_threadpool(record_failure, engine, address, username, utcnow())
        raise SignInRequired("that user name and password do not match an active account")
    await run_in_threadpool(record_success, engine, address, username)
    return account


async def _start_browser_session(request: Request, account: Account) -> None:
    """A new server-side session, and a fresh cookie naming it."""
    session_id = await run_in_threadpool(open_session, ctx_of(request).engine, account, utcnow())
    start_session(request, account, session_id)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, _: SignedIn) -> Response:
    """Ends the session on the server too: a copy of the cookie no longer signs anyone in."""
    session_id = session_id_of(request)
    if session_id is not None:
        await run_in_threadpool(end_session, ctx_of(request).engine, session_id, utcnow())
    request.session.clear()
    return see_other("/login")


@router.post(
    "/api/session",
    response_model=SessionToken,
    tags=["session"],
    responses=errors(
        400,
        (401, "That user name and password do not match an active account."),
        422,
        429,
    ),
)
async def api_session(request: Request, _: AnyoneJson, credentials: Credentials) -> SessionToken:
    """Exchange a user name and password for an API token (send it as
    `Authorization: Bearer <token>`; it lasts 24 hours, or until the account is disabled
    or its password changed)."""
    name = credentials.username.strip().lower()
    account = await _authenticate(request, name, credentials.password)
    return _token_for(request, account)


@router.get("/api/me", response_model=AccountOut, tags=["session"], responses=errors(401))
def api_me(principal: SignedIn) -> AccountOut:
    """The account the request is made as."""
    a = principal.account
    return AccountOut(
        username=a.username,
        display_name=a.display_name,
        role=a.role,
        certify_scopes=list(a.certify_scopes),
    )


@router.post(
    "/api/me/password",
    response_model=SessionToken,
    tags=["session"],
    responses=errors(
        400,
        401,
        (403, "The current password is not right (or a browser session's CSRF token is missing)."),
        (422, "The request is not valid, or the new password is too weak: the message says why."),
        429,
    ),
)
async def api_change_password(
    request: Request, principal: SignedIn, change: PasswordChange
) -> SessionToken:
    """Change your own password (`{"current", "new"}`). Every other session and token of
    the account stops working; the answer carries a new token (and a cookie session gets
    a new session)."""
    account = await _change_password(request, principal, change.current, change.new)
    return _token_for(request, account)


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account_page(request: Request, principal: SignedIn) -> Response:
    return page(request, "account.html", principal)


@router.post("/account/password", include_in_schema=False)
async def account_password(
    request: Request,
    principal: SignedIn,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    again: Annotated[str, Form(max_length=1024)],
) -> Response:
    if new != again:
        flash(request, "the two new passwords differ: type the same one twice", "error")
        return see_other("/account")
    try:
        await _change_password(request, principal, current, new)
    except CanvassError as refusal:
        flash(request, refusal.message, "error")
        return see_other("/account")
    flash(request, "Password changed; every other session of your account has been signed out.")
    return see_other("/account")


async def _change_password(
    request: Request, principal: Principal, current: str, new: str
) -> Account:
    """The store's change_password behind the sign-in throttle (a stolen session must not
    become a way to guess the password); a cookie session is renewed afterwards."""
    engine, address = ctx_of(request).engine, client_address(request)
    name = principal.username
    await run_in_threadpool(check_sign_in, engine, address, name, utcnow())
    try:
        account = await run_in_threadpool(change_password, engine, name, current, new, utcnow())
    except WrongPassword:
        await run_in_threadpool(record_failure, engine, address, name, utcnow())
        raise
    if principal.via == "cookie":
        await _start_browser_session(request, account)
    return account


def _token_for(request: Request, account: Account) -> SessionToken:
    token = mint_token(ctx_of(request).secret_key, account.username, account.auth_epoch)
    return SessionToken(token=token, username=account.username, role=account.role)


@router.get("/healthz", tags=["session"])
def healthz(_: AnyoneJson) -> dict[str, str]:
    """The server is up (no database work)."""
    return {"status": "ok"}
