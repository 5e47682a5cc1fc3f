"""Signing in with FastAPI's TestClient, for the tests/test_web_*.py tests."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from canvass.settings import Settings
from canvass.web.app import create_app
from canvass.web.auth import load_secret_key, mint_token
from tests.support.site import PASSWORD

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note about httpx2; httpx is what is installed
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def client_for(settings: Settings, address: str | None = None) -> Iterator[TestClient]:
    """A client of a new app on `settings`; `address` sets the peer address it comes from
    (the sign-in throttle counts by it; TestClient's own is "testclient")."""
    app: FastAPI = create_app(settings)
    peer = {"client": (address, 50000)} if address else {}
    with TestClient(app, base_url="http://testserver", **peer) as client:
        yield client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def bearer(settings: Settings, username: str, epoch: int = 0) -> dict[str, str]:
    """A token minted with the key (`epoch`: the account's, 0 until it is reset)."""
    token = mint_token(load_secret_key(settings), username, epoch)
    return {"Authorization": f"Bearer {token}"}
