"""Server-side web sessions: a signed-in browser is a row, so signing out ends it for good.

The browser's (signed) cookie carries a random session id; only its SHA-256 is stored, so
a copy of the table signs no one in. Each request looks the row up: it counts only while
it is not ended, younger than SESSION_MAX_AGE, its account active and at the epoch the
session was made under (disabling an account or changing its password moves the epoch on).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from canvass.store.accounts import Account, account_of
from canvass.store.db import session_scope
from canvass.store.tables import AccountRow, WebSessionRow

# An absolute cap, like an API token's 24 hours: the cookie itself lapses after 12 idle
# hours, but a cookie in steady use (a copied one too) is refused a day after sign-in.
SESSION_MAX_AGE = timedelta(hours=24)


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(engine: Engine, account: Account, now: datetime) -> str:
    """A new session for a signed-in account; returns the id for the cookie (never stored).
    Sessions older than SESSION_MAX_AGE are pruned here, since they can no longer count."""
    session_id = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.execute(
            delete(WebSessionRow).where(col(WebSessionRow.created_at) < now - SESSION_MAX_AGE)
        )
        session.add(
            WebSessionRow(
                id_sha256=digest(session_id),
                username=account.username,
                auth_epoch=account.auth_epoch,
                created_at=now,
            )
        )
    return session_id


def session_account(engine: Engine, session_id: str, now: datetime) -> Account | None:
    """The account a session id signs in, or None when the session is unknown, ended,
    too old, or its account disabled or moved to a newer epoch."""
    with Session(engine) as session:
        found = session.execute(
            select(WebSessionRow, AccountRow)
            .join(AccountRow, col(AccountRow.username) == col(WebSessionRow.username))
            .where(col(WebSessionRow.id_sha256) == digest(session_id))
        ).one_or_none()
        if found is None:
            return None
        web, row = found
        if web.ended_at is not None or web.created_at < now - SESSION_MAX_AGE:
            return None
        if not row.active or row.auth_epoch != web.auth_epoch:
            return None
        return account_of(row)


def end_session(engine: Engine, session_id: str, now: datetime) -> None:
    """Sign out: the session ends on the server, so a copy of its cookie no longer works."""
    with session_scope(engine) as session:
        session.execute(
            update(WebSessionRow)
            .where(col(WebSessionRow.id_sha256) == digest(session_id))
            .where(col(WebSessionRow.ended_at).is_(None))
            .values(ended_at=now)
        )
