"""Signing in and out (pages and API), and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from canvass.store.accounts import Account, check_password
from canvass.web.auth import SignInRequired, mint_token, start_session
from canvass.web.context import ctx_of, page
from canvass.web.routes.common import (
    HOME_OF_ROLE,
    Anyone,
    AnyoneJson,
    SignedIn,
    safe_next,
    see_other,
)

router = APIRouter()


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionToken(BaseModel):
    token: str
    username: str
    role: str


class AccountOut(BaseModel):
    username: str
    display_name: str
    role: str


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, principal: Anyone, next: str | None = None) -> Response:
    if principal is not None:
        return see_other(safe_next(next, HOME_OF_ROLE.get(principal.role, "/")))
    return page(request, "login.html", None, next=safe_next(next, ""))


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    _: Anyone,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    name = username.strip().lower()
    try:
        account = await _authenticate(request, name, password)
    except SignInRequired as refusal:
        return page(
            request, "login.html", None, 401, next=safe_next(next, ""), error=refusal.message
        )
    start_session(request, account)
    return see_other(safe_next(next, HOME_OF_ROLE.get(account.role, "/")))


async def _authenticate(request: Request, username: str, password: str) -> Account:
    """The account, or SignInRequired; failures count against the name (throttled)."""
    ctx = ctx_of(request)
    ctx.throttle.check(username)
    account = await run_in_threadpool(check_password, ctx.engine, username, password)
    if account is None:
        ctx.throttle.failed(username)
        raise SignInRequired("that user name and password do not match an active account")
    ctx.throttle.succeeded(username)
    return account


@router.post("/logout", include_in_schema=False)
def logout(request: Request, _: SignedIn) -> Response:
    request.session.clear()
    return see_other("/login")


@router.post("/api/session", response_model=SessionToken, tags=["session"])
async def api_session(request: Request, _: AnyoneJson, credentials: Credentials) -> SessionToken:
    """Exchange a user name and password for an API token (send it as
    `Authorization: Bearer <token>`; it lasts 24 hours)."""
    name = credentials.username.strip().lower()
    account = await _authenticate(request, name, credentials.password)
    token = mint_token(ctx_of(request).secret_key, account.username)
    return SessionToken(token=token, username=account.username, role=account.role)


@router.get("/api/me", response_model=AccountOut, tags=["session"])
def api_me(principal: SignedIn) -> AccountOut:
    """The account the request is made as."""
    a = principal.account
    return AccountOut(username=a.username, display_name=a.display_name, role=a.role)


@router.get("/healthz", tags=["session"])
def healthz(_: AnyoneJson) -> dict[str, str]:
    """The server is up (no database work)."""
    return {"status": "ok"}
