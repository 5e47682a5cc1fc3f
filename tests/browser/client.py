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
from tests.browser.support import PASSWORD

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's note about httpx2; httpx is what is installed
    from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def client_for(settings: Settings) -> Iterator[TestClient]:
    app: FastAPI = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
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


def bearer(settings: Settings, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(load_secret_key(settings), username)}"}
