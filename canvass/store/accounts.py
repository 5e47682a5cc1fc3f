"""Accounts for the web app: who may upload, review, certify or administer.

Passwords are stored only as argon2 hashes (argon2-cffi's defaults, re-hashed on the next
sign-in when those defaults grow). Checking a password for an unknown or inactive account
still runs one argon2 verification, so the answer's timing does not say which names exist.
Every change to an account (made, reset, disabled, enabled, new password, new scopes) goes
into the audit log in the same transaction; sign-ins do not (they are not acts on the
election).

Stopping an account: disabling it, resetting or changing its password moves its
`auth_epoch` on and ends its web sessions in the same transaction. Sessions and API tokens
carry the epoch they were made under, so everything issued before stops working at once.

Certifier scopes: a certifier signs only the counties (and "STATE") listed on the
account; an administrator may sign any (visibly, as an administrator). A certifier made
before scopes existed has none, and signs nothing until `canvass users scope` gives it one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.errors import (
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    NotReadyError,
    RefusedError,
)
from canvass.roles import ROLES
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.elections import active_election_id
from canvass.store.tables import AccountRow, CountyRow, WebSessionRow

STATE_SCOPE = "STATE"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()


class WrongPassword(RefusedError):
    """The current password given to change it is not the account's."""

    http_status = 403


@cache
def _dummy_hash() -> str:
    """Verified against when there is no account, so timing does not reveal names."""
    return _HASHER.hash("canvass: no such account")


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    active: bool
    auth_epoch: int = 0
    certify_scopes: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "active": self.active,
            "certify_scopes": list(self.certify_scopes),
        }


def may_certify(account: Account, scope: str) -> bool:
    """Whether `account` may sign off `scope` (a county name or "STATE"): an administrator
    may sign any (the sign-off records the role, so it is visible); a certifier only its
    own scopes; nobody else."""
    if not account.active:
        return False
    if account.role == "admin":
        return True
    return account.role == "certifier" and scope in account.certify_scopes


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")


def check_new_account(username: str, role: str, password: str) -> None:
    """Refuse, with what to do, a name, role or password an account cannot have."""
    if not USERNAME.match(username):
        raise InputError(
            f"{username!r} cannot be a user name: use 1-64 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    check_new_password(password)


def add_account(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
    actor: str = "cli",
    scopes: Sequence[str] | None = None,
) -> Account:
    """Create an account; refused when the name is taken. `scopes` (a certifier's
    counties and/or "STATE") are checked when given; None leaves a certifier without any,
    like one made before scopes existed."""
    check_new_account(username, role, password)
    shown = (display_name or username).strip()[:128] or username
    try:
        with session_scope(engine) as session:
            if _row(session, username) is not None:
                raise ConflictError(f"there is already an account {username!r}: pick another name")
            stored = None if scopes is None else _checked_scopes(session, role, scopes)
            row = AccountRow(
                username=username,
                display_name=shown,
                role=role,
                password_hash=hash_password(password),
                active=True,
                created_at=now,
                certify_scopes=_scopes_json(stored),
            )
            session.add(row)
            details: dict[str, Any] = {"role": role}
            if stored is not None:
                details["certify_scopes"] = list(stored)
            append(session, actor, "account.created", f"account/{username}", details)
    except IntegrityError as exc:
        raise ConflictError(f"there is already an account {username!r}: pick another name") from exc
    return account_of(row)


def ensure_account(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
    actor: str = "cli",
    scopes: Sequence[str] | None = None,
) -> Account:
    """Create the account, or give an existing one this role and password (the demo's
    accounts are made again on every run with new passwords); the epoch moves on, so the
    last run's sessions and tokens stop working."""
    check_new_account(username, role, password)
    with session_scope(engine) as session:
        row = _row(session, username)
        if row is not None:
            stored = None if scopes is None else _checked_scopes(session, role, scopes)
            row.role, row.active = role, True
            row.password_hash = hash_password(password)
            if stored is not None or role != "certifier":
                row.certify_scopes = _scopes_json(stored)
            if display_name:
                row.display_name = display_name[:128]
            _stop_sessions(session, row, now)
            append(session, actor, "account.reset", f"account/{username}", {"role": role})
            return account_of(row)
    return add_account(engine, username, password, role, now, display_name, actor, scopes)


def disable_account(engine: Engine, username: str, now: datetime, actor: str = "cli") -> Account:
    """Stop an account: it cannot sign in, and its sessions and tokens stop at once."""
    with session_scope(engine) as session:
        row = _existing(session, username)
        row.active = False
        _stop_sessions(session, row, now)
        append(session, actor, "account.disabled", f"account/{username}", {})
        return account_of(row)


def enable_account(engine: Engine, username: str, now: datetime, actor: str = "cli") -> Account:
    """Let a disabled account sign in again (with its password; old sessions stay ended)."""
    with session_scope(engine) as session:
        row = _existing(session, username)
        row.active = True
        append(session, actor, "account.enabled", f"account/{username}", {})
        return account_of(row)


def reset_password(
    engine: Engine, username: str, password: str, now: datetime, actor: str = "cli"
) -> Account:
    """An administrator sets a new password: every session and token of the account ends."""
    check_new_password(password)
    return _set_password(engine, username, password, now, actor, "account.password_reset")


def change_password(
    engine: Engine, username: str, current: str, new: str, now: datetime
) -> Account:
    """The signed-in person changes their own password; refused unless `current` is
    right. Every session and token of the account ends (the caller issues a new one)."""
    check_new_password(new)
    if check_password(engine, username, current) is None:
        raise WrongPassword("the current password is not right: type it again")
    return _set_password(engine, username, new, now, username, "account.password_changed")


def _set_password(
    engine: Engine, username: str, password: str, now: datetime, actor: str, action: str
) -> Account:
    """Store the new hash and end every session and token of the account, audited."""
    with session_scope(engine) as session:
        row = _existing(session, username)
        row.password_hash = hash_password(password)
        _stop_sessions(session, row, now)
        append(session, actor, action, f"account/{username}", {})
        return account_of(row)


def set_scopes(
    engine: Engine, username: str, scopes: Sequence[str], now: datetime, actor: str = "cli"
) -> Account:
    """Give a certifier the counties (and/or "STATE") it may sign, replacing the old ones."""
    with session_scope(engine) as session:
        row = _existing(session, username)
        stored = _checked_scopes(session, row.role, scopes)
        before = _scopes_of(row.certify_scopes)
        row.certify_scopes = _scopes_json(stored)
        append(
            session,
            actor,
            "account.scopes",
            f"account/{username}",
            {"before": list(before), "after": list(stored)},
        )
        return account_of(row)


def get_account(engine: Engine, username: str) -> Account | None:
    """The active account of that name, or None."""
    with Session(engine) as session:
        row = _row(session, username)
        return account_of(row) if row is not None and row.active else None


def acting_account(
    engine: Engine, username: str, roles: Sequence[str], role_word: str, create: str, act: str
) -> Account:
    """The active account `username` when its role is one of `roles`: a decision, a
    sign-off or a reopening is an account's act, never a typed name's (two typed names
    are not two people). Refused (ForbiddenError) saying who may `act` and the command
    that makes such an account (`create`)."""
    account = get_account(engine, username.strip())
    if account is None or account.role not in roles:
        what = "no active account" if account is None else f"a {account.role}, not {_a(role_word)}"
        raise ForbiddenError(
            f"{username!r} is {what}: {act} with {_a(role_word)}'s account, or create it with "
            f"`{create}`"
        )
    return account


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def list_accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        rows = session.execute(select(AccountRow).order_by(col(AccountRow.username))).scalars()
        return [account_of(r) for r in rows]


def check_password(engine: Engine, username: str, password: str) -> Account | None:
    """The account when the password is right and the account active; else None."""
    with Session(engine) as session:
        row = _row(session, username)
        stored = row.password_hash if row is not None and row.active else _dummy_hash()
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        account = account_of(row)
    if _HASHER.check_needs_rehash(stored):
        with session_scope(engine) as session:
            fresh = _row(session, username)
            if fresh is not None:
                fresh.password_hash = hash_password(password)
    return account


def account_of(row: AccountRow) -> Account:
    return Account(
        row.username,
        row.display_name,
        row.role,
        row.active,
        row.auth_epoch,
        _scopes_of(row.certify_scopes),
    )


def _stop_sessions(session: Session, row: AccountRow, now: datetime) -> None:
    """Move the epoch on and end every open web session of the account."""
    row.auth_epoch = (row.auth_epoch or 0) + 1
    session.execute(
        update(WebSessionRow)
        .where(col(WebSessionRow.username) == row.username)
        .where(col(WebSessionRow.ended_at).is_(None))
        .values(ended_at=now)
    )


def _checked_scopes(session: Session, role: str, scopes: Sequence[str]) -> tuple[str, ...]:
    """The scopes as stored (counties spelt as the election spells them, "STATE" last),
    or refused: scopes on a role that does not certify, a certifier with none, or a county
    the loaded election does not have."""
    wanted = [s.strip() for s in scopes if s.strip()]
    if role != "certifier":
        if wanted:
            raise InputError(
                f"only certifiers have scopes ({role} accounts do not): drop --county/--state"
            )
        return ()
    if not wanted:
        raise InputError("a certifier needs a scope: give --county NAME (repeatable) or --state")
    counties = _county_names(session)
    stored: list[str] = []
    for scope in wanted:
        if scope.upper() == STATE_SCOPE:
            name = STATE_SCOPE
        elif counties is None:
            name = scope
        else:
            name = counties.get(scope.casefold(), "")
            if not name:
                raise InputError(
                    f"the loaded election has no county {scope!r}: check the spelling "
                    "(`canvass precincts` lists them)"
                )
        if name not in stored:
            stored.append(name)
    return tuple(sorted(stored, key=lambda s: (s == STATE_SCOPE, s)))


def _county_names(session: Session) -> dict[str, str] | None:
    """The loaded election's counties by folded name, or None when none is loaded."""
    try:
        election_id = active_election_id(session)
    except NotReadyError:
        return None
    names = session.execute(
        select(col(CountyRow.name)).where(col(CountyRow.election_id) == election_id)
    ).scalars()
    return {n.casefold(): n for n in names}


def _scopes_json(scopes: Sequence[str] | None) -> str | None:
    return json.dumps(list(scopes)) if scopes else None


def _scopes_of(stored: str | None) -> tuple[str, ...]:
    if not stored:
        return ()
    value = json.loads(stored)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _existing(session: Session, username: str) -> AccountRow:
    row = _row(session, username)
    if row is None:
        raise NotFoundError(f"there is no account {username!r}: `canvass users list` shows them")
    return row


def _row(session: Session, username: str) -> AccountRow | None:
    return session.execute(
        select(AccountRow).where(col(AccountRow.username) == username)
    ).scalar_one_or_none()
