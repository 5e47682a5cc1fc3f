"""Accounts, sign-in, tokens, roles, CSRF, security headers and the role-declaration check
of the web app, through FastAPI's TestClient on both databases."""

from __future__ import annotations

import stat
import subprocess

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from canvass.errors import ConflictError, InputError, NotReadyError
from canvass.settings import Settings
from canvass.store.accounts import add_account, check_password, get_account, list_accounts
from canvass.store.db import open_engine
from canvass.store.tables import AccountRow, AuditRow
from canvass.store.types import utcnow
from canvass.web.app import create_app
from canvass.web.auth import (
    RouteDeclarationError,
    load_secret_key,
    mint_token,
    token_claims,
    token_username,
    undeclared_routes,
)
from tests.conftest import CANVASS, canvass_env
from tests.support.client import TestClient, bearer, client_for, csrf_of, sign_in
from tests.support.intake import make_intake
from tests.support.site import ACCOUNTS, PASSWORD


@pytest.fixture
def site(database_settings: Settings) -> Settings:
    """An initialised database with one account per role."""
    engine = make_intake(database_settings).engine
    for username, role in ACCOUNTS.items():
        add_account(engine, username, PASSWORD, role, utcnow(), username.capitalize())
    engine.dispose()
    return database_settings


def test_accounts_are_stored_with_argon2_hashes_and_logged(site: Settings) -> None:
    engine = open_engine(site)
    with Session(engine) as session:
        hashes = session.execute(select(col(AccountRow.password_hash))).scalars().all()
        logged = session.execute(
            select(col(AuditRow.subject)).where(col(AuditRow.action) == "account.created")
        ).scalars()
        assert set(logged) == {f"account/{name}" for name in ACCOUNTS}
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    assert check_password(engine, "ann", PASSWORD) == get_account(engine, "ann")
    assert check_password(engine, "ann", "wrong password") is None
    assert check_password(engine, "nobody", PASSWORD) is None
    with pytest.raises(ConflictError, match="already an account"):
        add_account(engine, "ann", PASSWORD, "reviewer", utcnow())
    with pytest.raises(InputError, match="unknown role"):
        add_account(engine, "zed", PASSWORD, "king", utcnow())
    with pytest.raises(InputError, match="too short"):
        add_account(engine, "zed", "short", "reviewer", utcnow())
    assert [a.username for a in list_accounts(engine)] == sorted(ACCOUNTS)


def test_users_add_and_list_on_the_command_line(sqlite_settings: Settings) -> None:
    env = canvass_env(sqlite_settings)
    subprocess.run([CANVASS, "init"], env=env, check=True, capture_output=True)
    kim = [CANVASS, "users", "add", "kim", "--role", "certifier", "--county", "adair"]
    added = subprocess.run(
        [*kim, "--password-stdin", "--json"],
        input=f"{PASSWORD}\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    again = subprocess.run(
        [CANVASS, "users", "add", "kim", "--role", "certifier", "--state", "--password-stdin"],
        input=f"{PASSWORD}\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 6 and "already an account" in again.stderr
    listed = subprocess.run(
        [CANVASS, "users", "list", "--json"], env=env, capture_output=True, text=True, check=True
    )
    assert '"username": "kim"' in listed.stdout and '"role": "certifier"' in listed.stdout
    assert '"certify_scopes": ["Adair"]' in listed.stdout  # spelt as the election spells it
    assert check_password(open_engine(sqlite_settings), "kim", PASSWORD) is not None


def test_api_session_gives_a_token_and_refuses_bad_passwords(site: Settings) -> None:
    with client_for(site) as client:
        good = client.post("/api/session", json={"username": "Chair", "password": PASSWORD})
        assert good.status_code == 200
        assert good.json()["role"] == "uploader"
        token = good.json()["token"]
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["username"] == "chair"
        bad = client.post("/api/session", json={"username": "chair", "password": "nope"})
        assert bad.status_code == 401 and "do not match" in bad.json()["error"]
        forged = client.get("/api/me", headers={"Authorization": "Bearer forged.token"})
        assert forged.status_code == 401 and "error" in forged.json()
        assert client.get("/api/me").status_code == 401


def test_failed_sign_ins_are_throttled_per_address_and_name(site: Settings) -> None:
    with client_for(site) as client:
        for _ in range(3):
            answer = client.post("/api/session", json={"username": "bob", "password": "guess"})
            assert answer.status_code == 401
        locked = client.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert locked.status_code == 429 and "wait" in locked.json()["error"]
        assert int(locked.headers["retry-after"]) > 0
        other = client.post("/api/session", json={"username": "ann", "password": PASSWORD})
        assert other.status_code == 200


def test_minted_tokens_name_their_account(site: Settings) -> None:
    key = load_secret_key(site)
    assert token_username(key, mint_token(key, "pat")) == "pat"
    assert token_claims(key, mint_token(key, "pat", 3)) == ("pat", 3)
    assert token_username("another key" * 4, mint_token(key, "pat")) is None
    with client_for(site) as client:
        assert client.get("/api/me", headers=bearer(site, "pat")).json()["role"] == "certifier"
        gone = client.get("/api/me", headers=bearer(site, "nobody"))
        assert gone.status_code == 401


def test_every_route_admits_only_its_roles(site: Settings) -> None:
    with client_for(site) as client:
        as_uploader = bearer(site, "chair")
        assert client.get("/api/queue", headers=as_uploader).status_code == 403
        assert client.get("/api/certify/Adair", headers=bearer(site, "ann")).status_code == 403
        assert client.get("/api/queue", headers=bearer(site, "ann")).status_code == 200
        assert client.get("/api/certify/Adair", headers=bearer(site, "pat")).status_code == 200
        assert client.get("/api/status", headers=as_uploader).status_code == 200
        sign_in(client, "ann")
        page = client.get("/certify")
        assert page.status_code == 403
        assert "cannot open this page" in page.text and "certifier and admin" in page.text
        assert client.get("/review").status_code == 200
        assert 'href="/certify"' not in client.get("/").text  # not in the reviewer's menu


def test_pages_send_strangers_to_sign_in(site: Settings) -> None:
    with client_for(site) as client:
        answer = client.get("/review?county=Adair", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=%2Freview%3Fcounty%3DAdair"
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/nowhere").status_code == 404
        assert client.get("/api/nowhere").json() == {
            "error": "there is no such page: check the address, or start again from the menu"
        }


def test_forms_without_their_csrf_token_are_refused(site: Settings) -> None:
    with client_for(site) as client:
        login_token = csrf_of(client.get("/login").text)
        no_token = client.post("/login", data={"username": "ann", "password": PASSWORD})
        assert no_token.status_code == 403 and "security token" in no_token.text
        token = sign_in(client, "admin")
        assert login_token != token  # a new token with the new session
        refused = client.post("/reconcile", follow_redirects=False)
        assert refused.status_code == 403
        wrong = client.post("/reconcile", data={"csrf_token": "x" * 43}, follow_redirects=False)
        assert wrong.status_code == 403
        header = client.post("/api/reconcile", headers={"X-CSRF-Token": token})
        assert header.status_code == 200
        assert client.post("/api/reconcile").status_code == 403  # cookie without the header
        done = client.post("/reconcile", data={"csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303
    with TestClient(create_app(site)) as script:
        assert script.post("/api/reconcile", headers=bearer(site, "admin")).status_code == 200


def test_cookies_and_headers_are_set_safely(site: Settings) -> None:
    with client_for(site) as client:
        sign_in(client, "ann")
        page = client.get("/review")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and " onclick=" not in page.text
    with client_for(site) as client:
        cookie = client.get("/login").headers.get("set-cookie", "")
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert client.get("/static/style.css").headers["cache-control"] == "no-cache"


def test_the_api_is_documented_without_any_third_party_site(site: Settings) -> None:
    with client_for(site) as client:
        spec = client.get("/openapi.json").json()
        assert "/api/photos" in spec["paths"] and "/api/session" in spec["paths"]
        page = client.get("/docs")
        assert page.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in page.text
        assert "http" not in page.headers["content-security-policy"]
        assert "cdn" not in page.text.lower()
        bundle = client.get("/docs-assets/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and len(bundle.content) > 100_000
        review = client.get("/review", follow_redirects=False)
        assert "unsafe-inline" not in review.headers["content-security-policy"]


def test_the_app_refuses_to_start_with_an_undeclared_route(site: Settings) -> None:
    app = create_app(site)
    assert undeclared_routes(app.routes) == []

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {"oops": "no roles"}

    assert undeclared_routes(app.routes) == ["GET /forgotten"]
    with pytest.raises(RouteDeclarationError, match="GET /forgotten"), TestClient(app):
        pass


def test_the_secret_key_is_made_once_and_kept_private(sqlite_settings: Settings) -> None:
    first = load_secret_key(sqlite_settings)
    path = sqlite_settings.data_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(sqlite_settings) == first and len(first) >= 32
    configured = Settings(data_dir=sqlite_settings.data_dir, secret_key="k" * 40)
    assert load_secret_key(configured) == "k" * 40


def test_the_app_refuses_a_database_that_is_not_set_up(sqlite_settings: Settings) -> None:
    with pytest.raises(NotReadyError, match="canvass init"):
        create_app(sqlite_settings)
    served = subprocess.run(
        [CANVASS, "serve", "--port", "1"],
        env=canvass_env(sqlite_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 5 and "canvass init" in served.stderr
