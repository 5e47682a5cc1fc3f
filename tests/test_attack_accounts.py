"""Attacks on accounts, each against a real app on both databases (issue 16, items 7-8):
a cookie copied before sign-out, a token that outlives a password reset or a disabled
account, guesses that lock the real user out from elsewhere, a spray over many names.
Account commands run as the real `canvass` console script."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from canvass.settings import Settings
from canvass.store.accounts import (
    Account,
    add_account,
    ensure_account,
    get_account,
    may_certify,
    set_scopes,
)
from canvass.store.db import open_engine
from canvass.store.sessions import SESSION_MAX_AGE, open_session, session_account
from canvass.store.tables import AuditRow, LoginFailureRow, WebSessionRow
from canvass.store.throttle import ADDRESS_FREE, PAIR_FREE
from canvass.store.types import utcnow
from tests.conftest import CANVASS, canvass_env
from tests.support.client import TestClient, bearer, client_for, csrf_of, sign_in
from tests.support.intake import make_intake
from tests.support.site import ACCOUNTS, PASSWORD

NEW_PASSWORD = "another horse battery"
COOKIE = "canvass_session"


@pytest.fixture
def site(database_settings: Settings) -> Settings:
    """An initialised database (Iowa loaded) with one account per role."""
    engine = make_intake(database_settings).engine
    for username, role in ACCOUNTS.items():
        add_account(engine, username, PASSWORD, role, utcnow(), username.capitalize())
    engine.dispose()
    return database_settings


def canvass(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CANVASS, *args],
        input=stdin,
        env=canvass_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def token_of(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def copied_cookie(client: TestClient) -> dict[str, str]:
    value = client.cookies.get(COOKIE)
    assert value
    return {COOKIE: value}


def test_a_cookie_copied_before_sign_out_is_refused_afterwards(site: Settings) -> None:
    with client_for(site) as victim, client_for(site, "10.9.9.9") as thief:
        csrf = sign_in(victim, "ann")
        thief.cookies.update(copied_cookie(victim))
        assert thief.get("/review").status_code == 200  # the copy works while signed in
        out = victim.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303
        page = thief.get("/review", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert thief.get("/api/me").status_code == 401
    with Session(open_engine(site)) as session:
        rows = session.execute(select(WebSessionRow)).scalars().all()
    assert len(rows) == 1 and rows[0].ended_at is not None


def test_only_the_session_ids_digest_is_stored(site: Settings) -> None:
    engine = open_engine(site)
    ann = get_account(engine, "ann")
    assert ann is not None
    session_id = open_session(engine, ann, utcnow())
    with Session(engine) as session:
        stored = session.execute(select(col(WebSessionRow.id_sha256))).scalars().all()
    assert stored == [hashlib.sha256(session_id.encode()).hexdigest()]
    assert session_account(engine, session_id, utcnow()) == ann
    assert session_account(engine, stored[0], utcnow()) is None  # the digest signs no one in
    later = utcnow() + SESSION_MAX_AGE + timedelta(minutes=1)
    assert session_account(engine, session_id, later) is None  # a day after sign-in, in use or not


def test_reset_password_ends_tokens_and_sessions(site: Settings) -> None:
    with client_for(site) as client, client_for(site, "10.0.0.5") as browser:
        token = token_of(client, "bob")
        sign_in(browser, "bob")
        assert client.get("/api/me", headers=token).status_code == 200
        reset = canvass(
            site, "users", "reset-password", "bob", "--password-stdin", stdin=f"{NEW_PASSWORD}\n"
        )
        assert reset.returncode == 0, reset.stderr
        gone = client.get("/api/me", headers=token)
        assert gone.status_code == 401 and "sign in again" in gone.json()["error"]
        assert browser.get("/api/me").status_code == 401
        assert browser.get("/review", follow_redirects=False).status_code == 303
        old = client.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert old.status_code == 401
        assert client.get("/api/me", headers=token_of(client, "bob", NEW_PASSWORD)).is_success
    short = canvass(site, "users", "reset-password", "bob", "--password-stdin", stdin="short\n")
    assert short.returncode == 3 and "too short" in short.stderr
    nobody = canvass(
        site, "users", "reset-password", "zed", "--password-stdin", stdin=f"{NEW_PASSWORD}\n"
    )
    assert nobody.returncode == 4 and "canvass users list" in nobody.stderr


def test_a_disabled_account_is_stopped_everywhere_until_enabled(site: Settings) -> None:
    with client_for(site) as client, client_for(site, "10.0.0.6") as browser:
        token = token_of(client, "chair")
        sign_in(browser, "chair")
        disabled = canvass(site, "users", "disable", "chair")
        assert disabled.returncode == 0, disabled.stderr
        assert client.get("/api/me", headers=token).status_code == 401
        assert browser.get("/api/me").status_code == 401
        refused = client.post("/api/session", json={"username": "chair", "password": PASSWORD})
        assert refused.status_code == 401
        listed = canvass(site, "users", "list", "--json")
        assert (
            '"username": "chair", "display_name": "Chair", "role": "uploader", "active": false'
            in (listed.stdout)
        )
        assert canvass(site, "users", "enable", "chair").returncode == 0
        assert client.get("/api/me", headers=token).status_code == 401  # stays ended
        assert client.get("/api/me", headers=token_of(client, "chair")).status_code == 200
    with Session(open_engine(site)) as session:
        actions = session.execute(
            select(col(AuditRow.action)).where(col(AuditRow.subject) == "account/chair")
        ).scalars()
        assert list(actions) == ["account.created", "account.disabled", "account.enabled"]


def test_changing_ones_password_ends_every_other_session_and_token(site: Settings) -> None:
    with client_for(site) as client, client_for(site, "10.0.0.7") as browser:
        old_token = token_of(client, "ann")
        sign_in(browser, "ann")
        wrong = client.post(
            "/api/me/password", headers=old_token, json={"current": "nope", "new": NEW_PASSWORD}
        )
        assert wrong.status_code == 403 and "current password" in wrong.json()["error"]
        short = client.post(
            "/api/me/password", headers=old_token, json={"current": PASSWORD, "new": "short"}
        )
        assert short.status_code == 422
        changed = client.post(
            "/api/me/password", headers=old_token, json={"current": PASSWORD, "new": NEW_PASSWORD}
        )
        assert changed.status_code == 200
        new_token = {"Authorization": f"Bearer {changed.json()['token']}"}
        assert client.get("/api/me", headers=old_token).status_code == 401
        assert browser.get("/api/me").status_code == 401
        assert client.get("/api/me", headers=new_token).json()["username"] == "ann"
        assert client.get("/api/me", headers=bearer(site, "ann")).status_code == 401  # epoch 0


def test_the_account_page_changes_the_password_and_keeps_this_browser(site: Settings) -> None:
    with client_for(site) as browser, client_for(site, "10.0.0.8") as other:
        csrf = sign_in(browser, "pat")
        sign_in(other, "pat")
        assert "Change your password" in browser.get("/account").text
        form = {"csrf_token": csrf, "current": PASSWORD, "new": NEW_PASSWORD, "again": "typo"}
        assert "differ" in browser.post("/account/password", data=form).text
        form["again"] = NEW_PASSWORD
        done = browser.post("/account/password", data=form)
        assert done.status_code == 200 and "Password changed" in done.text
        assert browser.get("/api/me").status_code == 200  # this browser got a new session
        assert other.get("/api/me").status_code == 401


def test_guesses_from_one_address_do_not_lock_out_the_real_user(site: Settings) -> None:
    with client_for(site, "10.0.0.1") as attacker, client_for(site, "10.0.0.2") as real:
        answers = [
            attacker.post("/api/session", json={"username": "bob", "password": f"guess{i}"})
            for i in range(PAIR_FREE + 3)
        ]
        assert [a.status_code for a in answers[:PAIR_FREE]] == [401] * PAIR_FREE
        assert {a.status_code for a in answers[PAIR_FREE:]} == {429}
        held = attacker.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert held.status_code == 429  # even the right password waits, from there
        assert "canvass users unlock bob" in held.json()["error"]
        assert int(held.headers["retry-after"]) >= 1
        assert real.post("/api/session", json={"username": "bob", "password": PASSWORD}).is_success
        sign_in(real, "bob")  # the page too
        page = attacker.get("/login")
        assert page.status_code == 200
        form = attacker.post("/login", data={"username": "bob", "password": PASSWORD})
        assert form.status_code == 403  # no CSRF token: refused before anything is counted
        other = attacker.post("/api/session", json={"username": "ann", "password": PASSWORD})
        assert other.is_success  # only the guessed name is held, from that address


def test_a_spray_over_many_names_from_one_address_is_refused(site: Settings) -> None:
    with client_for(site, "10.0.0.3") as sprayer, client_for(site, "10.0.0.4") as real:
        codes = [
            sprayer.post("/api/session", json={"username": f"user{i:02}", "password": "Winter2026"})
            for i in range(30)
        ]
        assert [c.status_code for c in codes[:ADDRESS_FREE]] == [401] * ADDRESS_FREE
        assert {c.status_code for c in codes[ADDRESS_FREE:]} == {429}
        again = sprayer.post("/api/session", json={"username": "ann", "password": PASSWORD})
        assert again.status_code == 429 and "from your address" in again.json()["error"]
        assert real.post("/api/session", json={"username": "ann", "password": PASSWORD}).is_success
    with Session(open_engine(site)) as session:
        stored = session.execute(select(LoginFailureRow)).scalars().all()
    assert len(stored) == ADDRESS_FREE and {r.address for r in stored} == {"10.0.0.3"}


def test_an_administrator_unlocks_a_name_from_the_command_line(site: Settings) -> None:
    with client_for(site, "10.0.0.1") as client:
        for i in range(PAIR_FREE):
            client.post("/api/session", json={"username": "bob", "password": f"guess{i}"})
        form = {"username": "bob", "password": PASSWORD}
        locked = client.post(
            "/login", data=form | {"csrf_token": csrf_of(client.get("/login").text)}
        )
        assert locked.status_code == 429 and "canvass users unlock bob" in locked.text
        unlocked = canvass(site, "users", "unlock", "bob", "--json")
        assert unlocked.returncode == 0, unlocked.stderr
        assert '"failures_cleared": 3' in unlocked.stdout
        after = client.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert after.is_success
    with Session(open_engine(site)) as session:
        logged = session.execute(
            select(col(AuditRow.action)).where(col(AuditRow.subject) == "account/bob")
        ).scalars()
        assert "account.unlocked" in list(logged)


def test_certifier_scopes_are_stored_checked_and_shown(site: Settings) -> None:
    kim = ["users", "add", "kim", "--role", "certifier", "--county", "adair", "--county", "Adams"]
    added = canvass(site, *kim, "--password-stdin", "--json", stdin=f"{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    assert '"certify_scopes": ["Adair", "Adams"]' in added.stdout
    for args, message in [
        (["--role", "certifier"], "give --county NAME"),
        (["--role", "reviewer", "--county", "Adair"], "only certifiers"),
        (["--role", "certifier", "--county", "Atlantis"], "no county 'Atlantis'"),
    ]:
        refused = canvass(
            site, "users", "add", "zed", *args, "--password-stdin", stdin=f"{PASSWORD}\n"
        )
        assert refused.returncode == 3 and message in refused.stderr, refused.stderr
    scoped = canvass(site, "users", "scope", "pat", "--county", "Audubon", "--state", "--json")
    assert scoped.returncode == 0 and '"certify_scopes": ["Audubon", "STATE"]' in scoped.stdout
    assert canvass(site, "users", "scope", "ann", "--state").returncode == 3
    listed = canvass(site, "users", "list")
    assert "Audubon, STATE" in listed.stdout and "any (administrator)" in listed.stdout
    with client_for(site) as client:
        me = client.get("/api/me", headers=bearer(site, "kim")).json()
        assert me["certify_scopes"] == ["Adair", "Adams"]


def test_may_certify_follows_role_and_scope() -> None:
    county = Account("pat", "Pat", "certifier", True, 0, ("Adair",))
    state = Account("sam", "Sam", "certifier", True, 0, ("STATE",))
    unscoped = Account("old", "Old", "certifier", True, 0, ())
    admin = Account("admin", "Admin", "admin", True)
    reviewer = Account("ann", "Ann", "reviewer", True, 0, ("Adair",))
    assert may_certify(county, "Adair") and not may_certify(county, "Adams")
    assert not may_certify(county, "STATE")
    assert may_certify(state, "STATE") and not may_certify(state, "Adair")
    assert not may_certify(unscoped, "Adair") and not may_certify(unscoped, "STATE")
    assert may_certify(admin, "Adair") and may_certify(admin, "STATE")
    assert not may_certify(reviewer, "Adair")
    assert not may_certify(Account("gone", "Gone", "admin", False), "Adair")


def test_remaking_the_demo_accounts_ends_the_last_runs_sessions(site: Settings) -> None:
    from canvass.cli.web_cmds import demo_accounts

    engine = open_engine(site)
    with client_for(site) as client:
        token = token_of(client, "pat")
        made = dict((user, password) for user, _, password in demo_accounts(site, ["Adair"]))
        assert client.get("/api/me", headers=token).status_code == 401
        me = client.get("/api/me", headers=token_of(client, "pat", made["pat"])).json()
        assert me["certify_scopes"] == ["Adair"]
    sam = get_account(engine, "sam")
    assert sam is not None and sam.certify_scopes == ("STATE",)
    again = ensure_account(engine, "ann", NEW_PASSWORD, "reviewer", utcnow())
    assert again.auth_epoch == 2  # once by the demo, once now
    assert set_scopes(engine, "pat", ["adams"], utcnow()).certify_scopes == ("Adams",)


def test_one_ipv6_network_is_one_guesser(site: Settings) -> None:
    """A guesser given a /64 cannot take a fresh address for every few guesses."""
    for i in range(PAIR_FREE):
        with client_for(site, f"2001:db8:0:1::{i + 1}") as hop:
            guess = hop.post("/api/session", json={"username": "bob", "password": f"guess{i}"})
            assert guess.status_code == 401
    with client_for(site, "2001:db8:0:1::99") as same, client_for(site, "2001:db8:0:2::1") as other:
        held = same.post("/api/session", json={"username": "bob", "password": PASSWORD})
        assert held.status_code == 429
        assert other.post("/api/session", json={"username": "bob", "password": PASSWORD}).is_success
