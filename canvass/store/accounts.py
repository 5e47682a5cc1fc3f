"""Accounts for the web app: who may upload, review, certify or administer.

Passwords are stored only as argon2 hashes (argon2-cffi's defaults, re-hashed on the next
sign-in when those defaults grow). Checking a password for an unknown or inactive account
still runs one argon2 verification, so the answer's timing does not say which names exist.
Creating an account or resetting its password goes into the audit log in the same
transaction; sign-ins do not (they are not acts on the election).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from canvass.errors import ConflictError, InputError
from canvass.store.audit import append
from canvass.store.db import session_scope
from canvass.store.tables import AccountRow

ROLES: tuple[str, ...] = ("uploader", "reviewer", "certifier", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()


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

    def as_json(self) -> dict[str, str | bool]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "active": self.active,
        }


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_new_account(username: str, role: str, password: str) -> None:
    """Refuse, with what to do, a name, role or password an account cannot have."""
    if not USERNAME.match(username):
        raise InputError(
            f"{username!r} cannot be a user name: use 1-64 lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")


def add_account(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
    actor: str = "cli",
) -> Account:
    """Create an account; refused when the name is taken."""
    check_new_account(username, role, password)
    shown = (display_name or username).strip()[:128] or username
    row = AccountRow(
        username=username,
        display_name=shown,
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
    )
    try:
        with session_scope(engine) as session:
            if _row(session, username) is not None:
                raise ConflictError(f"there is already an account {username!r}: pick another name")
            session.add(row)
            append(session, actor, "account.created", f"account/{username}", {"role": role})
    except IntegrityError as exc:
        raise ConflictError(f"there is already an account {username!r}: pick another name") from exc
    return _account(row)


def ensure_account(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
    actor: str = "cli",
) -> Account:
    """Create the account, or give an existing one this role and password (the demo's
    accounts are made again on every run with new passwords)."""
    check_new_account(username, role, password)
    with session_scope(engine) as session:
        row = _row(session, username)
        if row is not None:
            row.role, row.active = role, True
            row.password_hash = hash_password(password)
            if display_name:
                row.display_name = display_name[:128]
            append(session, actor, "account.reset", f"account/{username}", {"role": role})
            return _account(row)
    return add_account(engine, username, password, role, now, display_name, actor)


def get_account(engine: Engine, username: str) -> Account | None:
    """The active account of that name, or None."""
    with Session(engine) as session:
        row = _row(session, username)
        return _account(row) if row is not None and row.active else None


def list_accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        rows = session.execute(select(AccountRow).order_by(col(AccountRow.username))).scalars()
        return [_account(r) for r in rows]


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
        account = _account(row)
    if _HASHER.check_needs_rehash(stored):
        with session_scope(engine) as session:
            fresh = _row(session, username)
            if fresh is not None:
                fresh.password_hash = hash_password(password)
    return account


def _row(session: Session, username: str) -> AccountRow | None:
    return session.execute(
        select(AccountRow).where(col(AccountRow.username) == username)
    ).scalar_one_or_none()


def _account(row: AccountRow) -> Account:
    return Account(row.username, row.display_name, row.role, row.active)
